"""Stays and movements: a movement (Encounter partOf its stay) lies within the stay's period, for the same patient."""
from __future__ import annotations

import pytest

from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import ids, put, search

STAY = ("2024-03-01T08:00:00+01:00", "2024-03-10T12:00:00+01:00")


def encounter(encounter_id: str, start: str | None = None, end: str | None = None, stay: str | None = None,
              patient: str = "p1", **extra) -> dict:
    body = {"resourceType": "Encounter", "id": encounter_id, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"reference": f"Patient/{patient}"}}
    if start or end:
        body["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    if stay:
        body["partOf"] = {"reference": f"Encounter/{stay}"}
    return {**body, **extra}


@pytest.fixture
def stay(client):
    for patient_id in ("p1", "p2"):
        put(client, {"resourceType": "Patient", "id": patient_id}, 201)
    put(client, encounter("stay", *STAY), 201)
    return client


@pytest.mark.parametrize("start,end", [
    STAY,
    ("2024-03-01T07:00:00Z", "2024-03-01T07:00:00Z"),  # the stay's start, written in UTC
    ("2024-03-02", "2024-03-03"),
    ("2024-03-05T10:00:00+01:00", "2024-03-10T11:00:00Z"),  # ends exactly with the stay
    (None, None),  # no period: nothing to check
])
def test_movement_within_its_stay_is_accepted(stay, start, end):
    put(stay, encounter("mvt", start, end, "stay"), 201)


@pytest.mark.parametrize("start,end", [
    ("2024-03-01T07:59:00+01:00", "2024-03-02T10:00:00+01:00"),  # starts before the stay
    ("2024-03-09T10:00:00+01:00", "2024-03-10T12:00:01+01:00"),  # ends after it
    ("2024-03-09T10:00:00+01:00", "2024-03-10T11:30:00Z"),  # 12:30 in Paris
    ("2024-03-09T10:00:00+01:00", None),  # still going on in a closed stay
    ("2024-03-01", "2024-03-02"),  # the whole day of March 1st started before 08:00
    ("2024-03-11T10:00:00+01:00", "2024-03-12T10:00:00+01:00"),
])
def test_movement_outside_its_stay_returns_422_and_stores_nothing(stay, store, start, end):
    outcome = assert_outcome(stay.put(f"{BASE}/Encounter/mvt", json=encounter("mvt", start, end, "stay")), 422,
                             "business-rule")
    assert outcome["issue"][0]["expression"] == ["Encounter.period"]
    assert store.collection("Encounter").count_documents({}) == 1


def test_movement_in_a_stay_still_going_on_may_be_open(stay):
    put(stay, encounter("open-stay", "2024-04-05T22:00:00+02:00", status="in-progress"), 201)
    put(stay, encounter("mvt", "2024-04-06T09:00:00+02:00", stay="open-stay", status="in-progress"), 201)
    assert_outcome(stay.put(f"{BASE}/Encounter/early", json=encounter("early", "2024-04-05T19:00:00Z", None,
                                                                      "open-stay")), 422)


def test_movement_update_leaving_the_stay_returns_422_and_changes_nothing(stay):
    put(stay, encounter("mvt", "2024-03-02T10:00:00+01:00", "2024-03-03T10:00:00+01:00", "stay"), 201)
    before = stay.get(f"{BASE}/Encounter/mvt").get_json()
    moved = encounter("mvt", "2024-03-02T10:00:00+01:00", "2024-03-12T10:00:00+01:00", "stay")
    assert_outcome(stay.put(f"{BASE}/Encounter/mvt", json=moved), 422, "business-rule")
    assert stay.get(f"{BASE}/Encounter/mvt").get_json() == before


def test_stay_update_that_would_leave_a_movement_outside_returns_422_naming_it(stay):
    put(stay, encounter("mvt-1", "2024-03-01T08:00:00+01:00", "2024-03-03T10:00:00+01:00", "stay"), 201)
    put(stay, encounter("mvt-2", "2024-03-03T10:00:00+01:00", "2024-03-10T12:00:00+01:00", "stay"), 201)
    shorter = encounter("stay", "2024-03-01T08:00:00+01:00", "2024-03-05T12:00:00+01:00")
    outcome = assert_outcome(stay.put(f"{BASE}/Encounter/stay", json=shorter), 422, "business-rule")
    assert "Encounter/mvt-2" in outcome["issue"][0]["diagnostics"]
    assert "mvt-1" not in outcome["issue"][0]["diagnostics"]
    later = encounter("stay", "2024-03-02T08:00:00+01:00", "2024-03-10T12:00:00+01:00")
    assert "Encounter/mvt-1" in assert_outcome(stay.put(f"{BASE}/Encounter/stay", json=later), 422)["issue"][0][
        "diagnostics"]
    assert stay.get(f"{BASE}/Encounter/stay").get_json()["meta"]["versionId"] == "1"
    put(stay, encounter("stay", "2024-03-01T08:00:00+01:00", "2024-03-11T12:00:00+01:00"), 200)  # longer is fine
    put(stay, encounter("stay", "2024-03-01T08:00:00+01:00", status="in-progress"), 200)  # and reopened too


def test_movement_of_another_patient_returns_422(stay):
    body = encounter("mvt", "2024-03-02", "2024-03-03", "stay", patient="p2")
    outcome = assert_outcome(stay.put(f"{BASE}/Encounter/mvt", json=body), 422, "business-rule")
    assert outcome["issue"][0]["expression"] == ["Encounter.subject"]


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_WRITE=False)
def test_unknown_stay_returns_422_even_without_the_reference_check(client):
    outcome = assert_outcome(client.put(f"{BASE}/Encounter/mvt", json=encounter("mvt", stay="nowhere")), 422)
    assert "Encounter/nowhere" in outcome["issue"][0]["diagnostics"]


def test_partof_cycles_return_422(stay):
    put(stay, encounter("mvt", "2024-03-02", "2024-03-03", "stay"), 201)
    body = encounter("stay", *STAY, stay="mvt")
    outcome = assert_outcome(stay.put(f"{BASE}/Encounter/stay", json=body), 422, "business-rule")
    assert "cycle" in outcome["issue"][0]["diagnostics"]
    assert_outcome(stay.put(f"{BASE}/Encounter/stay", json=encounter("stay", *STAY, stay="stay")), 422)


def test_movements_of_a_movement_lie_within_it(stay):
    put(stay, encounter("mvt", "2024-03-02T00:00:00Z", "2024-03-04T00:00:00Z", "stay"), 201)
    put(stay, encounter("sub", "2024-03-02T10:00:00Z", "2024-03-03T10:00:00Z", "mvt"), 201)
    assert_outcome(stay.put(f"{BASE}/Encounter/sub2", json=encounter("sub2", "2024-03-05", "2024-03-06", "mvt")), 422)


def test_stay_deleted_while_its_movements_reference_it_returns_409(stay):
    put(stay, encounter("mvt", "2024-03-02", "2024-03-03", "stay"), 201)
    assert_outcome(stay.delete(f"{BASE}/Encounter/stay"), 409, "conflict")


def test_movements_are_found_by_their_stay(stay):
    put(stay, encounter("mvt-1", "2024-03-02", "2024-03-03", "stay"), 201)
    put(stay, encounter("mvt-2", "2024-03-04", "2024-03-05", "stay"), 201)
    assert ids(search(stay, "Encounter", "part-of=Encounter/stay")) == {"mvt-1", "mvt-2"}
    assert ids(search(stay, "encounter/", "part-of=stay&date=ge2024-03-04")) == {"mvt-2"}
