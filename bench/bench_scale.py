"""Scale: per-request latency at 1k, 10k, 100k patients on nx-27017 (issue 10: each op at 100k ≤ 1.2× its 1k latency).

Patients are loaded once, growing from one size to the next, through the app's own write path (batch Bundles of
1,000 ``POST`` entries to ``/v4.3.0/``), so they carry the same search keys and IPP claims as the API writes. At each
size every operation runs ``--runs`` times (each run: ``bench.report.timed``, the median of 5 rounds of
``--samples``/5 calls) through the Flask test client; figures are min/median over the runs, in ms.

Operations: read by id, ``Patient?identifier=sys|value``, ``Patient?family=`` of a name of the population (200 French
surnames drawn uniformly: matches grow with the size, ~N/200; the same with ``_total=none``, which stops at the first
page instead of reading every match to count them), ``Patient?family=`` of a name held by one patient at
every size (constant selectivity: what the index scaling goal is about), create (new IPP), update (PUT), delete.
``round_trips`` counts MongoDB commands per request (pymongo CommandListener; batched audit writes included as they
happen). A reference call — the bare Flask + pymongo app (bench/bare_app.py) reading one document of a collection
that stays at one document — is timed right after each run of each operation: ``ratio_last_first_normalized``
divides each run by its reference before comparing sizes, so that other work on a shared machine, which slows both
alike, cancels out (the raw ratios are kept beside it). ``--code /work/wt-before`` measures an older tree (cap
``--samples`` there: it is O(n)).

Usage: ``python bench/bench_scale.py [--sizes 1000,10000,100000] [--runs 3] [--samples 50] [--code DIR] [--json]``
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.patients import FAMILY, IPP_SYSTEM, batch, ipp, patient  # noqa: E402
from bench.report import emit, timed  # noqa: E402
from bench.store import CommandCounter, close_app, codoc_app, embedded_store, min_median, parse_arguments  # noqa: E402

BASE = "/v4.3.0"
BUNDLE = 1000
PROBES = 50  # patients whose family name nobody else holds


class Population:
    """The loaded patients: (id, n) pairs, n giving the IPP and the generated body."""

    def __init__(self, client, rng: random.Random):
        self.client, self.rng = client, rng
        self.live: list[tuple[str, int]] = []
        self.next_n = 0
        self.errors = 0

    def load(self, count: int, family: str | None = None) -> float:
        """Load ``count`` patients by batch Bundles; returns the seconds spent in the requests."""
        spent = 0.0
        while count > 0:
            size = min(BUNDLE, count)
            numbers = list(range(self.next_n, self.next_n + size))
            bodies = [patient(n, random.Random(n)) for n in numbers]
            if family:
                for k, body in enumerate(bodies):
                    body["name"][0]["family"] = f"{family}{numbers[k]:04d}"
            start = time.perf_counter()
            response = self.client.post(f"{BASE}/", json=batch(bodies))
            spent += time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"batch Bundle answered {response.status_code}: {response.get_data()[:500]}")
            for n, entry in zip(numbers, response.get_json()["entry"]):
                if entry["response"]["status"].startswith("201"):
                    self.live.append((entry["resource"]["id"], n))
                else:
                    self.errors += 1
            self.next_n += size
            count -= size
        return spent

    def pick(self) -> tuple[str, int]:
        return self.live[self.rng.randrange(len(self.live))]

    def take(self) -> tuple[str, int]:
        i = self.rng.randrange(len(self.live))
        self.live[i], self.live[-1] = self.live[-1], self.live[i]
        return self.live.pop()


def operations(pop: Population, probe_names: list[str], rng: random.Random, errors: dict) -> dict:
    client = pop.client

    def check(name, response, ok=(200, 201, 204)):
        if response.status_code not in ok:
            key = f"{name} {response.status_code}"
            errors[key] = errors.get(key, 0) + 1
            errors.setdefault("first_bodies", {}).setdefault(key, response.get_data(as_text=True)[:300])
        return response

    def read():
        check("read", client.get(f"{BASE}/Patient/{pop.pick()[0]}"))

    def one_match(key, response):
        """A search that must find exactly one patient: any other total is counted as an error."""
        if check(key, response).status_code == 200 and response.get_json().get("total") != 1:
            errors[f"{key}_total"] = errors.get(f"{key}_total", 0) + 1

    def identifier():
        one_match("identifier", client.get(f"{BASE}/Patient?identifier={IPP_SYSTEM}|{ipp(pop.pick()[1])}"))

    def family_common():
        check("family_common", client.get(f"{BASE}/Patient?family={rng.choice(FAMILY)}"))

    def family_common_no_total():
        check("family_common_no_total", client.get(f"{BASE}/Patient?family={rng.choice(FAMILY)}&_total=none"))

    def family_rare():
        one_match("family_rare", client.get(f"{BASE}/Patient?family={rng.choice(probe_names)}"))

    def create():
        n = pop.next_n
        pop.next_n += 1
        response = check("create", client.post(f"{BASE}/Patient", json=patient(n, random.Random(n))))
        if response.status_code == 201:
            pop.live.append((response.get_json()["id"], n))

    def update():
        rid, n = pop.pick()
        body = {**patient(n, random.Random(n)), "id": rid, "birthDate": f"{rng.randint(1930, 2024)}-01-01"}
        check("update", client.put(f"{BASE}/Patient/{rid}", json=body))

    def delete():
        check("delete", client.delete(f"{BASE}/Patient/{pop.take()[0]}"))

    return {"read": read, "identifier": identifier, "family_common": family_common,
            "family_common_no_total": family_common_no_total, "family_rare": family_rare,
            "create": create, "update": update, "delete": delete}


def reference_call(uri: str):
    """A call whose cost does not grow with the data: the bare app's read of the one document of its collection."""
    from bench.bare_app import create_bare_app

    bare = create_bare_app(uri, f"bare_reference_{random.randrange(10**9)}").test_client()
    rid = bare.post("/Patient", json=patient(1, random.Random(1))).get_json()["id"]
    return lambda: bare.get(f"/Patient/{rid}")


def measured(fn, reference, runs: int, samples: int) -> dict:
    """ms per call of ``fn`` (min / median of ``runs``), its median normalized by ``reference`` timed right after each
    run, and MongoDB commands per call."""
    values, normalized, trips = [], [], 0
    for _ in range(runs):
        before = CommandCounter.count
        values.append(timed(fn, samples) * 1e3)
        trips += CommandCounter.count - before
        normalized.append(values[-1] / (timed(reference, samples) * 1e3))
    calls = runs * 5 * max(1, samples // 5)
    return {**min_median(values), "normalized": min_median(normalized, 3)["median"],
            "round_trips": round(trips / calls, 2)}


def run(uri: str, sizes: list[int], runs: int, samples: int) -> dict:
    app = codoc_app(uri)
    reference = reference_call(uri)
    rng = random.Random(10)
    pop = Population(app.test_client(), rng)
    errors: dict = {}
    try:
        pop.next_n = 10_000_000  # the probes' IPPs apart from the population's
        pop.load(PROBES, family="Rareprobe")
        probe_names = [f"Rareprobe{n:04d}" for _, n in pop.live]
        probes, pop.live, pop.next_n = len(pop.live), [], 0  # never read, updated or deleted by the ops
        ops = operations(pop, probe_names, rng, errors)
        figures: dict = {"load": [], "sizes": {}}
        loaded_total, load_seconds = 0, 0.0
        for size in sizes:
            count = size - probes - len(pop.live)
            spent = pop.load(count) if count > 0 else 0.0
            load_seconds += spent
            loaded_total += max(count, 0)
            if count > 0:
                figures["load"].append({"to": size, "patients": count, "seconds": round(spent, 1),
                                        "patients_per_s": round(count / spent, 1)})
            per_op = {name: measured(fn, reference, runs, samples) for name, fn in ops.items()}
            figures["sizes"][size] = per_op
            print(f"# {size}: {json.dumps(per_op)}", file=sys.stderr, flush=True)
        figures["load_patients_per_s"] = round(loaded_total / load_seconds, 1) if load_seconds else None
        if figures["load_patients_per_s"]:
            figures["load_minutes_per_100k"] = round(100_000 / figures["load_patients_per_s"] / 60, 1)
        first, last = sizes[0], sizes[-1]
        for stat in ("median", "min"):  # min: the least disturbed by other work on a shared machine
            figures[f"ratio_last_first_{stat}"] = {
                name: round(figures["sizes"][last][name][stat] / figures["sizes"][first][name][stat], 2)
                for name in ops}
        figures["ratio_last_first_normalized"] = {
            name: round(figures["sizes"][last][name]["normalized"] / figures["sizes"][first][name]["normalized"], 2)
            for name in ops}
        figures["errors"] = {**errors, "load": pop.errors}
        return figures
    finally:
        close_app(app)


def main() -> None:
    def options(parser):
        parser.add_argument("--sizes", default="1000,10000,100000")
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--samples", type=int, default=50, help="calls per run and operation (multiple of 5)")

    args = parse_arguments(__doc__, options)
    CommandCounter.install()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with embedded_store() as uri:
        figures = run(uri, sizes, args.runs, args.samples)
    emit({"bench": "scale", "code": args.code or "this tree", "runs": args.runs, "samples": args.samples,
          **figures}, args.json)


if __name__ == "__main__":
    main()
