"""Run every benchmark in bench/ (each a script taking --json) and print their figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.stem}", flush=True)
        result = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True)
        if result.returncode != 0:
            failed += 1
            print(result.stderr[-2000:])
            continue
        for line in result.stdout.strip().splitlines():
            try:
                print(json.dumps(json.loads(line), indent=2))
            except json.JSONDecodeError:
                print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
