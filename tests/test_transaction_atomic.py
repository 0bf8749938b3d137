"""Transactions are atomic and isolated on every backend, also when the process dies inside one (issue 11 §1)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pymongo
import pytest
import requests

from app import create_app
from fhirstore.embedded import free_port
from fhirstore.errors import ConflictError
from tests.conftest import BASE, FHIR_JSON

CODOC = str(Path(sys.executable).with_name("codoc"))


def patient(pid: str, family: str = "Atome") -> dict:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}]}


def put_entry(resource: dict) -> dict:
    return {"resource": resource, "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}}


def transaction(*entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def test_a_rolled_back_update_keeps_its_version_and_content(client):
    client.put(f"{BASE}/Patient/keep-1", json=patient("keep-1", "Avant"), content_type=FHIR_JSON)
    bad = {"resourceType": "Observation", "id": "bad-1", "status": "final", "code": {"text": "x"},
           "subject": {"reference": "Patient/nowhere"}}
    answer = client.post(f"{BASE}/", json=transaction(put_entry(patient("keep-1", "Apres")), put_entry(bad)),
                         content_type=FHIR_JSON)
    assert answer.status_code in (400, 404, 409, 422), answer.get_json()
    read = client.get(f"{BASE}/Patient/keep-1")
    assert read.get_json()["name"][0]["family"] == "Avant"
    assert read.headers["ETag"] == 'W/"1"'  # restored exactly: no compensating version
    history = client.get(f"{BASE}/Patient/keep-1/_history").get_json()
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["1"]
    found = client.get(f"{BASE}/Patient?family=Apres").get_json()
    assert found.get("total", 0) == 0 and not found.get("entry")


def test_a_resource_written_twice_in_one_transaction_is_400(client):
    answer = client.post(f"{BASE}/", json=transaction(put_entry(patient("twice")), put_entry(patient("twice"))),
                         content_type=FHIR_JSON)
    assert answer.status_code == 400
    assert client.get(f"{BASE}/Patient/twice").status_code == 404


def test_readers_and_writers_do_not_see_a_transaction_in_progress(app, client, store):
    client.put(f"{BASE}/Patient/iso-old", json=patient("iso-old", "Ancien"), content_type=FHIR_JSON)
    inside, release, outcome = threading.Event(), threading.Event(), {}

    def writer():
        registry = app.extensions["codoc.registry"]
        from handlers.context import internal
        with store.atomic():
            registry.get("Patient").update("iso-new", patient("iso-new", "Nouveau"), internal())
            registry.get("Patient").update("iso-old", patient("iso-old", "Change"), internal())
            inside.set()
            release.wait(10)
        outcome["done"] = True

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(10)
        assert client.get(f"{BASE}/Patient/iso-new").status_code == 404
        assert client.get(f"{BASE}/Patient/iso-old").get_json()["name"][0]["family"] == "Ancien"
        assert not client.get(f"{BASE}/Patient?family=Nouveau").get_json().get("entry")
        old = client.get(f"{BASE}/Patient?family=Ancien").get_json()
        assert [e["resource"]["id"] for e in old["entry"]] == ["iso-old"]
        assert not client.get(f"{BASE}/Patient?family=Change").get_json().get("entry")
        busy = client.put(f"{BASE}/Patient/iso-old", json=patient("iso-old", "Autre"), content_type=FHIR_JSON)
        assert busy.status_code == 409, busy.get_json()
    finally:
        release.set()
        thread.join(10)
    assert outcome == {"done": True}
    assert client.get(f"{BASE}/Patient/iso-new").get_json()["name"][0]["family"] == "Nouveau"
    changed = client.get(f"{BASE}/Patient/iso-old")
    assert changed.get_json()["name"][0]["family"] == "Change" and changed.headers["ETag"] == 'W/"2"'
    assert [e["resource"]["id"] for e in client.get(f"{BASE}/Patient?family=Change").get_json()["entry"]] == [
        "iso-old"]
    assert not client.get(f"{BASE}/Patient?family=Ancien").get_json().get("entry")


def test_an_open_transaction_holds_its_unique_identifiers(app, client, store):
    ipp = {"system": app.config["CODOC_IPP_SYSTEM"], "value": "IPP-TXN-1", "use": "usual"}
    inside, release = threading.Event(), threading.Event()

    def writer():
        from handlers.context import internal
        try:
            with store.atomic():
                app.extensions["codoc.registry"].get("Patient").update(
                    "ipp-txn", {**patient("ipp-txn"), "identifier": [ipp]}, internal())
                inside.set()
                release.wait(10)
                raise ConflictError("rolled back on purpose")
        except ConflictError:
            pass

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(10)
        rival = client.post(f"{BASE}/Patient", json={**patient("x"), "identifier": [ipp]}, content_type=FHIR_JSON)
        assert rival.status_code == 409
    finally:
        release.set()
        thread.join(10)
    assert client.get(f"{BASE}/Patient/ipp-txn").status_code == 404
    after = client.post(f"{BASE}/Patient", json={**patient("x"), "identifier": [ipp]}, content_type=FHIR_JSON)
    assert after.status_code == 201  # the rollback released the claim


def _die_inside(settings: dict, commit: bool, count: int) -> None:
    """In a child process: write ``count`` Patients in a transaction, optionally pass its commit point, then die
    without settling anything (as a SIGKILL would)."""
    script = f"""
import os
from app import create_app
from handlers.context import internal
app = create_app({settings!r})
store, patients = app.extensions["codoc.store"], app.extensions["codoc.registry"].get("Patient")
with store.atomic():
    for n in range({count}):
        patients.update(f"dead-{{n}}", {{"resourceType": "Patient", "id": f"dead-{{n}}",
                                         "name": [{{"family": "Mort"}}]}}, internal())
    if {commit!r}:
        from fhirstore.journal import ACTIVE
        store.journal.decide(ACTIVE.get().id, "committed")
    os._exit(9)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent, timeout=120)
    assert result.returncode == 9


@pytest.mark.wire
@pytest.mark.parametrize("commit", [False, True], ids=["before-commit", "after-commit"])
def test_a_process_dying_in_a_transaction_leaves_all_or_nothing(wire_server, commit):
    settings = {"CODOC_ENV": "testing", "CODOC_MONGO_URI": wire_server.uri, "CODOC_TRANSACTION_LEASE": 1.0,
                "CODOC_MONGO_DB": f"dying_{uuid.uuid4().hex[:10]}"}
    _die_inside(settings, commit, 20)
    time.sleep(1.2)  # the dead process's lease runs out
    client = create_app(settings).test_client()  # start-up settles it
    statuses = {client.get(f"{BASE}/Patient/dead-{n}").status_code for n in range(20)}
    assert statuses == ({200} if commit else {404})
    found = client.get(f"{BASE}/Patient?family=Mort&_count=100").get_json()
    assert len(found.get("entry", [])) == (20 if commit else 0)
    raw = pymongo.MongoClient(settings["CODOC_MONGO_URI"])[settings["CODOC_MONGO_DB"]]
    assert raw["Patient_4_3_0"].count_documents({"_codoc.txn": {"$exists": True}}) == 0
    assert {j["state"] for j in raw["Transaction_4_3_0"].find()} <= {"settled-committed", "settled-aborted"}


@pytest.mark.wire
def test_sigkill_of_the_server_mid_transaction_rolls_all_of_it_back(wire_server, tmp_path):
    """1,000 entries through a real `codoc run`; SIGKILL once part is written; nothing of it stays, and no reader
    saw a part of it meanwhile."""
    port, database = free_port(), f"kill_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "CODOC_PORT": str(port), "CODOC_MONGO_URI": wire_server.uri, "CODOC_MONGO_DB": database,
           "CODOC_ENV": "development", "CODOC_NLP": "off", "CODOC_TERMINOLOGY_AUTOLOAD": "false",
           "CODOC_TRANSACTION_LEASE": "2", "CODOC_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen([CODOC, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}{BASE}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/metadata", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, "codoc run did not start"
                time.sleep(0.2)
        bundle = transaction(*(put_entry(patient(f"kill-{n}", "Coupure")) for n in range(1000)))
        threading.Thread(target=lambda: _post_quietly(base, bundle), daemon=True).start()
        raw = pymongo.MongoClient(wire_server.uri)[database]["Patient_4_3_0"]
        deadline = time.monotonic() + 60
        while raw.count_documents({"_codoc.txn": {"$exists": True}}) < 100:
            assert time.monotonic() < deadline, "the transaction never started writing"
            time.sleep(0.05)
        assert requests.get(f"{base}/Patient/kill-0", timeout=5).status_code == 404  # isolated while it runs
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        for pid in [*workers, str(server.pid)]:  # the workers run in their own process groups
            os.kill(int(pid), signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    written = raw.count_documents({})
    print(f"killed with {written} of 1000 entries written")
    assert 0 < written < 1000  # it did die in the middle
    time.sleep(2.2)
    client = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": wire_server.uri,
                         "CODOC_MONGO_DB": database}).test_client()
    assert raw.count_documents({}) == 0
    assert {client.get(f"{BASE}/Patient/kill-{n}").status_code for n in (0, 1, 500, 999)} == {404}
    assert not client.get(f"{BASE}/Patient?family=Coupure").get_json().get("entry")


def _post_quietly(base: str, bundle: dict) -> None:
    try:
        requests.post(f"{base}/", json=bundle, headers={"Content-Type": FHIR_JSON}, timeout=120)
    except requests.RequestException:
        pass  # the server is killed under it
