"""Referential integrity over HTTP: local references resolve at write time (422), referenced resources stay (409)."""
from __future__ import annotations

import copy

import pytest

from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import create, put
from tests.samples import MINIMAL


def body(name: str, **fields) -> dict:
    return {**copy.deepcopy(MINIMAL[name]), **fields}


#: One reference field per type: (route, field, value builder of a reference to Type/id).
REFERRING = [
    ("Patient", "managingOrganization", "Organization"),
    ("Patient", "link", "Patient"),
    ("Organization", "partOf", "Organization"),
    ("Encounter", "subject", "Patient"),
    ("Encounter", "serviceProvider", "Organization"),
    ("Observation", "subject", "Patient"),
    ("Observation", "derivedFrom", "DocumentReference"),
    ("Phenotype", "derivedFrom", "DocumentReference"),
    ("DocumentReference", "subject", "Patient"),
    ("Procedure", "subject", "Patient"),
    ("MedicationRequest", "encounter", "Encounter"),
    ("DiagnosticReport", "result", "Observation"),
]


def with_reference(name: str, field: str, reference: str) -> dict:
    value = {"reference": reference}
    if field == "link":
        value = [{"other": value, "type": "seealso"}]
    elif field in ("derivedFrom", "result"):
        value = [value]
    return body(name, **{field: value})


@pytest.mark.parametrize("name,field,target", REFERRING, ids=[f"{n}.{f}" for n, f, _ in REFERRING])
def test_dangling_local_reference_on_create_returns_422_and_stores_nothing(client, store, name, field, target):
    outcome = assert_outcome(client.post(f"{BASE}/{name}", json=with_reference(name, field, f"{target}/missing")),
                             422, "business-rule")
    issue = outcome["issue"][0]
    assert f"{target}/missing" in issue["diagnostics"]
    assert issue["expression"][0].startswith(f"{MINIMAL[name]['resourceType']}.{field}")
    stored_type = MINIMAL[name]["resourceType"]
    assert store.collection(stored_type).count_documents({}) == 0


@pytest.mark.parametrize("name,field,target", REFERRING, ids=[f"{n}.{f}" for n, f, _ in REFERRING])
def test_reference_to_a_live_resource_is_accepted(client, name, field, target):
    target_id = create(client, target, body(target))["id"]
    created = create(client, name, with_reference(name, field, f"{target}/{target_id}"))
    assert client.get(f"{BASE}/{name}/{created['id']}").status_code == 200


def test_dangling_reference_on_update_returns_422_and_changes_nothing(client):
    patient = create(client, "Patient", body("Patient"))
    observation = create(client, "Observation", body("Observation", subject={"reference": f"Patient/{patient['id']}"}))
    changed = {**observation, "subject": {"reference": "Patient/gone"}}
    assert_outcome(client.put(f"{BASE}/Observation/{observation['id']}", json=changed), 422, "business-rule")
    assert client.get(f"{BASE}/Observation/{observation['id']}").get_json() == observation


def test_every_dangling_reference_is_listed_with_its_path(client):
    resource = body("DiagnosticReport", subject={"reference": "Patient/p1"},
                    result=[{"reference": "Observation/o1"}, {"reference": "Observation/o2"}])
    outcome = assert_outcome(client.post(f"{BASE}/DiagnosticReport", json=resource), 422)
    assert [i["expression"] for i in outcome["issue"]] == [["DiagnosticReport.subject"],
                                                          ["DiagnosticReport.result[0]"],
                                                          ["DiagnosticReport.result[1]"]]


def test_reference_to_a_deleted_resource_returns_422(client):
    patient = create(client, "Patient", body("Patient"))
    assert client.delete(f"{BASE}/Patient/{patient['id']}").status_code == 204
    resource = body("Observation", subject={"reference": f"Patient/{patient['id']}"})
    assert_outcome(client.post(f"{BASE}/Observation", json=resource), 422, "business-rule")


def test_versioned_reference_resolves_to_its_resource(client):
    patient = create(client, "Patient", body("Patient"))
    resource = body("Observation", subject={"reference": f"Patient/{patient['id']}/_history/1"})
    create(client, "Observation", resource)


@pytest.mark.parametrize("reference", ["Patient/not_valid!", "Patient?identifier=urn:ipp|1", "Encounter/"])
def test_unresolvable_relative_reference_to_a_hosted_type_returns_422(client, reference):
    assert_outcome(client.post(f"{BASE}/Observation", json=body("Observation", subject={"reference": reference})),
                   422, "business-rule")


@pytest.mark.parametrize("reference", ["Practitioner/1", "http://other.example/fhir/Patient/1",
                                       "urn:uuid:9d2c3a5e-7f1b-4c8e-9d0a-123456789abc", "Group/g1"])
def test_references_this_server_cannot_check_are_kept_as_written(client, reference):
    created = create(client, "Observation", body("Observation", subject={"reference": reference}))
    assert created["subject"]["reference"] == reference


def test_contained_reference_is_not_checked(client):
    resource = body("MedicationRequest", contained=[{"resourceType": "Medication", "id": "med1"}],
                    medicationReference={"reference": "#med1"})
    del resource["medicationCodeableConcept"]
    create(client, "MedicationRequest", resource)


def test_self_reference_of_an_update_as_create_resolves(client):
    resource = {**body("Patient"), "id": "self-1", "link": [{"other": {"reference": "Patient/self-1"},
                                                               "type": "seealso"}]}
    put(client, resource, 201)


def test_deleting_a_referenced_resource_returns_409_listing_the_referrers(client, store):
    patient = create(client, "Patient", body("Patient"))
    reference = {"reference": f"Patient/{patient['id']}"}
    observation = create(client, "Observation", body("Observation", subject=reference))
    encounter = create(client, "Encounter", body("Encounter", subject=reference))
    outcome = assert_outcome(client.delete(f"{BASE}/Patient/{patient['id']}"), 409, "conflict")
    diagnostics = outcome["issue"][0]["diagnostics"]
    assert f"Observation/{observation['id']}" in diagnostics and f"Encounter/{encounter['id']}" in diagnostics
    assert client.get(f"{BASE}/Patient/{patient['id']}").status_code == 200
    assert client.delete(f"{BASE}/Observation/{observation['id']}").status_code == 204
    assert client.delete(f"{BASE}/Encounter/{encounter['id']}").status_code == 204
    assert client.delete(f"{BASE}/Patient/{patient['id']}").status_code == 204


def test_a_referrer_that_dropped_the_reference_no_longer_blocks_the_delete(client):
    patient = create(client, "Patient", body("Patient"))
    observation = create(client, "Observation", body("Observation", subject={"reference": f"Patient/{patient['id']}"}))
    assert_outcome(client.delete(f"{BASE}/Patient/{patient['id']}"), 409)
    put(client, {k: v for k, v in observation.items() if k != "subject"}, 200)
    assert client.delete(f"{BASE}/Patient/{patient['id']}").status_code == 204


def test_a_resource_referencing_itself_can_be_deleted(client):
    put(client, {**body("Patient"), "id": "self-2", "link": [{"other": {"reference": "Patient/self-2"},
                                                              "type": "seealso"}]}, 201)
    assert client.delete(f"{BASE}/Patient/self-2").status_code == 204


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_WRITE=False)
def test_write_check_can_be_turned_off(client):
    created = create(client, "Observation", body("Observation", subject={"reference": "Patient/missing"}))
    assert created["subject"]["reference"] == "Patient/missing"


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_DELETE=False)
def test_delete_check_can_be_turned_off(client):
    patient = create(client, "Patient", body("Patient"))
    create(client, "Observation", body("Observation", subject={"reference": f"Patient/{patient['id']}"}))
    assert client.delete(f"{BASE}/Patient/{patient['id']}").status_code == 204
