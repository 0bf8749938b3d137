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

pytestmark = [pytest.mark.nlp, pytest.mark.redis, pytest.mark.wire]
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
