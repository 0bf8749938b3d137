"""The fhirpy client, unmodified, against a real `codoc run`: create, search, conditional update and delete on a
search set, `$lastn`."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fhirstore.embedded import free_port
from tests.test_live_server import start, stop

fhirpy = pytest.importorskip("fhirpy")
pytestmark = pytest.mark.wire

IPP = "urn:oid:1.2.250.1.71.4.2.1"
LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """fhirpy's client of a `codoc run` serving this tree's code (the installed command may import another)."""
    port, tree = free_port(), str(Path(__file__).parents[1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, (tree, os.environ.get("PYTHONPATH")))))
        server = start(tmp_path_factory.mktemp("fhirpy"), port)
    try:
        yield fhirpy.SyncFHIRClient(f"http://127.0.0.1:{port}/v4.3.0")
    finally:
        stop(server)


def test_create_then_search_with_modifiers(client):
    anne = client.resource("Patient", identifier=[{"system": IPP, "value": "PY-1"}],
                           name=[{"family": "Pyclient", "given": ["Anne"]}], gender="female")
    anne.save()
    client.resource("Patient", name=[{"family": "Pyclient", "given": ["Paul"]}], gender="male").save()
    found = client.resources("Patient").search(family="pyclient").fetch_all()
    assert {p["name"][0]["given"][0] for p in found} == {"Anne", "Paul"}
    assert client.resources("Patient").search(identifier=f"{IPP}|PY-1").get().id == anne.id
    without = client.resources("Patient").search(family="pyclient", **{"identifier:missing": "true"}).fetch()
    assert [p["name"][0]["given"][0] for p in without] == ["Paul"]
    assert client.resources("Patient").search(family="pyclient", **{"gender:not": "male"}).first().id == anne.id


def test_conditional_update_and_delete_on_a_search_set(client):
    search = client.resources("Patient").search(identifier=f"{IPP}|PY-2")
    created, was_created = search.update(client.resource("Patient", identifier=[{"system": IPP, "value": "PY-2"}],
                                                         name=[{"family": "Condpy"}]))
    assert was_created and created.id
    updated, was_created = search.update(client.resource("Patient", identifier=[{"system": IPP, "value": "PY-2"}],
                                                         name=[{"family": "Condpy", "given": ["Zoé"]}]))
    assert not was_created and updated.id == created.id and updated["meta"]["versionId"] == "2"
    _, status = search.delete()
    assert status == 204
    assert search.fetch() == []


def test_lastn_through_the_search_set(client):
    patient = client.resource("Patient", name=[{"family": "Lastpy"}])
    patient.save()
    for day, value in (("01", 70), ("02", 75), ("03", 80)):
        client.resource("Observation", status="final", code={"coding": [{"system": LOINC, "code": "8867-4"}]},
                        subject={"reference": f"Patient/{patient.id}"}, effectiveDateTime=f"2024-01-{day}T10:00:00Z",
                        valueQuantity={"value": value, "unit": "/min"}).save()
    bundle = client.resources("Observation").execute("$lastn", method="get",
                                                     params={"patient": patient.id, "max": "2"})
    assert [e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]] == [80, 75]
