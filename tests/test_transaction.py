"""POST / with a batch or transaction Bundle."""
from __future__ import annotations

from tests.conftest import BASE, assert_outcome
from tests.samples import MINIMAL


def entry(method, url, resource=None, full_url=None):
    item = {"request": {"method": method, "url": url}}
    if resource is not None:
        item["resource"] = resource
    if full_url:
        item["fullUrl"] = full_url
    return item


def test_transaction_creates_linked_resources_with_urn_uuid_references(client):
    observation = {**MINIMAL["Observation"], "subject": {"reference": "urn:uuid:p1"}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Observation", observation),  # listed before its target on purpose
        entry("POST", "Patient", MINIMAL["Patient"], "urn:uuid:p1")]}
    response = client.post(f"{BASE}/", json=bundle)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created"]
    patient_id = body["entry"][1]["resource"]["id"]
    observation_id = body["entry"][0]["resource"]["id"]
    stored = client.get(f"{BASE}/Observation/{observation_id}").get_json()
    assert stored["subject"]["reference"] == f"Patient/{patient_id}"


def test_failing_transaction_changes_nothing(client, store):
    existing = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"]).get_json()
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("PUT", f"Patient/{existing['id']}", {**existing, "gender": "male"}),
        entry("POST", "Organization", {"resourceType": "Organization", "name": "Labo"}),
        entry("POST", "Observation", {**MINIMAL["Observation"], "subject": {"reference": "Patient/ghost"}})]}
    body = assert_outcome(client.post(f"{BASE}/", json=bundle), 422)
    assert "rolled back" in str(body)
    assert client.get(f"{BASE}/Patient/{existing['id']}").get_json()["gender"] == "female"
    assert store.collection("Organization").count_documents({}) == 0
    assert store.collection("Observation").count_documents({}) == 0


def test_invalid_entry_refuses_the_whole_transaction_before_writing(client, store):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        entry("POST", "Patient", MINIMAL["Patient"]),
        entry("POST", "Patient", {**MINIMAL["Patient"], "gender": "M"})]}
    assert_outcome(client.post(f"{BASE}/", json=bundle), 400, "code-invalid")
    assert store.collection("Patient").count_documents({}) == 0


def test_batch_entries_succeed_or_fail_alone(client):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        entry("POST", "Patient", MINIMAL["Patient"]),
        entry("GET", "Patient/unknown"),
        entry("POST", "Patient", {**MINIMAL["Patient"], "gender": "M"})]}
    body = client.post(f"{BASE}/", json=bundle).get_json()
    assert body["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created", "404", "400"]
    assert body["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"


def test_bundle_of_wrong_type_is_400(client):
    assert_outcome(client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "collection"}), 400)
    assert_outcome(client.post(f"{BASE}/", json=MINIMAL["Patient"]), 400)


def test_a_batch_of_creations_is_written_in_bulk_and_refuses_entries_one_by_one(client):
    """Consecutive creations of one type go in one bulk write; a held IPP or a dangling reference refuses only its
    entry, with its own status."""
    ipp = "urn:oid:1.2.250.1.71.4.2.1"
    entries = [{"request": {"method": "POST", "url": "Patient"},
                "resource": {"resourceType": "Patient", "identifier": [{"system": ipp, "value": f"BULK-{i % 250}"}]}}
               for i in range(251)]  # the last one repeats BULK-0
    answer = client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "batch", "entry": entries}).get_json()
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses[:250] == ["201 Created"] * 250 and statuses[250] == "409"
    pid = answer["entry"][0]["response"]["location"].split("/")[1]
    observations = [{"request": {"method": "POST", "url": "Observation"}, "resource": {
        "resourceType": "Observation", "status": "final", "code": {"text": "poids"},
        "subject": {"reference": f"Patient/{target}"}}} for target in (pid, "nobody", pid)]
    answer = client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "batch", "entry": observations})
    assert [e["response"]["status"] for e in answer.get_json()["entry"]] == ["201 Created", "422", "201 Created"]
    assert client.get(f"{BASE}/Patient?identifier=BULK-0").get_json()["total"] == 1
