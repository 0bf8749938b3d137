"""Bulk Data ``$export`` throughput (issue 13: ≥ 5,000 resources/s) on nx-27017, against reading the same documents
with bare pymongo in the same run.

Loads ``--size`` resources (half Patients with an IPP, half Observations referencing them) through the handlers'
bulk create path, then, interleaved over ``--runs``: (1) ``$export`` through the Flask test client as a client sees
it — kick-off, polling every 50 ms until the manifest, download of every file — with the in-process worker thread;
(2) ``codoc export``'s ``write_files`` into a temp dir; (3) the baseline: ``find()`` of the same collections in
``_id`` order with pymongo and ``orjson.dumps`` of each document. resources/s = size / seconds; ratio = baseline
seconds / export seconds.

Usage: ``python bench/bench_export.py [--size 20000] [--runs 3] [--json]``
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from bench.patients import patient  # noqa: E402
from bench.store import close_app, codoc_app, min_median, run_sized  # noqa: E402

TYPES = ("Observation", "Patient")
BATCH = 1000


def load(app, size: int) -> None:
    """``size`` resources through ``ResourceHandler.create_many`` (validation, rules, keys: the API's path)."""
    from handlers.context import internal

    registry = app.extensions["codoc.registry"]
    patients, observations = registry.get("Patient"), registry.get("Observation")
    for first in range(0, size // 2, BATCH):
        bodies = [patient(n, random.Random(n)) for n in range(first, min(first + BATCH, size // 2))]
        stored = patients.create_many(bodies, internal())
        observations.create_many([{
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7", "display": "Glucose"}]},
            "subject": {"reference": f"Patient/{p['id']}"}, "effectiveDateTime": "2026-11-30T08:00:00Z",
            "valueQuantity": {"value": round(4 + random.Random(n).random() * 3, 1), "unit": "mmol/L",
                              "system": "http://unitsofmeasure.org", "code": "mmol/L"}}
            for n, p in enumerate(stored)], internal())


def http_export(client) -> tuple[float, int]:
    """Kick-off to the last byte of the last file; returns (seconds, resources downloaded)."""
    start = time.perf_counter()
    response = client.get("/v4.3.0/$export?_type=" + ",".join(TYPES), headers={"Prefer": "respond-async"})
    status = urlsplit(response.headers["Content-Location"]).path
    while (polled := client.get(status)).status_code == 202:
        time.sleep(0.05)
    lines = 0
    for output in polled.get_json()["output"]:
        lines += client.get(urlsplit(output["url"]).path).get_data().count(b"\n")
    return time.perf_counter() - start, lines


def baseline(uri: str, database: str) -> float:
    """Bare pymongo: every document of the same collections in ``_id`` order, each dumped to JSON."""
    db = MongoClient(uri)[database]
    start = time.perf_counter()
    for resource_type in TYPES:
        for document in db[f"{resource_type}_4_3_0"].find({}).sort("_id", 1).batch_size(500):
            orjson.dumps(document)
    return time.perf_counter() - start


def run(uri: str, size: int, runs: int) -> dict:
    from handlers.export import write_files

    app = codoc_app(uri, CODOC_AUDIT_ENABLED=False)
    try:
        started = time.perf_counter()
        load(app, size)
        load_s = time.perf_counter() - started
        client, store = app.test_client(), app.extensions["codoc.store"]
        http_s, cli_s, bare_s = [], [], []
        for _ in range(runs):
            seconds, lines = http_export(client)
            if lines != size:
                raise RuntimeError(f"the export served {lines} of {size} resources")
            http_s.append(seconds)
            with tempfile.TemporaryDirectory() as directory:
                start = time.perf_counter()
                write_files(store, TYPES, None, directory)
                cli_s.append(time.perf_counter() - start)
            bare_s.append(baseline(uri, app.config["CODOC_MONGO_DB"]))
        return {"load_resources_per_s": round(size / load_s, 1),
                "export_http_resources_per_s": min_median([size / s for s in http_s], 1),
                "codoc_export_resources_per_s": min_median([size / s for s in cli_s], 1),
                "bare_pymongo_resources_per_s": min_median([size / s for s in bare_s], 1),
                "ratio_http_to_bare": min_median([b / h for b, h in zip(bare_s, http_s)], 3),
                "ratio_cli_to_bare": min_median([b / c for b, c in zip(bare_s, cli_s)], 3),
                "goal_ge_5000_per_s": size / sorted(http_s)[len(http_s) // 2] >= 5000}
    finally:
        close_app(app)


def main() -> None:
    run_sized("export", __doc__, run, 20_000, 3)


if __name__ == "__main__":
    main()
