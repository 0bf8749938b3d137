"""The audit trail: one AuditEvent per interaction on patient data (failures too), readable by admins only,
append-only, written at one seam, holding references and never patient data."""
from __future__ import annotations

import copy
import json
import time

import pytest

from handlers.audit import AUDIT_COLLECTION, AuditWriter
from handlers.context import RequestContext
from tests.conftest import BASE, assert_outcome
from tests.samples import MINIMAL
from tests.test_auth import bearer

TYPES = sorted(MINIMAL)
ADMIN = "codoc/admin system/*.*"


def events(store, reference: str | None = None) -> list[dict]:
    query = {"entity.what.reference": reference} if reference else {}
    return sorted(store.db[AUDIT_COLLECTION].find(query, {"_id": 0}), key=lambda e: e["recorded"])


def interactions(store, reference: str) -> list[str]:
    return [e["subtype"][0]["code"] for e in events(store, reference)]


@pytest.mark.parametrize("name", TYPES)
def test_every_interaction_on_every_type_is_audited(client, store, name):
    segment = name.lower()
    stored = client.post(f"{BASE}/{segment}/", json=copy.deepcopy(MINIMAL[name])).get_json()
    reference = f"{stored['resourceType']}/{stored['id']}"  # a Phenotype is audited as the Observation it is
    rid = stored["id"]
    client.get(f"{BASE}/{segment}/{rid}/")
    client.put(f"{BASE}/{segment}/{rid}/", json=stored)
    client.get(f"{BASE}/{name}/{rid}/_history")
    client.get(f"{BASE}/{name}/{rid}/_history/1")
    client.get(f"{BASE}/{segment}/?_id={rid}")
    client.delete(f"{BASE}/{segment}/{rid}/")
    assert interactions(store, reference) == ["create", "read", "update", "history", "vread", "search", "delete"]
    for event in events(store, reference):
        assert event["outcome"] == "0"
        assert event["agent"][0]["who"]["display"] == "anonymous"
        assert event["agent"][0]["network"]["address"] == "127.0.0.1"
        assert event["recorded"].endswith("Z") and event["action"] in "CRUDE"


def test_failures_are_audited_with_outcome_4(client, store):
    client.get(f"{BASE}/Patient/unknown-id")
    client.put(f"{BASE}/Patient/some-id", json={"resourceType": "Patient", "id": "some-id", "gender": "nope"})
    assert [e["outcome"] for e in events(store, "Patient/unknown-id")] == ["4"]
    assert [(e["subtype"][0]["code"], e["outcome"]) for e in events(store, "Patient/some-id")] == [("update", "4")]


@pytest.mark.settings(CODOC_ALLOW_ANONYMOUS=False)
def test_agent_is_the_token_subject_and_403_is_audited(app, client, store):
    pid = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"], headers=bearer(app, "system/*.*", "writer-app")
                      ).get_json()["id"]
    assert client.delete(f"{BASE}/Patient/{pid}", headers=bearer(app, "system/*.read", "reader-app")
                         ).status_code == 403
    assert client.get(f"{BASE}/Patient/{pid}").status_code == 401
    who = [(e["agent"][0]["who"]["display"], e["subtype"][0]["code"], e["outcome"])
           for e in events(store, f"Patient/{pid}")]
    assert who == [("writer-app", "create", "0"), ("reader-app", "delete", "4"), ("anonymous", "read", "4")]
    assert events(store, f"Patient/{pid}")[0]["agent"][0]["who"]["identifier"]["system"] == "codoc-fhir-api"


def test_search_records_returned_ids_and_parameter_names_never_values(client, store):
    body = {**MINIMAL["Patient"], "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "IPP-778899"}]}
    pid = client.post(f"{BASE}/Patient", json=body).get_json()["id"]
    client.get(f"{BASE}/Patient?identifier=IPP-778899&_count=5")
    client.get(f"{BASE}/Patient?_id=nobody-has-this-id")
    searches = [e for e in events(store) if e["subtype"][0]["code"] == "search"]
    assert searches[0]["entity"] == [{"what": {"reference": f"Patient/{pid}"}}]
    assert searches[0]["outcomeDesc"] == "parameters: _count, identifier"
    assert searches[1]["entity"] == [{"what": {"reference": "Patient"}}]  # no match: the query's type
    assert "IPP-778899" not in json.dumps(events(store))


def test_metadata_and_throttled_requests_are_not_audited(client, store):
    client.get(f"{BASE}/metadata")
    assert events(store) == []


def test_audit_trail_is_readable_by_admin_with_entity_search(app, client, store):
    pid = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"]).get_json()["id"]
    time.sleep(0.005)  # newest first is by ``recorded`` (milliseconds)
    client.get(f"{BASE}/Patient/{pid}")
    for url in (f"{BASE}/AuditEvent?entity=Patient/{pid}", f"{BASE}/auditevent/?entity=Patient/{pid}",
                f"{BASE}/AuditEvent?entity=http://localhost/v4.3.0/Patient/{pid}"):
        bundle = client.get(url, headers=bearer(app, ADMIN)).get_json()
        assert bundle["type"] == "searchset" and bundle["total"] == 2, url
        assert [e["resource"]["subtype"][0]["code"] for e in bundle["entry"]] == ["read", "create"]  # newest first
    event_id = bundle["entry"][0]["resource"]["id"]
    assert client.get(f"{BASE}/AuditEvent/{event_id}", headers=bearer(app, ADMIN)).get_json()["id"] == event_id
    by_agent = client.get(f"{BASE}/AuditEvent?agent=anonymous", headers=bearer(app, ADMIN)).get_json()
    assert by_agent["total"] == 2
    assert_outcome(client.get(f"{BASE}/AuditEvent", headers=bearer(app, ADMIN)), 405)
    assert_outcome(client.get(f"{BASE}/AuditEvent?name=x", headers=bearer(app, ADMIN)), 400)
    assert_outcome(client.get(f"{BASE}/AuditEvent?entity=Patient/{pid}", headers=bearer(app, "system/*.*")), 403)


@pytest.mark.parametrize("method,path", [("PUT", "/AuditEvent/{id}"), ("DELETE", "/AuditEvent/{id}"),
                                         ("POST", "/AuditEvent"), ("DELETE", "/auditevent/{id}/"),
                                         ("PATCH", "/AuditEvent/{id}")])
def test_audit_trail_is_append_only(app, client, store, method, path):
    client.get(f"{BASE}/Patient/x")
    event = events(store)[0]
    response = client.open(f"{BASE}{path.format(id=event['id'])}", method=method, json=event,
                           headers=bearer(app, ADMIN))
    assert_outcome(response, 405, "not-supported")
    assert response.headers["Allow"] == "GET"
    assert len(events(store)) == 1


def test_unwritable_audit_trail_withholds_reads_but_not_finished_writes(client, store, monkeypatch, caplog):
    pid = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"]).get_json()["id"]

    def broken(collection, document):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(store, "append", broken)
    assert_outcome(client.get(f"{BASE}/Patient/{pid}"), 503, "transient")
    assert client.put(f"{BASE}/Patient/{pid}", json={**MINIMAL["Patient"], "id": pid}).status_code == 200
    assert "audit trail not written" in caplog.text


@pytest.mark.settings(CODOC_AUDIT_ENABLED=False)
def test_audit_can_be_turned_off_for_benchmarks(client, store):
    client.post(f"{BASE}/Patient", json=MINIMAL["Patient"])
    assert events(store) == []


def test_a_batch_is_one_event_naming_what_its_entries_touched(client, store):
    """One AuditEvent per request, fed by what the handlers served or wrote (not by re-reading the answer)."""
    oid = client.post(f"{BASE}/Observation", json=MINIMAL["Observation"]).get_json()["id"]
    before = len(events(store))
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "Patient"}, "resource": MINIMAL["Patient"]},
        {"request": {"method": "GET", "url": f"Observation/{oid}"}},
        {"request": {"method": "GET", "url": "Observation/unknown"}}]}
    answer = client.post(f"{BASE}/", json=batch).get_json()
    pid = answer["entry"][0]["response"]["location"].split("/")[1]
    new = events(store)[before:]
    assert len(new) == 1
    assert [e["what"]["reference"] for e in new[0]["entity"]] == [f"Patient/{pid}", f"Observation/{oid}"]


def test_a_write_is_one_event(client, store):
    client.post(f"{BASE}/Patient", json=MINIMAL["Patient"], headers={"X-Request-ID": "one-request"})
    assert [e["agent"][0]["altId"] for e in events(store)] == ["one-request"]


@pytest.mark.settings(CODOC_AUDIT_BATCHED=True)
def test_batched_writer_writes_every_event_of_the_requests(app, client, store):
    ids = [client.post(f"{BASE}/Patient", json=MINIMAL["Patient"]).get_json()["id"] for _ in range(5)]
    assert app.extensions["codoc.audit"].flush()
    assert {e["entity"][0]["what"]["reference"] for e in events(store)} == {f"Patient/{i}" for i in ids}


@pytest.mark.settings(CODOC_AUDIT_BATCHED=True, CODOC_AUDIT_MAX_LAG=0.3)
def test_batched_writer_failing_longer_than_its_window_makes_patient_data_503(app, client, store, monkeypatch):
    pid = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"]).get_json()["id"]
    assert app.extensions["codoc.audit"].flush()
    working = store.append_many

    def broken(collection, documents):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(store, "append_many", broken)
    assert client.get(f"{BASE}/Patient/{pid}").status_code == 200  # within the window
    time.sleep(0.6)
    refused = client.get(f"{BASE}/Patient/{pid}")
    assert_outcome(refused, 503, "transient")
    assert refused.headers["Retry-After"] == "2"
    monkeypatch.setattr(store, "append_many", working)
    assert app.extensions["codoc.audit"].flush()
    assert client.get(f"{BASE}/Patient/{pid}").status_code == 200
    assert len([e for e in events(store, f"Patient/{pid}") if e["subtype"][0]["code"] == "read"]) == 2


def test_a_backlog_keeps_its_age_across_partial_writes(monkeypatch):
    """The lag clock is the age of the oldest event still unwritten: a write of one batch out of a longer backlog
    does not restart it (a store that keeps up with less than what comes in is caught by the time, not only by a
    full queue)."""
    written = []

    class Store:
        def append_many(self, collection, documents):
            written.extend(documents)

    writer = AuditWriter(Store(), batch=2, max_lag=0.2)
    monkeypatch.setattr(writer, "_start", lambda: None)  # no thread: the test writes the batches itself
    for n in range(5):
        writer.record(RequestContext(base_url="", request_id=f"r{n}"), "read", [f"Patient/{n}"])
    time.sleep(0.3)
    assert writer._write_some() and len(written) == 2
    assert not writer.healthy()  # three events still wait, queued 0.3 s ago
    assert writer.flush() and writer.healthy()
    assert [e["agent"][0]["altId"] for e in written] == [f"r{n}" for n in range(5)]
