"""End-to-end enrichment: note stored over HTTP → Phenotypes stored, against the engine alone (same process).

Two paths: inline (``CODOC_NLP=on``: the POST of a DocumentReference runs its enrichment) and worker (``--worker``:
``CODOC_NLP=async``, N notes stored pending, then the ``codoc worker`` loop drains them: notes/s from the first job
taken to the last status done). Also measures how soon a freshly started ``codoc run`` answers /metadata while the
NLP engine loads (``--no-start`` skips it). ``--worker --processes K``: K worker processes forked as ``codoc worker
--processes K`` forks them.
Usage: ``python bench/bench_enrichment.py [--n 200] [--filler 0.5 | --letters] [--worker [--processes K]] [--runs 3]
[--json]``
(wire backend: nx-27017); ``--letters`` posts the annotated realistic letters of tests/data/nlp/ (cycled to ``--n``).
With ``--runs`` the figures are the min and median over the runs, and the load average is reported.
"""
from __future__ import annotations

import argparse
import base64
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit  # noqa: E402
os.environ.setdefault("OMP_NUM_THREADS", "1")

from bench.bench_nlp import make_notes, real_letters  # noqa: E402


def _notes(n: int, filler_share: float, letters: bool) -> list[str]:
    texts = real_letters() if letters else []
    return [texts[i % len(texts)] for i in range(n)] if letters else make_notes(n, filler_share=filler_share)


def _bodies(patient: str, notes: list[str]) -> list[dict]:
    return [{"resourceType": "DocumentReference", "status": "current", "subject": {"reference": f"Patient/{patient}"},
             "content": [{"attachment": {"contentType": "text/plain",
                                         "data": base64.b64encode(note.encode()).decode()}}]} for note in notes]


def _settings(uri: str, mode: str, database: str | None = None) -> dict:
    return {"CODOC_ENV": "testing", "CODOC_MONGO_URI": uri, "CODOC_NLP": mode,
            "CODOC_MONGO_DB": database or f"bench_{uuid.uuid4().hex[:8]}", "CODOC_AUDIT_ENABLED": False,
            "CODOC_RATELIMIT_ENABLED": False}


def _app(uri: str, mode: str, database: str | None = None):
    from app import create_app

    return create_app(_settings(uri, mode, database))


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process so far (this one by default, all its threads): under a shared load,
    CPU per note says what a dedicated core would do."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_figures(server, before: tuple[float, float], n: int, app: float | None = None) -> dict:
    """Store and app CPU per note since ``before``; ``app``: the app's CPU seconds, when not this process's."""
    store = cpu_seconds(server.process.pid) - before[0]
    app = cpu_seconds() - before[1] if app is None else app
    return {"store_cpu_ms_per_note": round(store * 1000 / n, 2), "app_cpu_ms_per_note": round(app * 1000 / n, 2)}


def engine_rate(notes: list[str]) -> float:
    import nlp

    engine = nlp.get_engine(wait=None)
    start = time.perf_counter()
    for note in notes:
        engine.extract(note)
    return len(notes) / (time.perf_counter() - start)


def end_to_end(n: int, filler_share: float = 0.0, letters: bool = False) -> dict:
    """Inline: each POST runs the enrichment of its note before answering."""
    from fhirstore.embedded import EmbeddedMongo

    notes = _notes(n, filler_share, letters)
    engine = engine_rate(notes)
    with tempfile.TemporaryDirectory() as data, EmbeddedMongo(data) as server:
        client = _app(server.uri, "on").test_client()
        patient = client.post("/v4.3.0/Patient", json={"resourceType": "Patient"}).get_json()["id"]
        bodies = _bodies(patient, notes)
        cpu = cpu_seconds(server.process.pid), cpu_seconds()
        start = time.perf_counter()
        phenotypes = 0
        for body in bodies:
            answer = client.post("/v4.3.0/DocumentReference", json=body).get_json()
            status = {p["url"]: p for p in answer["extension"][-1]["extension"]}
            phenotypes += status["phenotypes"]["valueInteger"]
        e2e_rate = n / (time.perf_counter() - start)
        cpu = cpu_figures(server, cpu, n)
    return {"notes": n, "engine_notes_per_s": round(engine, 1), "end_to_end_notes_per_s": round(e2e_rate, 1),
            "end_to_end_over_engine": round(e2e_rate / engine, 3),
            "phenotypes_per_note": round(phenotypes / n, 1), **cpu}


def worker(n: int, filler_share: float = 0.0, letters: bool = False, processes: int = 0) -> dict:
    """Worker: N notes stored pending (``CODOC_NLP=async``, no Redis: the durable jobs in MongoDB), then the
    ``codoc worker`` loop (``Enricher.work``, its sweeps finding the jobs) drains them; notes/s from the start of the
    loop (engine loaded) to the last status written. ``processes`` > 0: that many worker processes forked as
    ``codoc worker --processes`` forks them (``cli.nlp_processes``) while the jobs are held (a lease in the future),
    timed from the jobs' release once they run (as a worker waits for a backlog); app CPU is theirs from then."""
    import nlp
    from fhirstore.embedded import EmbeddedMongo

    notes = _notes(n, filler_share, letters)
    engine = engine_rate(notes)
    with tempfile.TemporaryDirectory() as data, EmbeddedMongo(data) as server:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        app = _app(server.uri, "async", database)
        client = app.test_client()
        patient = client.post("/v4.3.0/Patient", json={"resourceType": "Patient"}).get_json()["id"]
        quiet = logging.getLogger("codoc.enrichment")
        level, quiet.level = quiet.level, logging.ERROR  # "no Redis: stays pending" once per note
        try:
            for body in _bodies(patient, notes):
                assert client.post("/v4.3.0/DocumentReference", json=body).status_code == 201
        finally:
            quiet.setLevel(level)
        nlp.get_engine(wait=None)
        options = {"timeout": 0, "sweep_every": 0.05}
        if processes:
            from cli import nlp_processes
            from handlers.enrichment import STATUS_COLLECTION

            db = app.extensions["codoc.store"].db
            db[STATUS_COLLECTION].update_many({"status": "pending"}, {"$set": {"lease": time.time() + 3600}})
            db.client.close()  # no client of this process crosses the fork
            children = nlp_processes(processes, {**_settings(server.uri, "async", database),
                                                 "CODOC_CREATE_INDEXES": False}, options)
            watcher = _app(server.uri, "async", database)
            enricher = watcher.extensions["codoc.registry"].enricher
            time.sleep(3)  # each has built its app and sweeps, finding every job held
            held = watcher.extensions["codoc.store"].db[STATUS_COLLECTION]
            cpu = cpu_seconds(server.process.pid), -sum(cpu_seconds(child.pid) for child in children)
            started = time.time()
            held.update_many({"status": "pending"}, {"$set": {"lease": 0.0}})
        else:
            enricher = app.extensions["codoc.registry"].enricher
            stop = threading.Event()
            loop = threading.Thread(target=enricher.work, args=(stop,), kwargs=options)
            cpu = cpu_seconds(server.process.pid), cpu_seconds()
            started = time.time()
            loop.start()
        while enricher.statuses.find({"status": "pending"}, 1):
            time.sleep(0.1)
        if processes:
            app_cpu = sum(cpu_seconds(child.pid) for child in children) + cpu[1]
            for child in children:
                child.terminate()
                child.join()
            cpu = cpu_figures(server, cpu, n, app_cpu)
        else:
            stop.set()
            loop.join()
            cpu = cpu_figures(server, cpu, n)
        records = enricher.statuses.find({}, n + 1)
        last = max(datetime.fromisoformat(r["updated"].replace("Z", "+00:00")).timestamp() for r in records)
        rate = n / (last - started)
        phenotypes = sum(r.get("count", 0) for r in records)
        assert len(records) == n and all(r["status"] == "done" for r in records), records[:3]
    return {"notes": n, **({"processes": processes} if processes else {}), "engine_notes_per_s": round(engine, 1),
            "worker_notes_per_s": round(rate, 1), "worker_over_engine": round(rate / engine, 3),
            "phenotypes_per_note": round(phenotypes / n, 1), **cpu}


def repeated(measure, runs: int) -> dict:
    """min and median of each figure over ``runs`` runs, and the load average around them."""
    load_before = os.getloadavg()[0]
    results = [measure() for _ in range(runs)]
    if runs == 1:
        return {**results[0], "load_1min": f"{load_before:.2f} → {os.getloadavg()[0]:.2f}"}
    merged: dict = {"runs": runs}
    for key, value in results[0].items():
        values = [r[key] for r in results]
        if key.endswith("_per_s") or key.endswith("_over_engine") or key.endswith("_per_note") and "cpu" in key:
            merged[f"{key}_min"], merged[f"{key}_median"] = min(values), round(statistics.median(values), 3)
        else:
            merged[key] = value
    merged["load_1min"] = f"{load_before:.2f} → {os.getloadavg()[0]:.2f}"
    return merged


def metadata_after_start() -> dict:
    """Seconds from `codoc run` to the first 200 on /metadata, with CODOC_NLP=on (engine loading meanwhile)."""
    from fhirstore.embedded import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "CODOC_PORT": str(port), "CODOC_DATA_DIR": data, "CODOC_NLP": "on",
               "CODOC_NLP_CACHE_DIR": str(ROOT / "data" / "nlp-cache")}
        env.pop("CODOC_MONGO_URI", None)
        start = time.perf_counter()
        process = subprocess.Popen([str(Path(sys.executable).with_name("codoc")), "run"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import requests

        try:
            while time.perf_counter() - start < 120:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/v4.3.0/metadata", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.05)
            elapsed = time.perf_counter() - start
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)
    return {"metadata_after_start_s": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--filler", type=float, default=0.0,
                        help="share of concept-free prose in the notes (0 = dense: ~47 concepts a note)")
    parser.add_argument("--letters", action="store_true", help="post the annotated realistic letters instead")
    parser.add_argument("--worker", action="store_true", help="measure the worker path instead of the inline one")
    parser.add_argument("--processes", type=int, default=0,
                        help="with --worker: that many forked worker processes (codoc worker --processes)")
    parser.add_argument("--runs", type=int, default=1, help="repeat; report min and median")
    parser.add_argument("--no-start", action="store_true", help="skip the /metadata-after-start measure")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {} if args.no_start else metadata_after_start()
    if args.worker:
        results.update(repeated(lambda: worker(args.n, args.filler, args.letters, args.processes), args.runs))
    else:
        results.update(repeated(lambda: end_to_end(args.n, args.filler, args.letters), args.runs))
    emit(results, args.json)


if __name__ == "__main__":
    main()
