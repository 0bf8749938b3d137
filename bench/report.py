"""How every benchmark prints its figures: one JSON line (``--json``, read by bench/run.py) or an aligned table."""
from __future__ import annotations

import json


def emit(results: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(results))
        return
    width = max(map(len, results), default=0) + 2
    for key, value in results.items():
        print(f"{key:{width}} {value}")
