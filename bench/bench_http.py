"""HTTP: our app vs the bare app, each under gunicorn as ``codoc run`` serves it (bench/serve.py → cli._serve), on
one nx-27017, 4 keep-alive clients running the CRUD mix of bench/crud_mix.py (issue 10: ≥ 0.5× the bare app's
throughput, 0 errors).

Rate limiter off for both (``CODOC_RATELIMIT_ENABLED=false``); audit on and batched for ours (the product's default),
NLP off (the mix never reaches it; loading its models only slows the start). Runs alternate bare, ours (each on a
fresh database, ``--seconds`` long); the ratio is ours req/s / bare req/s of the same pair; figures are min/median
over ``--runs``.

Usage: ``python bench/bench_http.py [--seconds 20] [--runs 3] [--clients 4] [--json]``
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.crud_mix import drive  # noqa: E402
from bench.report import emit  # noqa: E402
from bench.store import cpu_seconds, embedded_server, min_median, parse_arguments  # noqa: E402

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(which: str, uri: str, code: str | None) -> tuple[subprocess.Popen, str]:
    port, db = free_port(), f"bench_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CODOC_RATELIMIT_ENABLED": "false", "CODOC_NLP": "off", "CODOC_MONGO_DB": db,
           "CODOC_ENV": "development", "BENCH_CODE": str(Path(code).resolve()) if code else ""}
    process = subprocess.Popen([sys.executable, str(HERE / "serve.py"), which, "--port", str(port), "--uri", uri,
                                "--db", db], env=env, cwd=code or str(HERE.parent), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}" + ("/v4.3.0" if which == "ours" else "")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{which} server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            requests.get(base + "/Patient/none", timeout=1)
            return process, base
        except requests.RequestException:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{which} server did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn master we started (graceful: ours flushes its audit queue), then wait."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(store, seconds: float, runs: int, clients: int, code: str | None) -> dict:
    """Also CPU ms per request of the app server (gunicorn master + worker) and of nx-27017: what saturates."""
    uri, results = store.uri, {"bare": [], "ours": []}
    for index in range(runs):
        for which in ("bare", "ours"):
            process, base = serve(which, uri, code)
            try:
                app_cpu, store_cpu = cpu_seconds(process.pid, children=True), cpu_seconds(store.process.pid)
                result = drive(base, clients, seconds, first_n=40_000_000 + index * 1_000_000)
                requests_done = max(1, result["requests"])
                result["app_cpu_ms_per_request"] = round(
                    1e3 * (cpu_seconds(process.pid, children=True) - app_cpu) / requests_done, 3)
                result["store_cpu_ms_per_request"] = round(
                    1e3 * (cpu_seconds(store.process.pid) - store_cpu) / requests_done, 3)
                results[which].append(result)
            finally:
                stop(process)
            print(f"# run {index} {which}: {results[which][-1]}", file=sys.stderr, flush=True)
    ratios = [o["req_per_s"] / b["req_per_s"] for b, o in zip(results["bare"], results["ours"])]
    figures: dict = {}
    for which in ("bare", "ours"):
        for key in ("req_per_s", "p50_ms", "p99_ms", "app_cpu_ms_per_request", "store_cpu_ms_per_request"):
            figures[f"{which}_{key}"] = min_median([r[key] for r in results[which]], 2)
        figures[f"{which}_errors"] = sum(r["errors"] for r in results[which])
        figures[f"{which}_error_kinds"] = {k: v for r in results[which] for k, v in r["error_kinds"].items()}
    figures["ratio"] = min_median(ratios, 2)
    figures["goals"] = {"ratio >= 0.5": figures["ratio"]["median"] >= 0.5, "0 errors": figures["ours_errors"] == 0}
    return figures


def main() -> None:
    def options(parser):
        parser.add_argument("--seconds", type=float, default=20)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--clients", type=int, default=4)

    args = parse_arguments(__doc__, options)
    with embedded_server() as store:
        figures = run(store, args.seconds, args.runs, args.clients, args.code)
    emit({"bench": "http", "code": args.code or "this tree", "seconds": args.seconds, "runs": args.runs,
          "clients": args.clients, **figures}, args.json)


if __name__ == "__main__":
    main()
