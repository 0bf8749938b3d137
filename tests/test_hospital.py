"""A whole hospital built over HTTP, then queried back: hierarchy, IPPs, stays and movements, clinical data, merge."""
from __future__ import annotations

import pytest

from handlers.search.index import value_range
from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import HOSPITAL, IPP, LEVEL_SYSTEM, NO_RATE_LIMIT, create, ids, load, resources, search

pytestmark = pytest.mark.settings(**NO_RATE_LIMIT)
LEVELS = ["instance", "site", "department", "unit"]


def level(organization: dict) -> str | None:
    return next((c["code"] for t in organization.get("type", []) for c in t["coding"]
                 if c["code"] in LEVELS and c.get("system") in (None, LEVEL_SYSTEM)), None)


def test_build_a_hospital_and_query_it_back(client):
    load(client)

    # Everything is there, type by type.
    by_type: dict[str, set[str]] = {}
    for item in HOSPITAL:
        by_type.setdefault(item["resourceType"], set()).add(item["id"])
    for resource_type, expected in by_type.items():
        assert ids(search(client, resource_type, "_lastUpdated=ge2020&_count=100")) == expected, resource_type

    # The hierarchy: from every unit, partOf climbs department → site → instance; $hierarchy gives it all back.
    organizations = {o["id"]: o for o in resources("Organization")}
    units = ids(search(client, "Organization", "type=unit"))
    assert units == {i for i, o in organizations.items() if level(o) == "unit"} and len(units) == 4
    for unit in units:
        chain, current = [], client.get(f"{BASE}/Organization/{unit}").get_json()
        while current:
            chain.append(level(current))
            parent = current.get("partOf", {}).get("reference")
            current = client.get(f"{BASE}/{parent}").get_json() if parent else None
        assert chain == ["unit", "department", "site", "instance"]
    tree = client.get(f"{BASE}/Organization/chu/$hierarchy").get_json()
    assert {e["resource"]["id"] for e in tree["entry"]} == {i for i, o in organizations.items() if level(o)}
    for site in ids(search(client, "Organization", "partof=Organization/chu")):
        assert level(organizations[site]) == "site"
        for department in ids(search(client, "Organization", f"partof=Organization/{site}")):
            assert organizations[department]["partOf"]["reference"] == f"Organization/{site}"

    # Patients: found by every one of their IPPs, old ones included; one official each.
    for patient in resources("Patient"):
        assert len({(i["system"], i["value"]) for i in patient["identifier"] if i["use"] == "official"}) == 1
        for identifier in patient["identifier"]:
            found = search(client, "Patient", f"identifier={identifier['system']}|{identifier['value']}")
            assert ids(found) == {patient["id"]}

    # Stays and their movements: each movement lies within its stay and is cared for by a unit.
    stays = ids(search(client, "Encounter", "type=https://chu-bordeaux.example/fhir/CodeSystem/encounter-type|sejour"))
    assert stays == {"stay-1", "stay-2"}
    for stay_id in stays:
        stay = client.get(f"{BASE}/Encounter/{stay_id}").get_json()
        movements = search(client, "Encounter", f"part-of=Encounter/{stay_id}&_include=Encounter:service-provider")
        assert len(ids(movements)) == 2
        outer = value_range(stay["period"])
        for entry in movements["entry"]:
            if entry["search"]["mode"] == "match":
                inner = value_range(entry["resource"]["period"])
                assert outer[0] <= inner[0] and inner[1] <= outer[1]
                assert entry["resource"]["subject"] == stay["subject"]
        assert all(level(organizations[u]) == "unit" for u in ids(movements, "include"))
    ongoing = search(client, "Encounter", "date=ge2024-04-06T12:00:00Z&_count=1")
    assert ongoing["total"] == 2 and ids(ongoing) <= {"stay-2", "mvt-2b"} and len(ongoing["entry"]) == 1

    # Clinical data of a stay, with the patient included once.
    bundle = search(client, "Observation", "encounter=mvt-1a&_include=Observation:subject&_sort=date")
    assert [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"] == ["obs-trop-1",
                                                                                                "obs-bp-1"]
    assert ids(bundle, "include") == {"pat-dupont"}
    for resource_type, expected in (("Procedure", {"proc-1"}), ("MedicationRequest", {"medrq-1"}),
                                    ("DiagnosticReport", {"dr-1"}), ("DocumentReference", {"doc-cr-1"}),
                                    ("Phenotype", {"phen-1"})):
        assert ids(search(client, resource_type, "patient=pat-dupont")) == expected

    # The rules hold in the built hospital.
    late = {"resourceType": "Encounter", "status": "finished", "class": {"code": "ACUTE"},
            "subject": {"reference": "Patient/pat-dupont"}, "partOf": {"reference": "Encounter/stay-1"},
            "period": {"start": "2024-03-09T10:00:00+01:00", "end": "2024-03-11T10:00:00+01:00"}}
    assert_outcome(client.post(f"{BASE}/Encounter", json=late), 422, "business-rule")
    assert_outcome(client.delete(f"{BASE}/Organization/dept-cardio"), 409, "conflict")
    twin = {"resourceType": "Patient", "identifier": [{"use": "usual", "system": IPP, "value": "IPP-0042"}]}
    assert "Patient/pat-dupont" in assert_outcome(client.post(f"{BASE}/Patient", json=twin), 409)["issue"][0][
        "diagnostics"]
    wrong_unit = {"resourceType": "Organization", "name": "Unité sans pôle", "partOf": {"reference":
                                                                                        "Organization/site-pellegrin"},
                  "type": [{"coding": [{"code": "unit"}]}]}
    assert_outcome(client.post(f"{BASE}/Organization", json=wrong_unit), 422, "business-rule")

    # The duplicate record of Jean Dupont is merged into the right one; its data follows.
    weight = create(client, "Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "poids"},
                                            "subject": {"reference": "Patient/pat-dupond"}})
    merge = {"resourceType": "Parameters", "parameter": [
        {"name": "source-patient", "valueReference": {"reference": "Patient/pat-dupond"}},
        {"name": "target-patient", "valueReference": {"reference": "Patient/pat-dupont"}}]}
    assert client.post(f"{BASE}/Patient/$merge", json=merge).status_code == 200
    assert ids(search(client, "Patient", f"identifier={IPP}|IPP-1099")) == {"pat-dupont"}
    assert ids(search(client, "Patient", "active=false")) == {"pat-dupond"}
    assert weight["id"] in ids(search(client, "Observation", "patient=pat-dupont"))
    assert ids(search(client, "Observation", "patient=pat-dupond")) == set()
