"""The store on both backends: unique-key claims, optimistic locking, history (below the HTTP layer)."""
from __future__ import annotations

import time

import pytest

from fhirstore.errors import ConflictError, VersionConflictError


def patient(pid: str) -> dict:
    return {"resourceType": "Patient", "id": pid}


def claim(key: str, owner: str, at: float) -> dict:
    return {"_id": f"!Patient|{key}", "r": f"Patient/{owner}", "v": 1, "at": at, "claim": True}


def test_claim_left_by_a_dead_write_is_taken_over_after_the_lease(store):
    store.keys.insert_one(claim("urn:ipp|42", "ghost", 0))
    stored = store.create("Patient", patient("p1"), {"unique": ["urn:ipp|42"]})
    assert stored["meta"]["versionId"] == "1"
    assert store.keys.find_one({"_id": "!Patient|urn:ipp|42"})["r"] == "Patient/p1"


def test_young_claim_of_a_write_in_flight_is_not_taken_over(store):
    store.keys.insert_one(claim("urn:ipp|43", "in-flight", time.time()))
    with pytest.raises(ConflictError) as caught:
        store.create("Patient", patient("p2"), {"unique": ["urn:ipp|43"]})
    assert caught.value.holder == "in-flight"
    assert store.collection("Patient").count_documents({"_id": "p2"}) == 0


def test_update_releases_keys_no_longer_held(store):
    store.create("Patient", patient("p3"), {"unique": ["urn:ipp|1", "urn:ipp|2"]})
    store.update("Patient", patient("p3"), "1", {"unique": ["urn:ipp|2"]})
    assert store.create("Patient", patient("p4"), {"unique": ["urn:ipp|1"]})["id"] == "p4"


def test_stale_expected_version_is_refused(store):
    store.create("Patient", patient("p5"))
    store.update("Patient", patient("p5"), "1")
    with pytest.raises(VersionConflictError):
        store.update("Patient", patient("p5"), "1")
    assert [v["meta"]["versionId"] for v in store.history("Patient", "p5")] == ["2", "1"]


def test_a_scan_loses_nothing_and_repeats_nothing_when_its_first_page_changes_under_it(store):
    """Past its first page a scan reads on through one cursor: a resource of the first page deleted meanwhile, or a
    new one sorting before its end, neither hides a later resource nor serves one twice."""
    for n in range(7):
        store.create("Patient", patient(f"s{n}"))
    scan = store.scan("Patient", {}, batch=3)
    seen = [next(scan)["id"] for _ in range(3)]
    assert seen == ["s0", "s1", "s2"]
    store.delete("Patient", "s1")
    seen += [r["id"] for r in scan]
    assert seen == ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]
    scan = store.scan("Patient", {}, batch=3)
    seen = [next(scan)["id"] for _ in range(3)]
    assert seen == ["s0", "s2", "s3"]
    store.create("Patient", patient("s15"))  # sorts inside the first page
    seen += [r["id"] for r in scan]
    assert seen == ["s0", "s2", "s3", "s4", "s5", "s6"]


def test_a_record_write_with_an_or_condition_writes_that_record_only(store):
    """A compare-and-set whose condition has alternatives (``$or``) writes the record it names, or nothing
    (nx-27017 applies an ``$or`` beside ``_id`` to another record: the store tries each alternative in turn)."""
    records = store.records("CasProbe")
    for record in ({"_id": "a", "lease": 1}, {"_id": "b"}, {"_id": "c", "lease": 2}, {"_id": "d", "lease": 99}):
        records.insert(record)
    free = {"$or": [{"lease": {"$lt": 5}}, {"lease": {"$exists": False}}]}
    assert records.update("c", {"$set": {"taken": True}}, when=free)
    assert records.update("b", {"$set": {"taken": True}}, when=free)
    assert not records.update("d", {"$set": {"taken": True}}, when=free)
    assert sorted(r["_id"] for r in records.find({"taken": True})) == ["b", "c"]
    assert records.replace({"_id": "a", "lease": 3}, when={"lease": 1, **free})  # alternatives and their twin field
    assert records.get("a") == {"_id": "a", "lease": 3}
    assert not records.replace({"_id": "d", "lease": 0}, when=free, upsert=True)  # held: no write, no second record
    assert records.get("d")["lease"] == 99
    assert records.replace({"_id": "e", "lease": 0}, when=free, upsert=True) and records.get("e")["lease"] == 0
