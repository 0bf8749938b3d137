"""CODOC_NLP=async: the API queues documents in a real Redis; a separate `codoc worker` process enriches them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BASE
from tests.redis_server import redis_server  # noqa: F401  (session fixture)
from tests.test_enrichment import NOTE, b64, document, engine, phenotypes, status_of  # noqa: F401

# the tests poll $enrichment-status every 0.2 s while a worker process starts: the anonymous limit (100/hour)
# would answer 429 after 20 s of it, on a machine slow enough to load the engine that long
pytestmark = [pytest.mark.nlp, pytest.mark.redis, pytest.mark.wire,
              pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)]
CODOC = str(Path(sys.executable).with_name("codoc"))


@pytest.fixture
def backend():
    return "wire"  # the worker is another process: it needs a store server, not mongomock


@pytest.fixture
def settings(settings, redis_server):  # noqa: F811
    redis_server.flush()
    return {**settings, "CODOC_NLP": "async", "CODOC_REDIS_URL": redis_server.url}


def test_worker_process_enriches_queued_documents(client, settings):
    patient = client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "male"}).get_json()
    created = client.post(f"{BASE}/DocumentReference", json=document(patient["id"], b64(NOTE)))
    assert created.status_code == 201 and status_of(created.get_json())["status"] == "pending"
    document_id = created.get_json()["id"]
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
    worker = subprocess.Popen([CODOC, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        state = None
        while time.monotonic() < deadline and worker.poll() is None:
            state = client.get(f"{BASE}/DocumentReference/{document_id}/$enrichment-status").get_json()
            if state["parameter"][1]["valueCode"] != "pending":
                break
            time.sleep(0.2)
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
        assert state["parameter"][1]["valueCode"] == "done", state
        found = phenotypes(client, document_id)
        assert found[("http://hl7.org/fhir/sid/icd-10", "J44")]["assertion"] == "negated"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def _children(pid: int) -> list[int]:
    """The processes ``pid`` forked (its NLP workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def test_worker_processes_share_the_queue_and_stop_together(client, settings, tmp_path):
    """`codoc worker --processes 2`: two forked NLP processes drain the queue, each document enriched once; a
    SIGTERM to the parent alone stops both (exit 0); a child killed makes the parent stop the other and fail."""
    patient = client.post(f"{BASE}/Patient", json={"resourceType": "Patient"}).get_json()["id"]
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
    log = tmp_path / "worker.log"

    def start():
        with open(log, "ab") as output:  # a file, not a pipe nobody reads: the processes would block on a full one
            return subprocess.Popen([CODOC, "worker", "--only", "nlp", "--processes", "2"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=output, start_new_session=True)

    worker = start()
    try:
        deadline = time.monotonic() + 180
        while len(_children(worker.pid)) < 2 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert len(_children(worker.pid)) == 2, log.read_text()[-2000:]
        ids = [client.post(f"{BASE}/DocumentReference", json=document(patient, b64(NOTE))).get_json()["id"]
               for _ in range(6)]
        states: dict = {}
        while time.monotonic() < deadline and worker.poll() is None:
            states = {i: client.get(f"{BASE}/DocumentReference/{i}/$enrichment-status").get_json()
                      ["parameter"][1]["valueCode"] for i in ids}
            if set(states.values()) == {"done"}:
                break
            time.sleep(0.2)
        assert set(states.values()) == {"done"}, states
        counts = {len(phenotypes(client, i)) for i in ids}
        assert len(counts) == 1 and counts.pop() > 3  # the same note: the same set, once each
        worker.send_signal(signal.SIGTERM)  # the parent alone, not its process group
        assert worker.wait(timeout=60) == 0, log.read_text()[-2000:]
        assert log.read_text().count("stopped after") == 2
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    worker = start()
    try:
        deadline = time.monotonic() + 180
        while len(_children(worker.pid)) < 2 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        children = _children(worker.pid)
        assert len(children) == 2
        os.kill(children[0], signal.SIGKILL)
        assert worker.wait(timeout=60) == 1
        assert not _children(worker.pid)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


def test_worker_outlives_a_store_outage(settings, tmp_path):
    """The store is killed under a running `codoc worker`, then restarted on the same port and data: the worker
    waits and goes on (a document stored after the restart is enriched), it does not die."""
    from app import create_app
    from fhirstore.embedded import EmbeddedMongo

    store = EmbeddedMongo(tmp_path / "store")
    store.start()
    log = tmp_path / "worker.log"
    config = {**settings, "CODOC_MONGO_URI": store.uri, "CODOC_MONGO_DB": "outage"}
    env = {**os.environ, **{k: str(v) for k, v in config.items()}}
    worker = None
    try:
        client = create_app(config).test_client()
        patient = client.post(f"{BASE}/Patient", json={"resourceType": "Patient"}).get_json()["id"]

        def enriched() -> str:
            created = client.post(f"{BASE}/DocumentReference", json=document(patient, b64(NOTE))).get_json()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and worker.poll() is None:
                state = client.get(f"{BASE}/DocumentReference/{created['id']}/$enrichment-status").get_json()
                if state["parameter"][1]["valueCode"] != "pending":
                    return state["parameter"][1]["valueCode"]
                time.sleep(0.2)
            return "pending"

        with open(log, "ab") as output:
            worker = subprocess.Popen([CODOC, "worker", "--only", "nlp"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=output, start_new_session=True)
        assert enriched() == "done", log.read_text()[-2000:]
        os.kill(store.process.pid, signal.SIGKILL)
        store.process.wait()
        time.sleep(12)  # > a sweep's period (5 s, + 1 s of Redis wait) + the store's server selection (1.5 s)
        assert worker.poll() is None, log.read_text()[-2000:]
        store.start()
        assert enriched() == "done", log.read_text()[-2000:]
        assert worker.poll() is None and "database unavailable; retrying" in log.read_text()
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        store.stop()
