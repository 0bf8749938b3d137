"""A batch Bundle of 1,000 new patients (each with its IPP) vs ``insert_many`` of the same 1,000 documents, same
nx-27017 (issue 10: the Bundle ≥ 0.5× the throughput of insert_many).

Each run posts one Bundle through the Flask test client (``POST /v4.3.0/``, type batch, 1,000 ``POST Patient``
entries; fresh IPPs every run) and inserts the same bodies with pymongo ``insert_many`` into a plain collection,
interleaved; the ratio is insert_many seconds / Bundle seconds. Figures are min/median over ``--runs``;
``round_trips_of_the_last_bundle``: each MongoDB command the Bundle sent (count, ms, documents).

Usage: ``python bench/bench_bundle.py [--size 1000] [--runs 5] [--json]``
"""
from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient, monitoring  # noqa: E402

from bench.patients import batch, patient  # noqa: E402
from bench.store import CommandTimes, close_app, codoc_app, min_median, run_sized  # noqa: E402


def run(uri: str, size: int, runs: int) -> dict:
    app = codoc_app(uri)
    client = app.test_client()
    plain = MongoClient(uri)[f"plain_{uuid.uuid4().hex[:8]}"]["Patient"]
    bundle_s, insert_s, ratios = [], [], []
    try:
        for run_index in range(runs):
            first = 30_000_000 + run_index * size
            bodies = [patient(n, random.Random(n)) for n in range(first, first + size)]
            CommandTimes.start()
            start = time.perf_counter()
            response = client.post("/v4.3.0/", json=batch(bodies))
            spent = time.perf_counter() - start
            round_trips = CommandTimes.report(1)
            created = sum(e["response"]["status"].startswith("201") for e in response.get_json()["entry"])
            if created != size:
                raise RuntimeError(f"the batch created {created} of {size}")
            documents = [{"_id": str(uuid.uuid4()), **body} for body in bodies]
            start = time.perf_counter()
            plain.insert_many(documents)
            inserted = time.perf_counter() - start
            bundle_s.append(spent), insert_s.append(inserted), ratios.append(inserted / spent)
        return {"bundle_patients_per_s": min_median([size / s for s in bundle_s], 1),
                "insert_many_docs_per_s": min_median([size / s for s in insert_s], 1),
                "bundle_s": min_median(bundle_s), "insert_many_s": min_median(insert_s),
                "ratio": min_median(ratios, 3), "round_trips_of_the_last_bundle": round_trips,
                "goal_ratio_ge_0.5": min_median(ratios)["median"] >= 0.5}
    finally:
        close_app(app)


def main() -> None:
    monitoring.register(CommandTimes())
    run_sized("bundle", __doc__, run, 1000, 5)


if __name__ == "__main__":
    main()
