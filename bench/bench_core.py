"""Core benchmark: cost of the HTTP layer (routing, validation, serialization) over the bare store.

Ratios, not absolute times: each HTTP figure is divided by the store-only baseline run in the same process on the
same backend. Usage: ``python bench/bench_core.py [--n 500] [--backend mongomock|wire] [--json]``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import emit, timed  # noqa: E402
from bench.store import close_app, codoc_app  # noqa: E402

from fhirstore.embedded import EmbeddedMongo  # noqa: E402

PATIENT = {"resourceType": "Patient", "gender": "female", "birthDate": "1970-03-01",
           "name": [{"family": "Martin", "given": ["Claire"]}],
           "address": [{"city": "Lyon", "postalCode": "69003", "country": "FR"}]}


def run(uri: str, n: int) -> dict:
    app = codoc_app(uri)  # as every bench builds it: the testing profile's anonymous rate limit (100/hour) off
    store, client = app.extensions["codoc.store"], app.test_client()
    ids = []

    def store_create():
        ids.append(store.create("Patient", {**PATIENT, "id": str(uuid.uuid4())}, {"refs": []})["id"])

    def http_create():
        ids.append(client.post("/v4.3.0/Patient", json=PATIENT).get_json()["id"])

    results = {"store_create_ms": timed(store_create, n) * 1e3, "http_create_ms": timed(http_create, n) * 1e3}
    sample = ids[: max(1, n // 5)]
    cursor = iter(sample * 10)
    results["store_read_ms"] = timed(lambda: store.read("Patient", next(cursor)), n) * 1e3
    cursor = iter(sample * 10)
    results["http_read_ms"] = timed(lambda: client.get(f"/v4.3.0/Patient/{next(cursor)}"), n) * 1e3
    results["create_overhead_ratio"] = results["http_create_ms"] / results["store_create_ms"]
    results["read_overhead_ratio"] = results["http_read_ms"] / results["store_read_ms"]
    close_app(app)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--backend", choices=["mongomock", "wire"], default="wire")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.backend == "wire":
        with tempfile.TemporaryDirectory() as data, EmbeddedMongo(data) as server:
            results = run(server.uri, args.n)
    else:
        results = run("mongomock://", args.n)
    results = {"backend": args.backend, "n": args.n, **{k: round(v, 3) for k, v in results.items()}}
    emit(results, args.json)


if __name__ == "__main__":
    main()
