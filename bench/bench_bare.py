"""Our app vs a bare Flask + pymongo app (bench/bare_app.py), in process, same nx-27017, through their test clients
(issue 10: read ≥ 0.8×, create of a Patient with an IPP ≥ 0.45× the bare app's speed).

A ratio is bare latency / our latency (1 = as fast as the bare app), one per run, ours and bare interleaved in each
run; figures are min/median over ``--runs``. ``profile`` is the share of our create time per step (cProfile of
``--profile`` creates, main thread: the batched audit writer's thread is not in it). ``audit_off`` repeats ours with
``CODOC_AUDIT_ENABLED=False`` (what the audit costs; the product keeps it on).

Usage: ``python bench/bench_bare.py [--n 500] [--runs 3] [--profile 500] [--json]``
"""
from __future__ import annotations

import cProfile
import itertools
import pstats
import random
import sys
import uuid
from pathlib import Path

from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bare_app import create_bare_app  # noqa: E402
from bench.patients import patient  # noqa: E402
from bench.report import emit, timed  # noqa: E402
from bench.store import CommandTimes, close_app, codoc_app, embedded_store, min_median, parse_arguments  # noqa: E402

#: profile steps: (label, file suffix, function) whose cumulative time is counted, in the order they nest
STEPS = [("validation (fhir.resources)", "handlers/base.py", "_prepare"),
         ("rules (Patient.check)", "handlers/resources/patient.py", "check"),
         ("index fields (search keys)", "handlers/base.py", "index_fields"),
         ("store (claims, keys, insert)", "fhirstore/mongo.py", "create"),
         ("access gate (auth, scopes)", "handlers/http/gate.py", "gate"),
         ("audit (queue the event)", "handlers/http/gate.py", "audit_trail"),
         ("body parse (orjson)", "handlers/http/io.py", "body"),
         ("response (orjson)", "handlers/http/io.py", "fhir_json")]


class Target:
    """One app (ours or bare) under its test client: create and read of Patients with an IPP."""

    def __init__(self, client, prefix: str, counter):
        self.client, self.prefix, self.counter = client, prefix, counter
        self.ids: list[str] = []

    def create(self):
        n = next(self.counter)
        response = self.client.post(f"{self.prefix}/Patient", json=patient(n, random.Random(n)))
        assert response.status_code == 201, response.get_data()[:300]
        self.ids.append(response.get_json()["id"])

    def reader(self):
        cursor = itertools.cycle(self.ids[:200])

        def read():
            response = self.client.get(f"{self.prefix}/Patient/{next(cursor)}")
            assert response.status_code == 200

        return read


def profile_creates(target: Target, count: int) -> dict:
    profiler = cProfile.Profile()
    CommandTimes.start()
    profiler.enable()
    for _ in range(count):
        target.create()
    profiler.disable()
    round_trips = CommandTimes.report(count)
    stats = pstats.Stats(profiler).stats
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    shares = {}
    for label, suffix, func in STEPS:
        shares[label] = sum(ct for (path, _, name), (_, _, _, ct, _) in stats.items()
                            if path.endswith(suffix) and name == func)
    limiter = sum(tt for (path, _, _), (_, _, tt, _, _) in stats.items()
                  if "flask_limiter" in path or "/limits/" in path)
    pymongo_wait = sum(tt for (path, _, name), (_, _, tt, _, _) in stats.items()
                       if "recv" in name or "sendall" in name or "poll" in name)
    figures = {label: round(100 * v / total, 1) for label, v in shares.items()}
    figures["flask-limiter (self time)"] = round(100 * limiter / total, 1)
    figures["socket wait (self time, all round trips)"] = round(100 * pymongo_wait / total, 1)
    figures["ms_per_create (under cProfile)"] = round(1e3 * total / count, 3)
    figures["round_trips_per_create"] = round_trips
    return figures


def bare_round_trips(target: Target, count: int) -> dict:
    CommandTimes.start()
    for _ in range(count):
        target.create()
    return CommandTimes.report(count)


def run(uri: str, n: int, runs: int, profile: int) -> dict:
    counter = itertools.count(20_000_000)
    ours_app = codoc_app(uri)
    quiet_app = codoc_app(uri, CODOC_AUDIT_ENABLED=False)
    bare = Target(create_bare_app(uri, f"bare_{uuid.uuid4().hex[:8]}").test_client(), "", counter)
    ours = Target(ours_app.test_client(), "/v4.3.0", counter)
    quiet = Target(quiet_app.test_client(), "/v4.3.0", counter)
    try:
        samples: dict = {k: [] for k in ("bare_create_ms", "ours_create_ms", "audit_off_create_ms",
                                          "bare_read_ms", "ours_read_ms", "audit_off_read_ms")}
        ratios: dict = {"create": [], "read": [], "audit_off_create": [], "audit_off_read": []}
        for _ in range(runs):
            b, o, q = (timed(t.create, n) * 1e3 for t in (bare, ours, quiet))
            samples["bare_create_ms"].append(b), samples["ours_create_ms"].append(o)
            samples["audit_off_create_ms"].append(q)
            ratios["create"].append(b / o), ratios["audit_off_create"].append(b / q)
            b, o, q = (timed(t.reader(), n) * 1e3 for t in (bare, ours, quiet))
            samples["bare_read_ms"].append(b), samples["ours_read_ms"].append(o), samples["audit_off_read_ms"].append(q)
            ratios["read"].append(b / o), ratios["audit_off_read"].append(b / q)
        figures = {k: min_median(v) for k, v in samples.items()}
        figures.update({f"ratio_{k}": min_median(v, 2) for k, v in ratios.items()})
        figures["goals"] = {"read >= 0.8": min_median(ratios["read"], 2)["median"] >= 0.8,
                            "create >= 0.45": min_median(ratios["create"], 2)["median"] >= 0.45}
        if profile:
            figures["profile_create_percent"] = profile_creates(ours, profile)
            figures["bare_round_trips_per_create"] = bare_round_trips(bare, profile)
        return figures
    finally:
        close_app(ours_app)
        close_app(quiet_app)


def main() -> None:
    def options(parser):
        parser.add_argument("--n", type=int, default=500, help="calls per run and figure")
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--profile", type=int, default=500, help="creates profiled (0: none)")

    args = parse_arguments(__doc__, options)
    monitoring.register(CommandTimes())
    with embedded_store() as uri:
        figures = run(uri, args.n, args.runs, args.profile)
    emit({"bench": "bare", "code": args.code or "this tree", "n": args.n, "runs": args.runs, **figures}, args.json)


if __name__ == "__main__":
    main()
