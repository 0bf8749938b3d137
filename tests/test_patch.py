"""PATCH through HTTP: JSON Patch and FHIRPath Patch on both URL spellings, ruled like an update (versions,
If-Match, Prefer, validation, references, enrichment), conditional patch, and the errors of each step."""
from __future__ import annotations

import base64
import json

import pytest

from handlers.patching import from_bundle_entry
from tests.conftest import BASE, assert_outcome
from tests.test_audit import interactions
from tests.test_auth import bearer

IPP = "urn:oid:1.2.250.1.71.4.2.1"
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
FHIR = {"Content-Type": "application/fhir+json"}


def operation(kind: str, path: str, **parts) -> dict:
    """One FHIRPath Patch operation; ``value`` as ``{"valueX": …}`` or a list of parts."""
    part = [{"name": "type", "valueCode": kind}, {"name": "path", "valueString": path}]
    for name, value in parts.items():
        if name == "value":
            part.append({"name": "value", **value} if isinstance(value, dict) else {"name": "value", "part": value})
        elif isinstance(value, int):
            part.append({"name": name, "valueInteger": value})
        else:
            part.append({"name": name, "valueString": value})
    return {"name": "operation", "part": part}


def fhirpath_patch(*operations) -> dict:
    return {"resourceType": "Parameters", "parameter": list(operations)}


def patch(client, url: str, document, headers: dict | None = None):
    content = JSON_PATCH if isinstance(document, list) else FHIR
    return client.patch(url, data=json.dumps(document), headers={**content, **(headers or {})})


@pytest.fixture
def patient(client) -> dict:
    return client.post(f"{BASE}/Patient", json={
        "resourceType": "Patient", "gender": "female", "birthDate": "1950-02-03",
        "identifier": [{"system": IPP, "value": "P-1"}], "name": [{"family": "Durand", "given": ["Anne"]}]}).get_json()


@pytest.fixture
def observation(client, patient) -> dict:
    return client.post(f"{BASE}/Observation", json={
        "resourceType": "Observation", "status": "preliminary", "code": {"text": "poids"},
        "subject": {"reference": f"Patient/{patient['id']}"},
        "valueQuantity": {"value": 70, "unit": "kg"}}).get_json()


def test_json_patch_on_both_spellings_makes_new_versions(client, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    answer = patch(client, url, [{"op": "replace", "path": "/gender", "value": "male"},
                                 {"op": "add", "path": "/name/0/given/-", "value": "Marie"}])
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["ETag"] == 'W/"2"' and answer.headers["Location"].endswith("/_history/2")
    assert answer.get_json()["gender"] == "male" and answer.get_json()["name"][0]["given"] == ["Anne", "Marie"]
    seed = patch(client, f"{BASE}/patient/{patient['id']}/", [{"op": "remove", "path": "/birthDate"}])
    assert seed.status_code == 200 and seed.get_json()["meta"]["versionId"] == "3"
    current = client.get(url).get_json()
    assert "birthDate" not in current and current["gender"] == "male"
    assert client.get(f"{url}/_history/1").get_json()["gender"] == "female"


def test_fhirpath_patch_on_observation(client, observation):
    url = f"{BASE}/Observation/{observation['id']}"
    answer = patch(client, url, fhirpath_patch(
        operation("replace", "Observation.status", value={"valueCode": "final"}),
        operation("replace", "Observation.value", value={"valueQuantity": {"value": 71.5, "unit": "kg"}}),
        operation("add", "Observation", name="note", value=[{"name": "text", "valueMarkdown": "à jeun"}]),
        operation("add", "Observation", name="interpretation", value={"valueCodeableConcept": {"text": "normal"}})))
    assert answer.status_code == 200, answer.get_json()
    served = client.get(f"{BASE}/observation/{observation['id']}/").get_json()
    assert served["status"] == "final" and served["valueQuantity"]["value"] == 71.5
    assert served["note"] == [{"text": "à jeun"}] and served["interpretation"] == [{"text": "normal"}]
    assert served["meta"]["versionId"] == "2"


def test_fhirpath_patch_on_lists_with_where(client, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    answer = patch(client, url, fhirpath_patch(
        operation("insert", "Patient.identifier", index=0,
                  value={"valueIdentifier": {"system": "urn:example:mrn", "value": "MRN-1"}}),
        operation("add", f"Patient.identifier.where(system = '{IPP}')", name="use", value={"valueCode": "usual"}),
        operation("move", "Patient.identifier", source=0, destination=1),
        operation("replace", "Patient.identifier.where(system = 'urn:example:mrn' and value != 'x' or false).value",
                  value={"valueString": "MRN-2"}),
        operation("delete", "Patient.name.given[0]"),
        operation("delete", "Patient.telecom")))  # nothing there: no change, no error
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [i["value"] for i in body["identifier"]] == ["P-1", "MRN-2"] and body["identifier"][0]["use"] == "usual"
    assert body["name"] == [{"family": "Durand"}]


def test_if_match_guards_a_patch(client, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    document = [{"op": "replace", "path": "/gender", "value": "male"}]
    assert_outcome(patch(client, url, document, {"If-Match": 'W/"7"'}), 412, "conflict")
    assert client.get(url).get_json()["meta"]["versionId"] == "1"
    assert patch(client, url, document, {"If-Match": 'W/"1"'}).status_code == 200
    assert_outcome(patch(client, url, document, {"If-Match": 'W/"1"'}), 412)


def test_prefer_return_is_honoured(client, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    minimal = patch(client, url, [{"op": "replace", "path": "/gender", "value": "male"}],
                    {"Prefer": "return=minimal"})
    assert minimal.status_code == 200 and minimal.get_data() == b"" and minimal.headers["ETag"] == 'W/"2"'
    outcome = patch(client, url, [{"op": "replace", "path": "/gender", "value": "other"}],
                    {"Prefer": "return=OperationOutcome"})
    body = outcome.get_json()
    assert outcome.status_code == 200 and body["resourceType"] == "OperationOutcome"
    assert "updated (version 3)" in body["issue"][-1]["diagnostics"]


def test_patch_errors(client, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    assert_outcome(patch(client, f"{BASE}/Patient/never-was", [{"op": "remove", "path": "/gender"}]), 404)
    assert_outcome(client.patch(url, data="gender=male", headers={"Content-Type": "text/plain"}), 415)
    assert_outcome(client.patch(url, data="[{", headers=JSON_PATCH), 400)
    assert_outcome(patch(client, url, {"op": "remove", "path": "/gender"}), 400)  # JSON, not a Parameters
    bad = assert_outcome(patch(client, url, [{"op": "replace", "path": "/gender", "value": "male"},
                                             {"op": "rename", "path": "/gender"}]), 400)
    assert "operation 2" in bad["issue"][0]["diagnostics"]
    bad = assert_outcome(patch(client, url, fhirpath_patch(operation("replace", "Patient.name[0.family",
                                                                     value={"valueString": "X"}))), 400)
    assert "FHIRPath Patch operation 1 (replace" in bad["issue"][0]["diagnostics"]
    assert_outcome(patch(client, url, fhirpath_patch(operation("upsert", "Patient.gender"))), 400)
    failed = assert_outcome(patch(client, url, [{"op": "test", "path": "/gender", "value": "male"}]), 422,
                            "processing")
    assert "JSON Patch operation 1 (test '/gender')" in failed["issue"][0]["diagnostics"]
    assert_outcome(patch(client, url, [{"op": "remove", "path": "/deceasedBoolean"}]), 422, "processing")
    assert_outcome(patch(client, url, fhirpath_patch(operation("replace", "Patient.maritalStatus",
                                                               value={"valueCodeableConcept": {"text": "x"}}))), 422)
    assert client.get(url).get_json()["meta"]["versionId"] == "1"  # nothing written by any of them


@pytest.mark.parametrize("document", [
    [{"op": "replace", "path": "/id", "value": "other"}],
    [{"op": "replace", "path": "/resourceType", "value": "Group"}],
    [{"op": "replace", "path": "/meta/versionId", "value": "9"}],
    [{"op": "remove", "path": "/meta"}],
    fhirpath_patch(operation("replace", "Patient.id", value={"valueId": "other"}))])
def test_server_owned_elements_cannot_be_patched(client, patient, document):
    body = assert_outcome(patch(client, f"{BASE}/Patient/{patient['id']}", document), 400, "invalid")
    assert "may not change" in body["issue"][0]["diagnostics"]


def test_the_patched_resource_is_validated_and_ruled_like_an_update(client, patient, observation):
    invalid = patch(client, f"{BASE}/Patient/{patient['id']}", [{"op": "replace", "path": "/gender", "value": "robot"}])
    assert_outcome(invalid, 400)
    unknown = patch(client, f"{BASE}/Patient/{patient['id']}", [{"op": "add", "path": "/colour", "value": "blue"}])
    assert_outcome(unknown, 400)
    dangling = patch(client, f"{BASE}/Observation/{observation['id']}",
                     [{"op": "replace", "path": "/subject/reference", "value": "Patient/nobody"}])
    assert_outcome(dangling, 422, "business-rule")
    other = client.post(f"{BASE}/Patient", json={"resourceType": "Patient",
                                                 "identifier": [{"system": IPP, "value": "P-2"}]}).get_json()
    taken = patch(client, f"{BASE}/Patient/{other['id']}",
                  [{"op": "replace", "path": "/identifier/0/value", "value": "P-1"}])
    assert_outcome(taken, 409, "conflict")  # the IPP is the first patient's


def test_deleted_resource_is_gone(client, patient):
    client.delete(f"{BASE}/Patient/{patient['id']}")
    assert_outcome(patch(client, f"{BASE}/Patient/{patient['id']}", [{"op": "remove", "path": "/gender"}]), 410)


def test_conditional_patch(client, patient):
    found = patch(client, f"{BASE}/Patient?identifier={IPP}|P-1", [{"op": "replace", "path": "/gender",
                                                                     "value": "male"}])
    assert found.status_code == 200 and found.get_json()["id"] == patient["id"]
    assert found.get_json()["meta"]["versionId"] == "2"
    seed = patch(client, f"{BASE}/patient/?identifier={IPP}|P-1",
                 fhirpath_patch(operation("replace", "Patient.gender", value={"valueCode": "other"})))
    assert seed.status_code == 200 and seed.get_json()["gender"] == "other"
    assert_outcome(patch(client, f"{BASE}/Patient?identifier={IPP}|P-404", [{"op": "remove", "path": "/gender"}]),
                   404)
    for value in ("T-1", "T-2"):
        client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "name": [{"family": "Twin"}],
                                             "identifier": [{"system": IPP, "value": value}]})
    assert_outcome(patch(client, f"{BASE}/Patient?family=twin", [{"op": "remove", "path": "/gender"}]), 412)
    assert_outcome(patch(client, f"{BASE}/Patient", [{"op": "remove", "path": "/gender"}]), 400)


def test_patch_needs_the_update_scope_and_is_audited_as_patch(app, client, store, patient):
    url = f"{BASE}/Patient/{patient['id']}"
    document = [{"op": "replace", "path": "/gender", "value": "male"}]
    assert_outcome(patch(client, url, document, bearer(app, "system/Patient.read")), 403)
    assert patch(client, url, document, bearer(app, "system/Patient.write")).status_code == 200
    assert "patch" in interactions(store, f"Patient/{patient['id']}")


def test_patching_a_note_enriches_the_new_text(app, client, patient, monkeypatch):
    submitted = []
    enricher = app.extensions["codoc.registry"].enricher
    monkeypatch.setattr(enricher, "submit", lambda document: submitted.append(document) or {
        "status": "skipped", "reason": "enrichment is off (CODOC_NLP=off)"})
    text = base64.b64encode("Patient hypertendu.".encode()).decode()
    created = client.post(f"{BASE}/DocumentReference", json={
        "resourceType": "DocumentReference", "status": "current", "subject": {"reference": f"Patient/{patient['id']}"},
        "content": [{"attachment": {"contentType": "text/plain", "data": text}}]}).get_json()
    new_text = base64.b64encode("Patient diabétique.".encode()).decode()
    answer = patch(client, f"{BASE}/DocumentReference/{created['id']}",
                   [{"op": "replace", "path": "/content/0/attachment/data", "value": new_text}])
    assert answer.status_code == 200, answer.get_json()
    assert [d["content"][0]["attachment"]["data"] for d in submitted] == [text, new_text]
    assert submitted[-1]["meta"]["versionId"] == "2"


def test_bundle_entries_carry_patches_as_parameters_or_binary():
    parameters = fhirpath_patch(operation("delete", "Patient.gender"))
    assert from_bundle_entry(parameters) == (parameters, "application/fhir+json")
    document = [{"op": "remove", "path": "/gender"}]
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
              "data": base64.b64encode(json.dumps(document).encode()).decode()}
    assert from_bundle_entry(binary) == (document, "application/json-patch+json")
    for wrong in ({**binary, "contentType": "text/plain"}, {**binary, "data": "%%%"}, {"resourceType": "Patient"}):
        with pytest.raises(Exception) as raised:
            from_bundle_entry(wrong)
        assert getattr(raised.value, "status", None) == 400


def test_capability_statement_declares_patch(client):
    statement = client.get(f"{BASE}/metadata").get_json()
    assert statement["patchFormat"] == ["application/json-patch+json", "application/fhir+json"]
    for resource in statement["rest"][0]["resource"]:
        assert "patch" in {i["code"] for i in resource["interaction"]}, resource["type"]


def _binary_patch(operations: list) -> dict:
    return {"resourceType": "Binary", "contentType": "application/json-patch+json",
            "data": base64.b64encode(json.dumps(operations).encode()).decode()}


def test_patch_entries_in_a_transaction_apply_together(client, patient, observation):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": _binary_patch([{"op": "replace", "path": "/gender", "value": "male"}]),
         "request": {"method": "PATCH", "url": f"Patient/{patient['id']}"}},
        {"resource": fhirpath_patch(operation("replace", "Observation.status", value={"valueCode": "final"})),
         "request": {"method": "PATCH", "url": "Observation?_id=" + observation["id"]}}]}
    answer = client.post(f"{BASE}/", json=bundle)
    assert answer.status_code == 200, answer.get_json()
    assert [e["response"]["status"] for e in answer.get_json()["entry"]] == ["200 OK", "200 OK"]
    assert client.get(f"{BASE}/Patient/{patient['id']}").get_json()["gender"] == "male"
    read = client.get(f"{BASE}/Observation/{observation['id']}")
    assert read.get_json()["status"] == "final" and read.headers["ETag"] == 'W/"2"'


def test_a_failing_patch_rolls_the_whole_transaction_back(client, patient):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"family": "Nouvelle"}]},
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": _binary_patch([{"op": "replace", "path": "/gender", "value": "male"}]),
         "request": {"method": "PATCH", "url": f"Patient/{patient['id']}"}},
        {"resource": _binary_patch([{"op": "test", "path": "/gender", "value": "other"}]),
         "request": {"method": "PATCH", "url": f"Patient/{patient['id']}"}}]}
    assert client.post(f"{BASE}/", json=bundle).status_code == 400  # the same resource patched twice
    bundle["entry"] = bundle["entry"][:1] + [
        {"resource": _binary_patch([{"op": "test", "path": "/gender", "value": "other"}]),
         "request": {"method": "PATCH", "url": f"Patient/{patient['id']}"}}]
    answer = client.post(f"{BASE}/", json=bundle)
    assert answer.status_code == 422, answer.get_json()
    assert not client.get(f"{BASE}/Patient?family=Nouvelle").get_json().get("entry")
    read = client.get(f"{BASE}/Patient/{patient['id']}")
    assert read.get_json()["gender"] == "female" and read.headers["ETag"] == 'W/"1"'


def test_patch_entries_of_a_batch_succeed_or_fail_alone(client, patient):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": _binary_patch([{"op": "replace", "path": "/gender", "value": "male"}]),
         "request": {"method": "PATCH", "url": f"Patient/{patient['id']}"}},
        {"resource": {"resourceType": "Patient"}, "request": {"method": "PATCH", "url": "Patient/nowhere"}}]}
    answer = client.post(f"{BASE}/", json=bundle).get_json()
    assert answer["entry"][0]["response"]["status"] == "200 OK"
    assert answer["entry"][1]["response"]["status"].startswith("400")
