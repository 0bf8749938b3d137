#!/usr/bin/env python
"""Same-run A/B of the NLP engine's speed: a base checkout against this tree (a script, not a test).

``engine.extract`` over the development letters (``tests/data/nlp/letters/*.txt``, the text of each letter without
its annotation), in fresh child processes pinned to one core with ``taskset`` (OMP/MKL/OpenBLAS threads = 1),
alternating the base and the current tree pair after pair (base first in odd pairs, the current tree first in even
ones). Each side loads from its own NLP cache directory, built once before the pairs; each child makes one warm-up
pass, then keeps the best of ``--passes`` passes of CPU time. Printed: each pair (notes/s/core of both sides, their
ratio, the load average), then the median and range of the ratios. On a shared machine only the ratio of a pair
means something: both sides ran within the same minute on the same core.

``--base`` is a source tree (a directory holding ``nlp/``) or a git revision, checked out for the run into a temporary
worktree (removed afterwards).

Usage::

    .venv/bin/python bench/bench_engine_ab.py --base 3338fb1            # 6 pairs against a revision
    .venv/bin/python bench/bench_engine_ab.py --base /work/main --pairs 8 --cpu 0
    .venv/bin/python bench/bench_engine_ab.py --base main --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "tests" / "data" / "nlp" / "letters"


def child(code: Path, texts_file: Path, passes: int) -> dict:
    """In the pinned child: load the engine of ``code``, then the best of ``passes`` CPU passes."""
    sys.path.insert(0, str(code))
    os.chdir(code)
    import logging

    logging.disable(logging.CRITICAL)
    import nlp

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    engine = nlp.get_engine(wait=None)
    concepts = sum(len(engine.extract(t)) for t in texts)  # warm-up
    best = None
    for _ in range(passes):
        c0 = time.process_time()
        for t in texts:
            engine.extract(t)
        cpu = time.process_time() - c0
        best = cpu if best is None else min(best, cpu)
    return {"notes": len(texts), "concepts": concepts,
            "notes_per_s": round(len(texts) / best, 1) if best else None,
            "from_cache": engine.info.get("from_cache")}


def spawn(code: Path, cache: Path, texts_file: Path, passes: int, cpu: int) -> dict:
    from bench_nlp import THREAD_ENV

    env = {**os.environ, **THREAD_ENV, "CODOC_NLP_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}
    cmd = ["taskset", "-c", str(cpu), sys.executable, __file__, "--child", str(code),
           "--texts", str(texts_file), "--passes", str(passes)]
    res = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"child for {code} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def checkout(base: str, tmp: Path):
    """A source tree for ``base``: itself if it is a directory, else a temporary git worktree at that revision."""
    if Path(base).is_dir():
        yield Path(base).resolve()
        return
    tree = tmp / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), base], check=True,
                   capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def summary(pairs: list[dict]) -> dict:
    ratios = [p["ratio"] for p in pairs]
    return {
        "pairs": len(pairs),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": min(ratios), "ratio_max": max(ratios),
        "base_notes_per_s_median": round(statistics.median(p["base"] for p in pairs), 1),
        "now_notes_per_s_median": round(statistics.median(p["now"] for p in pairs), 1),
        "load_min": min(p["load"] for p in pairs), "load_max": max(p["load"] for p in pairs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="main", help="base source tree or git revision (default: main)")
    ap.add_argument("--pairs", type=int, default=6, help="base/current pairs (default 6)")
    ap.add_argument("--passes", type=int, default=3, help="CPU passes per child, the best is kept (default 3)")
    ap.add_argument("--cpu", type=int, help="core to pin the children to (default: the last allowed)")
    ap.add_argument("--letters", type=Path, default=LETTERS, help="directory of annotated letters")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.texts, args.passes)))
        return

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_nlp import real_letters

    cpu = args.cpu if args.cpu is not None else sorted(os.sched_getaffinity(0))[-1]
    texts = real_letters([args.letters])
    with tempfile.TemporaryDirectory(prefix="codoc-engine-ab-") as tmp_name:
        tmp = Path(tmp_name)
        texts_file = tmp / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        with checkout(args.base, tmp) as base:
            sides = {"base": base, "now": ROOT}
            caches = {name: tmp / f"cache-{name}" for name in sides}
            for name, code in sides.items():  # build each side's cache outside the pairs
                spawn(code, caches[name], texts_file, 0, cpu)
            pairs = []
            for i in range(args.pairs):
                order = ("base", "now") if i % 2 == 0 else ("now", "base")
                row = {name: spawn(sides[name], caches[name], texts_file, args.passes, cpu)["notes_per_s"]
                       for name in order}
                row.update(order=list(order), ratio=round(row["now"] / row["base"], 3),
                           load=round(os.getloadavg()[0], 2))
                pairs.append(row)
                if not args.json:
                    print(f"pair {i + 1} {order[0]} {row[order[0]]} {order[1]} {row[order[1]]} "
                          f"ratio {row['ratio']} load {row['load']}", flush=True)
    result = {"base": args.base, "letters": len(texts), "chars_avg": round(sum(map(len, texts)) / len(texts)),
              "cpu": cpu, "passes": args.passes, "pair_results": pairs, **summary(pairs)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['letters']} letters ({result['chars_avg']} chars), core {cpu}, best of {args.passes} passes: "
          f"now/base median {result['ratio_median']} over {len(pairs)} pairs (range {result['ratio_min']}–"
          f"{result['ratio_max']}); notes/s/core base {result['base_notes_per_s_median']}, now "
          f"{result['now_notes_per_s_median']} (medians); load {result['load_min']}–{result['load_max']}")


if __name__ == "__main__":
    main()
