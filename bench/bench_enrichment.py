"""End-to-end enrichment: note stored over HTTP → Phenotypes stored, against the engine alone (same process).

Also measures how soon a freshly started ``codoc run`` answers /metadata while the NLP engine loads.
Usage: ``python bench/bench_enrichment.py [--n 200] [--filler 0.5 | --letters] [--json]`` (wire backend: nx-27017);
``--letters`` posts the annotated realistic letters of tests/data/nlp/ (cycled to ``--n``).
"""
from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit  # noqa: E402
os.environ.setdefault("OMP_NUM_THREADS", "1")

from bench.bench_nlp import make_notes, real_letters  # noqa: E402


def end_to_end(n: int, filler_share: float = 0.0, letters: bool = False) -> dict:
    import nlp
    from app import create_app
    from fhirstore.embedded import EmbeddedMongo

    texts = real_letters() if letters else []
    notes = [texts[i % len(texts)] for i in range(n)] if letters else make_notes(n, filler_share=filler_share)
    engine = nlp.get_engine(wait=None)
    start = time.perf_counter()
    for note in notes:
        engine.extract(note)
    engine_rate = n / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as data, EmbeddedMongo(data) as server:
        app = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": server.uri, "CODOC_NLP": "on",
                          "CODOC_MONGO_DB": f"bench_{uuid.uuid4().hex[:8]}", "CODOC_AUDIT_ENABLED": False,
                          "CODOC_RATELIMIT_ENABLED": False})
        client = app.test_client()
        patient = client.post("/v4.3.0/Patient", json={"resourceType": "Patient"}).get_json()["id"]
        bodies = [{"resourceType": "DocumentReference", "status": "current",
                   "subject": {"reference": f"Patient/{patient}"},
                   "content": [{"attachment": {"contentType": "text/plain",
                                               "data": base64.b64encode(note.encode()).decode()}}]} for note in notes]
        start = time.perf_counter()
        phenotypes = 0
        for body in bodies:
            answer = client.post("/v4.3.0/DocumentReference", json=body).get_json()
            status = {p["url"]: p for p in answer["extension"][-1]["extension"]}
            phenotypes += status["phenotypes"]["valueInteger"]
        e2e_rate = n / (time.perf_counter() - start)
    return {"notes": n, "engine_notes_per_s": round(engine_rate, 1), "end_to_end_notes_per_s": round(e2e_rate, 1),
            "end_to_end_over_engine": round(e2e_rate / engine_rate, 3),
            "phenotypes_per_note": round(phenotypes / n, 1)}


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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {**metadata_after_start(), **end_to_end(args.n, args.filler, args.letters)}
    emit(results, args.json)


if __name__ == "__main__":
    main()
