"""What the scale, bare and HTTP benchmarks share: an nx-27017 in a temp dir, the app under test built from a chosen
source tree (``--code DIR``: e.g. /work/wt-before for "before" figures), and a pymongo command counter."""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from pymongo import monitoring

ROOT = Path(__file__).resolve().parents[1]


def use_code(code: str | None) -> None:
    """Import ``app``/``fhirstore`` from ``code`` (default: this worktree); call before importing them."""
    path = str(Path(code).resolve()) if code else str(ROOT)
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)


def parse_arguments(doc: str, options) -> argparse.Namespace:
    """The command line of a bench: its own ``options(parser)``, then ``--code`` (the source tree to measure, for
    "before" runs) and ``--json``; the code switch is applied before returning."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    options(parser)
    parser.add_argument("--code", default=None, help="source tree of the app to measure (default: this one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    use_code(args.code)
    return args


def run_sized(name: str, doc: str, run, size: int, runs: int) -> None:
    """The command line of a bench of ``--size`` resources over ``--runs``: ``run(uri, size, runs)`` on a fresh
    nx-27017, its figures emitted."""
    from bench.report import emit

    def options(parser):
        parser.add_argument("--size", type=int, default=size)
        parser.add_argument("--runs", type=int, default=runs)

    args = parse_arguments(doc, options)
    with embedded_store() as uri:
        figures = run(uri, args.size, args.runs)
    emit({"bench": name, "code": args.code or "this tree", "size": args.size, "runs": args.runs, **figures},
         args.json)


@contextlib.contextmanager
def embedded_server():
    """An nx-27017 server on a free port, its data in a temp dir; yields the EmbeddedMongo (``.uri``, ``.process``)."""
    from fhirstore.embedded import EmbeddedMongo

    with tempfile.TemporaryDirectory(prefix="codoc-bench-") as data, EmbeddedMongo(data) as server:
        yield server


@contextlib.contextmanager
def embedded_store():
    """An nx-27017 server on a free port, its data in a temp dir; yields its URI."""
    with embedded_server() as server:
        yield server.uri


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a live process (Linux /proc), plus its live children's when asked."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / ticks
    if children:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child), children=True)
    return total


def codoc_app(uri: str, **overrides):
    """Our app as the benchmarks run it: rate limiter off, audit on and batched (the product's default; the testing
    profile alone writes it in the request)."""
    from app import create_app

    settings = {"CODOC_ENV": "testing", "CODOC_MONGO_URI": uri, "CODOC_MONGO_DB": f"bench_{uuid.uuid4().hex[:8]}",
                "CODOC_RATELIMIT_ENABLED": False, "CODOC_AUDIT_BATCHED": True, **overrides}
    return create_app(settings)


def close_app(app) -> None:
    """Flush the batched audit writer (when the code has one) before the store goes away."""
    writer = app.extensions.get("codoc.audit")
    if writer is not None and hasattr(writer, "close"):
        writer.close()


class CommandCounter(monitoring.CommandListener):
    """Counts MongoDB commands (round trips) sent by every client created after ``install()``."""

    count = 0

    def started(self, event):
        CommandCounter.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    @classmethod
    def install(cls) -> None:
        monitoring.register(cls())


class CommandTimes(monitoring.CommandListener):
    """Round trips while ``on``: per command and collection, [count, µs (pymongo's duration: request sent to reply
    read), documents sent]. Register before building the apps (listeners apply to clients created afterwards)."""

    on = False
    times: dict = {}
    names: dict = {}

    def started(self, event):
        if CommandTimes.on:
            key = f"{event.command_name} {event.command.get(event.command_name)}"
            CommandTimes.names[event.request_id] = (key, len(event.command.get("documents") or ()))

    def succeeded(self, event):
        key, documents = CommandTimes.names.pop(event.request_id, (None, 0))
        if key and CommandTimes.on:
            entry = CommandTimes.times.setdefault(key, [0, 0, 0])
            entry[0] += 1
            entry[1] += event.duration_micros
            entry[2] += documents

    def failed(self, event):
        CommandTimes.names.pop(event.request_id, None)

    @classmethod
    def start(cls) -> None:
        cls.times, cls.on = {}, True

    @classmethod
    def report(cls, per: int) -> dict:
        """Each command's count, ms and documents per ``per`` operations; stops recording."""
        cls.on = False
        return {key: {"count": round(n / per, 2), "ms": round(micros / 1e3 / per, 3), "documents": round(d / per, 1)}
                for key, (n, micros, d) in sorted(cls.times.items())}


def min_median(values: list[float], digits: int = 3) -> dict:
    return {"min": round(min(values), digits), "median": round(statistics.median(values), digits)}
