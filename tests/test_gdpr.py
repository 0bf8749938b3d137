"""GDPR: right of access ($everything), right to erasure ($expunge) leaving nothing behind, logs without
patient data."""
from __future__ import annotations

import base64
import json
import logging

from handlers.audit import AUDIT_COLLECTION
from tests.conftest import BASE, assert_outcome
from tests.test_auth import bearer

ADMIN = "codoc/admin system/*.*"
FAMILY, GIVEN, BIRTH_DATE = "Zebulon-Quastrel", "Anouchka", "1961-07-23"
IPPS = ("IPP-4455667", "IPP-OLD-1122", "MASTER-99881")
NOTE = "Madame Quastrel decrit une dyspnee nocturne depuis trois semaines"
IPP_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
SECRETS = (FAMILY, GIVEN, BIRTH_DATE, *IPPS, NOTE, base64.b64encode(NOTE.encode()).decode()[:40])


def post(client, segment: str, body: dict, headers=None) -> str:
    response = client.post(f"{BASE}/{segment}/", json=body, headers=headers or {})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def patient_body(family=FAMILY, given=GIVEN, birth=BIRTH_DATE, ipps=IPPS) -> dict:
    return {"resourceType": "Patient", "gender": "female", "birthDate": birth,
            "name": [{"family": family, "given": [given]}],
            "identifier": [{"use": use, "system": IPP_SYSTEM, "value": value}
                           for use, value in zip(("usual", "old", "official"), ipps)]}


def build_record(client, headers=None) -> dict[str, str]:
    """A patient with a stay, a movement, observations, a note, a phenotype, a report, a procedure, an order."""
    ids = {"org": post(client, "organization", {"resourceType": "Organization", "name": "CHU Exemple"}, headers)}
    pid = ids["patient"] = post(client, "patient", patient_body(), headers)
    patient = f"Patient/{pid}"
    ids["stay"] = post(client, "encounter", {
        "resourceType": "Encounter", "status": "finished", "subject": {"reference": patient},
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "serviceProvider": {"reference": f"Organization/{ids['org']}"}}, headers)
    ids["movement"] = post(client, "encounter", {  # no subject: reached through its stay
        "resourceType": "Encounter", "status": "finished", "partOf": {"reference": f"Encounter/{ids['stay']}"},
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}}, headers)
    ids["orphan_encounter"] = post(client, "encounter", {  # no subject, referenced by an observation
        "resourceType": "Encounter", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}, headers)
    ids["observation"] = post(client, "observation", {
        "resourceType": "Observation", "status": "final", "subject": {"reference": patient},
        "encounter": {"reference": f"Encounter/{ids['orphan_encounter']}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "valueQuantity": {"value": 5.4, "unit": "mmol/L"}}, headers)
    ids["document"] = post(client, "documentreference", {
        "resourceType": "DocumentReference", "status": "current", "subject": {"reference": patient},
        "context": {"encounter": [{"reference": f"Encounter/{ids['stay']}"}]},
        "content": [{"attachment": {"contentType": "text/plain",
                                    "data": base64.b64encode(NOTE.encode()).decode()}}]}, headers)
    ids["phenotype"] = post(client, "phenotype", {
        "resourceType": "Observation", "status": "final", "code": {"text": "dyspnee"}, "valueString": "dyspnee",
        "derivedFrom": [{"reference": f"DocumentReference/{ids['document']}"}]}, headers)  # derived only
    ids["report"] = post(client, "diagnosticreport", {
        "resourceType": "DiagnosticReport", "status": "final", "code": {"text": "Bilan"},
        "subject": {"reference": patient}, "result": [{"reference": f"Observation/{ids['observation']}"}]},
        headers)
    ids["procedure"] = post(client, "procedure", {"resourceType": "Procedure", "status": "completed",
                                                  "subject": {"reference": patient}}, headers)
    ids["order"] = post(client, "medicationrequest", {
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"text": "Metformine 500 mg"}, "subject": {"reference": patient}}, headers)
    updated = {**patient_body(), "id": pid, "gender": "other"}
    assert client.put(f"{BASE}/Patient/{pid}", json=updated, headers=headers or {}).status_code == 200
    return ids


def build_other_patient(client, headers=None) -> dict[str, str]:
    pid = post(client, "patient", patient_body("Durand", "Paul", "1950-01-01", ("IPP-1", "IPP-2", "IPP-3")),
               headers)
    obs = post(client, "observation", {"resourceType": "Observation", "status": "final",
                                       "subject": {"reference": f"Patient/{pid}"}, "code": {"text": "poids"},
                                       "valueQuantity": {"value": 70, "unit": "kg"}}, headers)
    return {"patient": pid, "observation": obs}


EXPECTED = {"patient": "Patient", "stay": "Encounter", "movement": "Encounter", "orphan_encounter": "Encounter",
            "observation": "Observation", "document": "DocumentReference", "phenotype": "Observation",
            "report": "DiagnosticReport", "procedure": "Procedure", "order": "MedicationRequest"}


def test_everything_returns_the_patient_and_all_its_data_only(app, client):
    ids, other = build_record(client), build_other_patient(client)
    response = client.get(f"{BASE}/patient/{ids['patient']}/$everything", headers=bearer(app, "system/*.read"))
    assert response.status_code == 200, response.get_data(as_text=True)
    bundle = response.get_json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] in ("searchset", "collection")
    got = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]]
    assert got[0] == f"Patient/{ids['patient']}"
    assert sorted(got) == sorted(f"{t}/{ids[k]}" for k, t in EXPECTED.items())
    assert bundle["total"] == len(EXPECTED)
    assert bundle["entry"][0]["resource"]["gender"] == "other"  # the current version
    assert f"Organization/{ids['org']}" not in got and f"Patient/{other['patient']}" not in got


def test_everything_of_unknown_patient_is_404_and_is_audited(app, client, store):
    assert_outcome(client.get(f"{BASE}/Patient/nobody/$everything"), 404)
    event = store.db[AUDIT_COLLECTION].find_one({"entity.what.reference": "Patient/nobody"})
    assert event["outcome"] == "4" and event["outcomeDesc"] == "$everything"


def test_expunge_leaves_nothing_behind_in_any_collection(app, client, store):
    ids, other = build_record(client), build_other_patient(client)
    client.get(f"{BASE}/Patient/{ids['patient']}")
    client.get(f"{BASE}/Patient?identifier={IPPS[0]}")
    client.get(f"{BASE}/Patient/{ids['patient']}/$everything")
    response = client.post(f"{BASE}/Patient/{ids['patient']}/$expunge", headers=bearer(app, ADMIN, "dpo"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["issue"][0]["severity"] == "information"

    erased_ids = {ids[k] for k in EXPECTED}
    db = store.db
    collections = db.list_collection_names()
    assert any(name.endswith("_History") for name in collections)
    for name in collections:
        for document in db[name].find():
            text = json.dumps(document, default=str, ensure_ascii=False)
            assert not [s for s in SECRETS if s in text], (name, text[:300])
            if name != AUDIT_COLLECTION:  # the trail keeps references (ids), nothing else
                assert not [i for i in erased_ids if i in text], (name, text[:300])
    for key, resource_type in EXPECTED.items():
        assert client.get(f"{BASE}/{resource_type}/{ids[key]}").status_code == 404
        assert client.get(f"{BASE}/{resource_type}/{ids[key]}/_history").status_code == 404
    assert client.get(f"{BASE}/Patient/{other['patient']}").status_code == 200
    assert client.get(f"{BASE}/Observation/{other['observation']}").status_code == 200
    assert client.get(f"{BASE}/Organization/{ids['org']}").status_code == 200
    # audited: one event for the request, naming everything erased, by the admin's subject
    trail = list(db[AUDIT_COLLECTION].find({"agent.who.display": "dpo"}))
    assert [(e["subtype"][0]["code"], e["outcomeDesc"]) for e in trail] == [("operation", "$expunge")]
    assert {e["what"]["reference"] for e in trail[0]["entity"]} == {f"{t}/{ids[k]}" for k, t in EXPECTED.items()}


def test_expunge_of_a_deleted_patient_erases_its_versions(app, client, store):
    pid = post(client, "patient", patient_body())
    assert client.delete(f"{BASE}/Patient/{pid}").status_code == 204
    assert client.post(f"{BASE}/Patient/{pid}/$expunge", headers=bearer(app, ADMIN)).status_code == 200
    for name in store.db.list_collection_names():
        if name != AUDIT_COLLECTION:
            assert store.db[name].count_documents({"_id": {"$regex": pid}}) == 0, name
    assert_outcome(client.get(f"{BASE}/Patient/{pid}/_history"), 404)


def test_expunge_of_unknown_patient_is_404(app, client):
    assert_outcome(client.post(f"{BASE}/Patient/nobody/$expunge", headers=bearer(app, ADMIN)), 404)


def test_expunge_is_post_only_and_everything_get_only(app, client):
    pid = post(client, "patient", patient_body())
    assert_outcome(client.get(f"{BASE}/Patient/{pid}/$expunge", headers=bearer(app, ADMIN)), 405)
    assert_outcome(client.post(f"{BASE}/Patient/{pid}/$everything", headers=bearer(app, ADMIN)), 405)


def test_expunge_also_erases_former_versions_of_deleted_referrers(app, client, store):
    pid = post(client, "patient", patient_body())
    oid = post(client, "observation", {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                       "subject": {"reference": f"Patient/{pid}"}, "valueString": NOTE})
    assert client.delete(f"{BASE}/Observation/{oid}").status_code == 204
    assert client.post(f"{BASE}/Patient/{pid}/$expunge", headers=bearer(app, ADMIN)).status_code == 200
    assert store.db["Observation_4_3_0_History"].count_documents({"_codoc.rid": oid}) == 0
    assert store.db["Observation_4_3_0"].count_documents({"_id": oid}) == 0


def test_logs_never_hold_patient_data(app, client, store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    ids = build_record(client)
    pid = ids["patient"]
    client.get(f"{BASE}/Patient/{pid}")
    client.get(f"{BASE}/Patient?identifier={IPPS[0]}")
    client.get(f"{BASE}/Patient?name={FAMILY}")
    client.post(f"{BASE}/patient/", json=patient_body())  # duplicate IPPs: 409 where Multi-IPP is enforced
    client.put(f"{BASE}/Patient/{pid}", json={**patient_body(), "id": pid, "birthDate": f"{BIRTH_DATE}x"})
    client.post(f"{BASE}/patient/", json={**patient_body(), "gender": FAMILY})

    def explode(*args, **kwargs):
        raise ValueError(f"cannot handle {FAMILY} {GIVEN} born {BIRTH_DATE} ({IPPS[0]}): {NOTE}")

    handler = app.extensions["codoc.registry"].get("Patient")
    monkeypatch.setattr(handler, "read", explode)
    assert_outcome(client.get(f"{BASE}/Patient/{pid}"), 500, "exception")
    assert "unexpected ValueError" in caplog.text  # the error is logged, without its message
    leaked = [s for s in SECRETS if s in caplog.text]
    assert not leaked, leaked
