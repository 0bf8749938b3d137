"""Validation benchmark: in-process cost of parsing + validating one typical body (no HTTP, no store).

Usage: ``python bench/bench_validation.py [--n 1000] [--json]``; prints microseconds per body for a Patient and an
Observation of the HL7 examples (tests/data/examples), parsed from bytes and validated as a create would.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit  # noqa: E402
from schemas import validate_resource  # noqa: E402

try:
    from schemas.json import parse_body  # noqa: E402
except ImportError:  # before strict JSON parsing existed
    import orjson

    def parse_body(raw: bytes):
        return orjson.loads(raw)

SAMPLES = {"Patient": "patient-f001.json", "Observation": "observation-f001.json"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="one JSON line (as bench/run.py reads it)")
    args = parser.parse_args()
    figures = {"bench": "validation", "n": args.n}
    for resource_type, name in SAMPLES.items():
        raw = (ROOT / "tests" / "data" / "examples" / name).read_bytes()
        validate_resource(parse_body(raw), resource_type)  # warm up (model schemas are built lazily)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(args.n):
                validate_resource(parse_body(raw), resource_type)
            best = min(best, time.perf_counter() - start)
        figures[f"{resource_type}_us_per_parse_and_validate"] = round(best / args.n * 1e6)
        figures[f"{resource_type}_bytes"] = len(raw)
    emit(figures, args.json)


if __name__ == "__main__":
    main()
