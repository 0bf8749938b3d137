"""What every benchmark shares: how it times a call, and how it prints its figures (one JSON line with
``--json``, read by bench/run.py, or an aligned table)."""
from __future__ import annotations

import json
import statistics
import time


def timed(fn, n: int) -> float:
    """Median seconds per call over 5 rounds of n/5 calls."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(max(1, n // 5)):
            fn()
        rounds.append((time.perf_counter() - start) / max(1, n // 5))
    return statistics.median(rounds)


def emit(results: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(results))
        return
    width = max(map(len, results), default=0) + 2
    for key, value in results.items():
        print(f"{key:{width}} {value}")
