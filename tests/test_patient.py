"""Multi-IPP: one master IPP per patient, an identifier belongs to one patient, lookup by any IPP, $merge."""
from __future__ import annotations

import threading

import pytest

from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import IPP, create, ids, put, search
from tests.test_auth import bearer

OLD_SYSTEM = "https://pellegrin.example/fhir/sid/ipp"


def ipp(value: str, use: str = "official", system: str = IPP) -> dict:
    return {"use": use, "system": system, "value": value}


def patient(*identifiers: dict, family: str = "Martin", **extra) -> dict:
    return {"resourceType": "Patient", "identifier": list(identifiers), "name": [{"family": family}],
            "gender": "female", "birthDate": "1970-03-01", **extra}


def parameters(source: str, target: str) -> dict:
    return {"resourceType": "Parameters", "parameter": [
        {"name": "source-patient", "valueReference": {"reference": f"Patient/{source}"}},
        {"name": "target-patient", "valueReference": {"reference": f"Patient/{target}"}}]}


# -- one official IPP --------------------------------------------------------------------------------------------
def test_official_usual_and_old_ipps_together_are_accepted(client):
    created = create(client, "Patient", patient(ipp("1"), ipp("1", "usual"), ipp("0", "old"), ipp("P-1", "old",
                                                                                                  OLD_SYSTEM)))
    assert [i["use"] for i in created["identifier"]] == ["official", "usual", "old", "old"]


def test_two_official_ipps_return_422_and_store_nothing(client, store):
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=patient(ipp("1"), ipp("2"))), 422, "business-rule")
    assert outcome["issue"][0]["expression"] == ["Patient.identifier[1]"]
    assert store.collection("Patient").count_documents({}) == 0


def test_official_ins_beside_the_official_ipp_is_accepted(client):
    ins = {"use": "official", "system": "urn:oid:1.2.250.1.213.1.4.8", "value": "180017512345660"}
    created = client.post(f"{BASE}/Patient", json=patient(ipp("INS-1"), ins))
    assert created.status_code == 201, created.get_data(as_text=True)


def test_update_adding_a_second_official_ipp_returns_422(client):
    created = create(client, "Patient", patient(ipp("1")))
    changed = {**created, "identifier": [ipp("1"), ipp("2", "usual"), ipp("3")]}
    assert_outcome(client.put(f"{BASE}/Patient/{created['id']}", json=changed), 422, "business-rule")
    assert client.get(f"{BASE}/Patient/{created['id']}").get_json() == created


def test_a_repeated_identical_official_ipp_counts_once(client):
    create(client, "Patient", patient(ipp("1"), ipp("1")))


# -- one patient per identifier ----------------------------------------------------------------------------------
def test_second_patient_with_a_held_ipp_returns_409_naming_the_holder(client, store):
    holder = create(client, "Patient", patient(ipp("1"), ipp("0", "old")))
    for taken in (ipp("1", "usual"), ipp("0", "old"), ipp("0")):
        outcome = assert_outcome(client.post(f"{BASE}/Patient", json=patient(ipp("9", "usual"), taken)), 409,
                                 "conflict")
        assert f"Patient/{holder['id']}" in outcome["issue"][0]["diagnostics"]
        assert outcome["issue"][0]["expression"] == ["Patient.identifier[1]"]
    assert store.collection("Patient").count_documents({}) == 1


def test_the_same_value_in_another_system_is_another_identifier(client):
    create(client, "Patient", patient(ipp("1")))
    create(client, "Patient", patient(ipp("1", system=OLD_SYSTEM)))
    create(client, "Patient", patient({"value": "1"}))  # no system at all
    assert_outcome(client.post(f"{BASE}/Patient", json=patient({"value": "1"})), 409, "conflict")


def test_update_taking_another_patients_ipp_returns_409_and_changes_nothing(client):
    holder = create(client, "Patient", patient(ipp("1")))
    other = create(client, "Patient", patient(ipp("2")))
    changed = {**other, "identifier": [ipp("2"), ipp("1", "old")]}
    outcome = assert_outcome(client.put(f"{BASE}/Patient/{other['id']}", json=changed), 409, "conflict")
    assert holder["id"] in outcome["issue"][0]["diagnostics"]
    assert client.get(f"{BASE}/Patient/{other['id']}").get_json() == other


def test_a_patient_keeps_its_own_ipps_across_updates(client):
    created = create(client, "Patient", patient(ipp("1"), ipp("0", "old")))
    changed = {**created, "identifier": [ipp("1"), ipp("0", "old"), ipp("2", "usual")], "gender": "male"}
    updated = put(client, changed, 200).get_json()
    assert updated["meta"]["versionId"] == "2"


def test_an_ipp_dropped_or_deleted_can_be_given_to_another_patient(client):
    first = create(client, "Patient", patient(ipp("1"), ipp("0", "old")))
    put(client, {**first, "identifier": [ipp("1")]}, 200)
    create(client, "Patient", patient(ipp("0")))
    assert client.delete(f"{BASE}/Patient/{first['id']}").status_code == 204
    create(client, "Patient", patient(ipp("1")))


def test_concurrent_creates_with_one_ipp_let_exactly_one_win(app, backend, request):
    """The store claims each IPP before the write: threads racing for one IPP get one 201 and 409s naming it."""
    results: list = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        own = app.test_client()
        barrier.wait()
        response = own.post(f"{BASE}/Patient", json=patient(ipp("RACE-1", "usual"), ipp(f"own-{n}")))
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [body for status, body in results if status == 201]
    assert len(winners) == 1, results
    assert sorted(status for status, _ in results) == [201] + [409] * 5
    for status, body in results:
        if status == 409:
            assert f"Patient/{winners[0]['id']}" in body["issue"][0]["diagnostics"]
    found = search(app.test_client(), "Patient", "identifier=RACE-1")
    assert ids(found) == {winners[0]["id"]}


def test_validate_reports_a_held_ipp_without_storing(client, store):
    create(client, "Patient", patient(ipp("1")))
    response = client.post(f"{BASE}/Patient/$validate", json=patient(ipp("1")))
    assert response.status_code == 200
    assert response.get_json()["issue"][0]["code"] == "conflict"
    assert store.collection("Patient").count_documents({}) == 1


# -- lookup ------------------------------------------------------------------------------------------------------
def test_lookup_by_any_ipp_old_ones_included(client):
    created = create(client, "Patient", patient(ipp("1"), ipp("1b", "usual"), ipp("0", "old"), ipp("P-7", "old",
                                                                                                   OLD_SYSTEM)))
    create(client, "Patient", patient(ipp("2")))
    for query in (f"{IPP}|1", f"{IPP}|1b", f"{IPP}|0", f"{OLD_SYSTEM}|P-7", "P-7", "0"):
        for route in ("patient/", "Patient"):
            bundle = client.get(f"{BASE}/{route}?identifier={query}").get_json()
            assert ids(bundle) == {created["id"]}, query
    assert ids(search(client, "Patient", f"identifier={OLD_SYSTEM}|0")) == set()


# -- $merge ------------------------------------------------------------------------------------------------------
@pytest.fixture
def two_records(client):
    """One person recorded twice, with clinical data on both records."""
    target = create(client, "Patient", patient(ipp("T-1"), ipp("T-0", "old"), family="Dupont"))
    source = create(client, "Patient", patient(ipp("S-1"), ipp("S-1", "usual"), ipp("S-0", "old", OLD_SYSTEM),
                                               family="Dupond"))
    subject = {"reference": f"Patient/{source['id']}"}
    stay = create(client, "Encounter", {"resourceType": "Encounter", "status": "finished", "subject": subject,
                                        "class": {"code": "IMP"}})
    observation = create(client, "Observation", {
        "resourceType": "Observation", "status": "final", "code": {"text": "poids"}, "subject": subject,
        "encounter": {"reference": f"Encounter/{stay['id']}"},
        "performer": [{"reference": f"Patient/{source['id']}/_history/1"}]})
    on_target = create(client, "Observation", {"resourceType": "Observation", "status": "final",
                                               "code": {"text": "taille"},
                                               "subject": {"reference": f"Patient/{target['id']}"}})
    return {"source": source, "target": target, "stay": stay, "observation": observation, "on_target": on_target}


def test_merge_moves_ipps_links_both_records_and_repoints_references(client, store, two_records):
    source, target = two_records["source"], two_records["target"]
    response = client.post(f"{BASE}/Patient/$merge", json=parameters(source["id"], target["id"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert result["resourceType"] == "Parameters"
    merged = next(p["resource"] for p in result["parameter"] if p["name"] == "result")
    outcome = next(p["resource"] for p in result["parameter"] if p["name"] == "outcome")
    assert outcome["issue"][0]["severity"] == "information"

    target_now = client.get(f"{BASE}/Patient/{target['id']}").get_json()
    assert merged == target_now and target_now["meta"]["versionId"] == "2"
    uses = {(i["system"], i["value"], i["use"]) for i in target_now["identifier"]}
    assert uses == {(IPP, "T-1", "official"), (IPP, "T-0", "old"), (IPP, "S-1", "old"), (OLD_SYSTEM, "S-0", "old")}
    assert target_now["link"] == [{"other": {"reference": f"Patient/{source['id']}"}, "type": "replaces"}]
    assert target_now["name"] == target["name"]

    source_now = client.get(f"{BASE}/Patient/{source['id']}").get_json()
    assert source_now["active"] is False and "identifier" not in source_now
    assert source_now["link"] == [{"other": {"reference": f"Patient/{target['id']}"}, "type": "replaced-by"}]

    for kind in ("stay", "observation"):
        moved = two_records[kind]
        now = client.get(f"{BASE}/{moved['resourceType']}/{moved['id']}").get_json()
        assert now["subject"]["reference"] == f"Patient/{target['id']}"
        assert now["meta"]["versionId"] == "2"
        before = client.get(f"{BASE}/{moved['resourceType']}/{moved['id']}/_history/1").get_json()
        assert before["subject"]["reference"] == f"Patient/{source['id']}"  # history kept
    observation = client.get(f"{BASE}/Observation/{two_records['observation']['id']}").get_json()
    assert observation["performer"] == [{"reference": f"Patient/{target['id']}"}]
    assert observation["encounter"] == two_records["observation"]["encounter"]
    untouched = client.get(f"{BASE}/Observation/{two_records['on_target']['id']}").get_json()
    assert untouched["meta"]["versionId"] == "1"

    for value in ("S-1", "S-0", "T-1"):  # every IPP of both records now finds the target
        assert ids(search(client, "Patient", f"identifier={value}")) == {target["id"]}
    assert ids(search(client, "Observation", f"subject=Patient/{target['id']}")) == {
        two_records["observation"]["id"], two_records["on_target"]["id"]}
    assert ids(search(client, "Observation", f"subject=Patient/{source['id']}")) == set()
    assert ids(search(client, "Patient", f"link=Patient/{source['id']}")) == {target["id"]}

    events = [e for e in store.db["AuditEvent_4_3_0"].find({"outcomeDesc": "$merge"})
              if {"what": {"reference": f"Patient/{source['id']}"}} in e["entity"]]
    assert len(events) == 1  # the merge's own event names every resource it changed
    entities = {e["what"]["reference"] for e in events[0]["entity"]}
    assert {f"Patient/{source['id']}", f"Patient/{target['id']}",
            f"Observation/{two_records['observation']['id']}", f"Encounter/{two_records['stay']['id']}"} <= entities


def test_after_a_merge_the_freed_records_still_protect_their_ipps(client, two_records):
    source, target = two_records["source"], two_records["target"]
    assert client.post(f"{BASE}/Patient/$merge", json=parameters(source["id"], target["id"])).status_code == 200
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=patient(ipp("S-1"))), 409, "conflict")
    assert target["id"] in outcome["issue"][0]["diagnostics"]
    assert_outcome(client.delete(f"{BASE}/Patient/{source['id']}"), 409, "conflict")  # the target links it


def test_merge_by_identifiers(client, two_records):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "source-patient-identifier", "valueIdentifier": {"system": OLD_SYSTEM, "value": "S-0"}},
        {"name": "target-patient-identifier", "valueIdentifier": {"system": IPP, "value": "T-1"}}]}
    response = client.post(f"{BASE}/Patient/$merge", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert client.get(f"{BASE}/Patient/{two_records['source']['id']}").get_json()["active"] is False


@pytest.mark.parametrize("payload,status", [
    ({"resourceType": "Patient"}, 400),
    ({"resourceType": "Parameters", "parameter": []}, 400),
    ({"resourceType": "Parameters", "parameter": [
        {"name": "source-patient", "valueReference": {"reference": "Observation/1"}},
        {"name": "target-patient", "valueReference": {"reference": "Patient/1"}}]}, 400),
    ({"resourceType": "Parameters", "parameter": [
        {"name": "source-patient-identifier", "valueIdentifier": {"system": IPP, "value": "nobody"}},
        {"name": "target-patient", "valueReference": {"reference": "Patient/1"}}]}, 422),
])
def test_merge_with_bad_parameters_is_refused(client, two_records, payload, status):
    assert_outcome(client.post(f"{BASE}/Patient/$merge", json=payload), status)
    assert client.get(f"{BASE}/Patient/{two_records['source']['id']}").get_json() == two_records["source"]


def test_merge_of_unknown_same_or_already_merged_patients_returns_422(client, two_records):
    source, target = two_records["source"]["id"], two_records["target"]["id"]
    assert_outcome(client.post(f"{BASE}/Patient/$merge", json=parameters("nobody", target)), 422, "business-rule")
    assert_outcome(client.post(f"{BASE}/Patient/$merge", json=parameters(source, "nobody")), 422, "business-rule")
    assert_outcome(client.post(f"{BASE}/Patient/$merge", json=parameters(source, source)), 422, "business-rule")
    assert client.post(f"{BASE}/Patient/$merge", json=parameters(source, target)).status_code == 200
    third = create(client, "Patient", patient(ipp("X-1")))
    body = assert_outcome(client.post(f"{BASE}/Patient/$merge", json=parameters(source, third["id"])), 422)
    assert "already merged" in body["issue"][0]["diagnostics"]
    assert_outcome(client.post(f"{BASE}/Patient/$merge", json=parameters(third["id"], source)), 422)


def test_merge_is_a_type_level_post(client):
    assert_outcome(client.get(f"{BASE}/Patient/$merge"), 405)
    statement = client.get(f"{BASE}/metadata").get_json()
    patient_entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert "merge" in {o["name"] for o in patient_entry["operation"]}


def test_merge_needs_write_on_every_type_it_repoints(app, client, two_records):
    body = parameters(two_records["source"]["id"], two_records["target"]["id"])
    answer = client.post(f"{BASE}/Patient/$merge", json=body, headers=bearer(app, "system/Patient.cu"))
    assert_outcome(answer, 403, "forbidden")
    assert "Observation" in answer.get_json()["issue"][0]["diagnostics"]
    assert client.post(f"{BASE}/Patient/$merge", json=body, headers=bearer(app, "system/*.*")).status_code == 200
