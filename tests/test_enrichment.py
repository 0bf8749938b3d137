"""Semantic enrichment through HTTP: a French note stored → its Phenotypes, replaced on update, gone on delete."""
from __future__ import annotations

import base64
import threading

import uuid

import pytest

import nlp
from tests.conftest import BASE, assert_outcome

pytestmark = pytest.mark.nlp
ICD10, ATC = "http://hl7.org/fhir/sid/icd-10", "http://www.whocc.no/atc"
LOCAL = "https://chu-exemple.fr/fhir/CodeSystem/phenotypes-locaux"
NOTE = ("Patient de 67 ans, hypertendu (HTA) et diabétique de type 2 sous metformine. "
        "Pas de BPCO. Sa mère a eu un cancer du sein.")


@pytest.fixture(scope="session")
def engine():
    nlp.start_loading()
    return nlp.get_engine(wait=None)


@pytest.fixture
def settings(settings, engine):
    return {**settings, "CODOC_NLP": "on"}


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def document(patient_id: str | None, data: str | None, content_type: str = "text/plain") -> dict:
    attachment = {"contentType": content_type}
    if data is not None:
        attachment["data"] = data
    body = {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": attachment}]}
    if patient_id:
        body["subject"] = {"reference": f"Patient/{patient_id}"}
    return body


@pytest.fixture
def patient_id(client):
    return client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "female"}).get_json()["id"]


def phenotypes(client, document_id: str) -> dict[tuple[str, str], dict]:
    bundle = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{document_id}&_count=100").get_json()
    assert bundle["resourceType"] == "Bundle", bundle
    found = {}
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        coding = resource["code"]["coding"][0]
        assertion = next(e["valueCode"] for e in resource["extension"] if e["url"].endswith("phenotype-assertion"))
        found[(coding["system"], coding["code"].split(".")[0])] = {**resource, "assertion": assertion}
    return found


def status_of(response_json: dict) -> dict:
    extension = next(e for e in response_json.get("extension", []) if e["url"].endswith("nlp-enrichment-status"))
    return {part["url"]: next(v for k, v in part.items() if k.startswith("value")) for part in extension["extension"]}


def test_note_becomes_phenotypes_with_codes_assertions_and_offsets(client, patient_id):
    created = client.post(f"{BASE}/documentreference/", json=document(patient_id, b64(NOTE)))
    assert created.status_code == 201
    assert status_of(created.get_json())["status"] == "done"
    found = phenotypes(client, created.get_json()["id"])
    assert found[(ICD10, "I10")]["assertion"] == "affirmed"
    assert found[(ICD10, "E11")]["assertion"] == "affirmed"
    assert found[(ICD10, "J44")]["assertion"] == "negated"
    assert found[(ICD10, "C50")]["assertion"] == "family"
    metformin = next(p for (system, code), p in found.items() if system == ATC and code.startswith("A10BA02"))
    assert metformin["valueString"].lower() == "metformine"
    ids = [p["id"] for p in found.values()]
    assert {uuid.UUID(i).version for i in ids} == {7}  # time-ordered: appended to the store's indexes
    for resource in found.values():
        assert resource["subject"] == {"reference": f"Patient/{patient_id}"}
        assert resource["derivedFrom"] == [{"reference": f"DocumentReference/{created.get_json()['id']}"}]
        assert any(p.endswith("observation-phenotype") for p in resource["meta"]["profile"])
        offsets = next(e for e in resource["extension"] if e["url"].endswith("phenotype-offsets"))["extension"]
        start, end = (o["valueInteger"] for o in offsets)
        assert NOTE[start:end] == resource["valueString"]
        assert client.get(f"{BASE}/observation/{resource['id']}/").status_code == 200
    negated = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{created.get_json()['id']}"
                         f"&assertion=negated").get_json()
    assert {e["resource"]["code"]["coding"][0]["code"] for e in negated["entry"]} == {
        p["code"]["coding"][0]["code"] for p in found.values() if p["assertion"] == "negated"}
    by_patient = client.get(f"{BASE}/phenotype/?subject=Patient/{patient_id}&_count=100").get_json()
    assert by_patient["total"] == len(found) or len(by_patient["entry"]) >= len(found)


def test_updating_the_note_replaces_its_phenotypes(client, patient_id):
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    before = phenotypes(client, created["id"])
    new_note = "Fibrillation auriculaire sous apixaban. Pas de diabète de type 2."
    updated = client.put(f"{BASE}/DocumentReference/{created['id']}",
                         json={**document(patient_id, b64(new_note)), "id": created["id"]})
    assert updated.status_code == 200 and status_of(updated.get_json())["status"] == "done"
    after = phenotypes(client, created["id"])
    assert (ICD10, "I48") in after and (ICD10, "I10") not in after
    assert after[(ICD10, "E11")]["assertion"] == "negated"
    for old in before.values():
        assert client.get(f"{BASE}/phenotype/{old['id']}/").status_code == 404


def test_stored_local_codesystem_concepts_are_matched_without_restart(client, patient_id):
    note = "Le patient présente un syndrome de Brugada-Codoc typique."
    first = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(note))).get_json()
    assert (LOCAL, "SBC") not in phenotypes(client, first["id"])
    code_system = {"resourceType": "CodeSystem", "url": LOCAL, "status": "active", "content": "complete",
                   "concept": [{"code": "SBC", "display": "syndrome de Brugada-Codoc",
                                "designation": [{"value": "maladie de Codoc"}]}]}
    assert client.post(f"{BASE}/CodeSystem", json=code_system).status_code == 201
    rerun = client.post(f"{BASE}/DocumentReference/{first['id']}/$enrich")
    assert rerun.status_code == 200
    found = phenotypes(client, first["id"])
    assert found[(LOCAL, "SBC")]["assertion"] == "affirmed"
    synonym = client.post(f"{BASE}/DocumentReference", json=document(
        patient_id, b64("Pas de maladie de Codoc."))).get_json()
    assert phenotypes(client, synonym["id"])[(LOCAL, "SBC")]["assertion"] == "negated"


def test_deleting_the_document_deletes_its_phenotypes(client, patient_id):
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    ids = [p["id"] for p in phenotypes(client, created["id"]).values()]
    assert ids
    assert client.delete(f"{BASE}/DocumentReference/{created['id']}").status_code == 204
    for phenotype_id in ids:
        assert client.get(f"{BASE}/observation/{phenotype_id}").status_code == 404


@pytest.mark.parametrize("data,content_type,reason", [
    (b64("%PDF-1.4 binary"), "application/pdf", "not text/plain"),
    (b64(b"\xff\xfe\x00diab\xe8te"), "text/plain", "not UTF-8"),
    (None, "text/plain", "no inline data"),
])
def test_unreadable_attachments_are_stored_and_say_why(client, patient_id, data, content_type, reason):
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, data, content_type))
    assert created.status_code == 201
    status = status_of(created.get_json())
    assert status["status"] == "skipped" and reason in status["reason"]
    read = client.get(f"{BASE}/DocumentReference/{created.get_json()['id']}").get_json()
    assert status_of(read)["status"] == "skipped"
    assert read["content"] == created.get_json()["content"]


def test_empty_note_and_note_without_subject(client):
    empty = client.post(f"{BASE}/DocumentReference", json=document(None, b64("")))
    assert empty.status_code == 201 and status_of(empty.get_json())["phenotypes"] == 0
    anonymous = client.post(f"{BASE}/DocumentReference", json=document(None, b64(NOTE))).get_json()
    found = phenotypes(client, anonymous["id"])
    assert found and all("subject" not in p for p in found.values())


def test_note_over_the_limit_fails_with_a_clear_status(client, patient_id, monkeypatch):
    monkeypatch.setenv("CODOC_NLP_MAX_CHARS", "1000")
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE * 40)))
    assert created.status_code == 201
    status = status_of(created.get_json())
    assert status["status"] == "failed" and "exceeds the limit" in status["reason"]
    assert client.get(f"{BASE}/DocumentReference/{created.get_json()['id']}").status_code == 200


def test_create_does_not_wait_for_a_loading_engine(client, patient_id, engine, monkeypatch):
    """While the engine loads, the document is stored at once as pending, then enriched in the background."""
    released = threading.Event()

    def loading(wait=0):
        if wait is None:
            released.wait(30)
            return engine
        return None

    monkeypatch.setattr(nlp, "get_engine", loading)
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE)))
    assert created.status_code == 201 and status_of(created.get_json())["status"] == "pending"
    document_id = created.get_json()["id"]
    released.set()
    for _ in range(100):
        state = client.get(f"{BASE}/DocumentReference/{document_id}/$enrichment-status").get_json()
        if state["parameter"][1]["valueCode"] == "done":
            break
        threading.Event().wait(0.05)
    assert state["parameter"][1]["valueCode"] == "done"
    assert (ICD10, "I10") in phenotypes(client, document_id)


def test_enrich_on_unknown_document_is_404(client):
    assert_outcome(client.post(f"{BASE}/DocumentReference/nope/$enrich"), 404)


def test_concurrent_runs_leave_exactly_one_set(app, client, patient_id):
    """Readers see one complete set whatever the interleaving of runs of the same document."""
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    enricher = app.extensions["codoc.registry"].enricher
    threads = [threading.Thread(target=enricher.enrich, args=(created["id"],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = enricher.status(created["id"])["count"]
    bundle = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{created['id']}&_count=100").get_json()
    runs = {e["resource"]["meta"]["source"] for e in bundle["entry"]}
    assert len(bundle["entry"]) == expected and len(runs) == 1
    store = app.extensions["codoc.store"]
    assert store.collection("Observation").count_documents({"_codoc.src": created["id"]}) == expected


def test_generated_phenotype_has_one_version_readable_by_vread_and_history(client, patient_id):
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    phenotype = next(iter(phenotypes(client, created["id"]).values()))
    assert client.get(f"{BASE}/Phenotype/{phenotype['id']}/_history/1").status_code == 200
    history = client.get(f"{BASE}/Phenotype/{phenotype['id']}/_history").get_json()
    assert history["total"] == 1 and history["entry"][0]["resource"]["id"] == phenotype["id"]
    assert client.get(f"{BASE}/Phenotype/{phenotype['id']}/_history/2").status_code == 404


def test_edited_generated_phenotype_is_still_replaced_by_the_next_run(client, patient_id):
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    edited = phenotypes(client, created["id"])[(ICD10, "I10")]
    body = {k: v for k, v in edited.items() if k != "assertion"}
    body["note"] = [{"text": "relu par le Dr Martin"}]
    assert client.put(f"{BASE}/Phenotype/{edited['id']}", json=body).status_code == 200
    assert phenotypes(client, created["id"])[(ICD10, "I10")]["id"] == edited["id"]
    assert client.post(f"{BASE}/DocumentReference/{created['id']}/$enrich").status_code == 200
    assert client.get(f"{BASE}/Phenotype/{edited['id']}").status_code == 404
    assert phenotypes(client, created["id"])[(ICD10, "I10")]["id"] != edited["id"]


def test_rolled_back_transaction_leaves_no_phenotype_of_its_document(client, store, patient_id):
    """Rollback goes through the handlers: the DocumentReference's Phenotypes go with it."""
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:8c1f0c64-6a3e-4c55-9d7e-1b1e4b7d0a01", "request": {"method": "POST",
                                                                               "url": "DocumentReference"},
         "resource": document(patient_id, b64(NOTE))},
        {"request": {"method": "POST", "url": "Observation"},  # valid, but its reference does not resolve
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "subject": {"reference": "Patient/does-not-exist"}}}]}
    assert_outcome(client.post(f"{BASE}/", json=bundle), 422)
    assert client.get(f"{BASE}/phenotype/?subject=Patient/{patient_id}").get_json().get("entry", []) == []
    assert store.collection("Observation").count_documents({}) == 0


def test_phenotypes_of_an_unfinished_run_count_nowhere(app, client, store, patient_id):
    """Visibility is a query clause: total, _count and next ignore a run still in flight."""
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    enricher = app.extensions["codoc.registry"].enricher
    committed = enricher.status(created["id"])["count"]
    assert committed > 1
    in_flight = [enricher.phenotype(created, concept, "000000000009:run-in-flight")
                 for concept in nlp.get_engine(wait=None).extract(NOTE, [])]
    phenotype_fields = app.extensions["codoc.registry"].get("Phenotype").index_fields
    store.create_many("Observation", in_flight, [phenotype_fields(p) for p in in_flight], history=False,
                      pending=True)
    query = f"{BASE}/phenotype/?derived-from=DocumentReference/{created['id']}"
    first = client.get(f"{query}&_count=1").get_json()
    assert first["total"] == committed and len(first["entry"]) == 1
    last = client.get(f"{query}&_count=1&_offset={committed - 1}").get_json()
    assert len(last["entry"]) == 1 and "next" not in {link["relation"] for link in last["link"]}
    assert client.get(f"{BASE}/Observation/{in_flight[0]['id']}").status_code == 404


@pytest.mark.settings(CODOC_REDIS_URL="redis://127.0.0.1:9/0")
def test_async_mode_with_redis_down_stores_the_note_pending_and_a_sweep_enriches_it(app, client, patient_id,
                                                                                  engine):
    """The pending status record is the durable job: no 500, no duplicate on retry, nothing lost."""
    enricher = app.extensions["codoc.registry"].enricher
    enricher.mode = "async"  # the module's settings turn NLP on; the Redis URL of the marker is unreachable
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE)))
    assert created.status_code == 201 and status_of(created.get_json())["status"] == "pending"
    assert enricher.sweep(engine) == 1
    assert enricher.status(created.get_json()["id"])["status"] == "done"
    assert enricher.sweep(engine) == 0  # a job is taken once
    assert phenotypes(client, created.get_json()["id"])


def test_cohort_of_patients_with_a_phenotype_by_reverse_chaining(client, patient_id):
    """The researchers' query of issue 12: ``Patient?_has:Observation:subject:code=<ICD-10>|E11``."""
    other = client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "male"}).get_json()["id"]
    assert client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).status_code == 201
    assert client.post(f"{BASE}/DocumentReference", json=document(
        other, b64("Patient asthmatique, pas de diabète."))).status_code == 201
    cohort = client.get(f"{BASE}/Patient?_has:Observation:subject:code={ICD10}|E11").get_json()
    assert [e["resource"]["id"] for e in cohort.get("entry", [])] == [patient_id]
    asthma = client.get(f"{BASE}/Patient?_has:Observation:subject:code={ICD10}|J45").get_json()
    assert [e["resource"]["id"] for e in asthma.get("entry", [])] == [other]
