"""Import benchmark: ``codoc import`` of the demo hospital's NDJSON into an empty nx-27017, in resources/s and as a
ratio to pure fhir.resources validation (``model_validate``) of the same resources in the same run (goal ≥ 0.5),
with the process's RSS before, at its peak during, and after each import (flat: the same whatever the size).

Usage: ``python bench/bench_import.py [--sizes 10000 50000] [--json]``; each size is a fresh database and folder.
"""
from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.store import CommandTimes, codoc_app, cpu_seconds, embedded_server, parse_arguments  # noqa: E402

#: Resources per demo patient (about): sizes are met by the number of patients.
PER_PATIENT = 24.9


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss(threading.Thread):
    """The highest RSS seen while running (sampled every 50 ms)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.done = rss_mb(), threading.Event()

    def run(self):
        while not self.done.wait(0.05):
            self.peak = max(self.peak, rss_mb())


def validation_seconds(folder: Path) -> tuple[int, float]:
    """Pure fhir.resources validation of every line (parsed with orjson), best of two."""
    import orjson
    from fhir.resources.R4B import get_fhir_model_class

    resources = [orjson.loads(line) for f in sorted(folder.glob("*.ndjson")) for line in f.read_bytes().splitlines()]
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        for resource in resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        best = min(best, time.perf_counter() - start)
    return len(resources), best


def one_size(size: int, server) -> dict:
    from handlers.bulk.demo import DemoHospital
    from handlers.bulk.imports import Importer, Rejects

    with tempfile.TemporaryDirectory(prefix="codoc-bench-import-") as work:
        out = Path(work)
        DemoHospital(max(1, round(size / PER_PATIENT))).write(out)
        app = codoc_app(server.uri, CODOC_NLP="off", CODOC_TERMINOLOGY_CHECK="warn")
        registry = app.extensions["codoc.registry"]
        registry.ensure_indexes()
        before, peak = rss_mb(), PeakRss()
        peak.start()
        store_cpu = cpu_seconds(server.process.pid)
        CommandTimes.start()
        start = time.perf_counter()
        summary = Importer(registry, Rejects(str(out / "rejects.ndjson"))).run([str(out / "ndjson")])
        seconds = time.perf_counter() - start
        commands = CommandTimes.report(1)
        store_cpu = cpu_seconds(server.process.pid) - store_cpu
        peak.done.set()
        peak.join()
        start = time.perf_counter()
        again = Importer(registry, Rejects(str(out / "rejects-2.ndjson"))).run([str(out / "ndjson")])
        rerun = time.perf_counter() - start
        after = rss_mb()
        count, validate = validation_seconds(out / "ndjson")  # last: its list of every resource would weigh on RSS
    assert summary.created == count and summary.rejected == 0 and again.unchanged == count, (summary, again)
    waited = sum(c["ms"] for c in commands.values()) / 1e3
    return {"resources": count, "import_s": round(seconds, 2), "import_per_s": round(count / seconds),
            "validation_per_s": round(count / validate), "ratio_to_validation": round(validate / seconds, 3),
            "store_wait_s": round(waited, 2), "store_cpu_s": round(store_cpu, 2),
            "rerun_s": round(rerun, 2), "rerun_per_s": round(count / rerun),
            "rss_mb_before": round(before), "rss_mb_peak": round(peak.peak), "rss_mb_after": round(after)}


def main() -> None:
    args = parse_arguments(__doc__, lambda p: p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000]))
    from pymongo import monitoring

    monitoring.register(CommandTimes())
    results = []
    with embedded_server() as server:
        for size in args.sizes:
            results.append(one_size(size, server))
            if not args.json:
                print(json.dumps(results[-1]), flush=True)
    if args.json:
        print(json.dumps({"bench": "import", "results": results}))


if __name__ == "__main__":
    main()
