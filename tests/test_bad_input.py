"""Bad input: each gets its own 4xx OperationOutcome, nothing is stored, nothing stored changes."""
from __future__ import annotations

import pytest

from tests.conftest import BASE, assert_outcome
from tests.samples import MINIMAL

PATIENT = MINIMAL["Patient"]


@pytest.fixture
def existing(client):
    return client.post(f"{BASE}/Patient", json=PATIENT).get_json()


def _unchanged(client, store, existing):
    assert store.collection("Patient").count_documents({}) == 1
    assert client.get(f"{BASE}/Patient/{existing['id']}").get_json() == existing


@pytest.mark.parametrize("data,content_type,status,code", [
    (b'{"resourceType": "Patient",', "application/fhir+json", 400, "invalid"),
    (b'{"resourceType": "Patient"}', "text/plain", 415, "not-supported"),
    (b'{"resourceType": "Patient"}', "application/xml", 415, "not-supported"),
    (b'[1, 2]', "application/json", 400, "invalid"),
    (b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}}', "application/json", 400,
     "invalid"),
    (b'{"resourceType": "Patient", "favouriteColour": "blue"}', "application/json", 400, "structure"),
    (b'{"resourceType": "Patient", "birthDate": "31/12/1970"}', "application/json", 400, "value"),
    (b'{"resourceType": "Patient", "name": "Martin"}', "application/json", 400, None),
    (b'{"resourceType": "Patient", "gender": "M"}', "application/json", 400, "code-invalid"),
    (b'{"resourceType": "Patient", "id": "not valid!"}', "application/json", 400, "invalid"),
    (b'{"resourceType": "Patient", "meta": null}', "application/json", 400, "structure"),
    (b'{"resourceType": "Patient", "name": [{"family": null}]}', "application/json", 400, "structure"),
])
def test_bad_create_is_refused_and_stores_nothing(client, store, existing, data, content_type, status, code):
    for url in (f"{BASE}/patient/", f"{BASE}/Patient"):
        assert_outcome(client.post(url, data=data, content_type=content_type), status, code)
    _unchanged(client, store, existing)


def test_validation_issues_carry_fhirpath_expressions(client):
    body = {**PATIENT, "identifier": [{"use": "master", "value": "1"}], "gender": "M"}
    issues = assert_outcome(client.post(f"{BASE}/Patient", json=body), 400)["issue"]
    assert {tuple(i["expression"]) for i in issues} == {("Patient.identifier[0].use",), ("Patient.gender",)}


def test_bad_update_changes_nothing(client, store, existing):
    rid = existing["id"]
    cases = [
        ({**PATIENT, "id": "other-id"}, 400),          # id mismatch
        ({**PATIENT}, 400),                            # no id in body
        ({**existing, "resourceType": "Organization", "name": "x"}, 400),
        ({**existing, "gender": "unknown-code"}, 400),
    ]
    for body, status in cases:
        assert_outcome(client.put(f"{BASE}/Patient/{rid}", json=body), status)
    assert_outcome(client.put(f"{BASE}/Patient/{rid}", data=b"{", content_type="application/json"), 400)
    _unchanged(client, store, existing)


@pytest.mark.settings(CODOC_MAX_BODY_BYTES=2048)
def test_body_over_the_limit_returns_413(client, store, existing):
    big = {**PATIENT, "name": [{"family": "x" * 4096}]}
    assert_outcome(client.post(f"{BASE}/Patient", json=big), 413, "too-long")
    _unchanged(client, store, existing)


def test_default_body_limit_is_10_mib(app):
    assert app.config["CODOC_MAX_BODY_BYTES"] == 10 * 1024 * 1024


def test_delete_unknown_is_idempotent_and_read_of_deleted_is_410(client, existing):
    assert client.delete(f"{BASE}/Patient/never-was").status_code == 204
    client.delete(f"{BASE}/Patient/{existing['id']}")
    assert_outcome(client.put(f"{BASE}/Patient/{existing['id']}", json=existing, headers={"If-Match": 'W/"1"'}), 412)


def test_method_not_allowed_is_an_outcome(client, existing):
    response = client.post(f"{BASE}/Patient/{existing['id']}", json={})
    assert_outcome(response, 405)
    assert response.headers["Allow"]
