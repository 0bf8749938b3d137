"""Serve our app or the bare app with gunicorn exactly as ``codoc run`` does (cli._serve: 1 worker, 8 gthread
threads by default, access log on stdout): ``python bench/serve.py ours|bare --port P --uri URI [--db NAME]``.

Ours reads its settings from the environment (CODOC_*), as under ``codoc run``; the bare app is put in place of
``app.create_app`` so the gunicorn configuration is cli._serve's own, not a copy. ``BENCH_CODE=DIR`` serves the
app (and cli) of another source tree."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["ours", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", default="bare")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from bench.store import use_code

    use_code(os.environ.get("BENCH_CODE") or None)
    import app
    import cli

    if args.which == "bare":
        from bench.bare_app import create_bare_app
        from bench.crud_mix import TYPES

        app.create_app = lambda: create_bare_app(args.uri, args.db, TYPES)
    cli._serve({"CODOC_MONGO_URI": args.uri}, args.port, args.workers, args.threads)


if __name__ == "__main__":
    main()
