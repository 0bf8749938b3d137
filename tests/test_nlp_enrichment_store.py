"""Storage of Phenotypes through HTTP (issue 15): a first run writes its set visible and inserts the pointer, without
the publish and older-set look-ups of a re-run; slimmer documents; a concurrent run still leaves exactly one set."""
from __future__ import annotations

import pytest

from handlers.enrichment import note_of
from tests.conftest import BASE
from tests.test_enrichment import NOTE, b64, document, engine, patient_id, phenotypes, settings, status_of  # noqa: F401

pytestmark = pytest.mark.nlp


def test_first_run_needs_no_publish_nor_look_up_of_older_sets(app, client, patient_id, monkeypatch):  # noqa: F811
    store = app.extensions["codoc.store"]

    def refused(*args, **kwargs):
        raise AssertionError("a first run must not publish nor look for older sets")

    monkeypatch.setattr(store, "publish", refused)
    monkeypatch.setattr(store, "expunge_many", refused)
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE)))
    assert created.status_code == 201
    status = status_of(created.get_json())
    bundle = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{created.get_json()['id']}&_count=100")
    found = [e["resource"] for e in bundle.get_json()["entry"]]
    assert status["status"] == "done" and status["phenotypes"] == len(found) > 3
    for resource in found:
        assert "text" not in resource["code"]  # the text as written is valueString only
        assert NOTE[resource["extension"][1]["extension"][0]["valueInteger"]:
                    resource["extension"][1]["extension"][1]["valueInteger"]] == resource["valueString"]


def test_re_run_replaces_the_first_set(client, patient_id):  # noqa: F811
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    before = {r["id"] for r in phenotypes(client, created["id"]).values()}
    assert client.post(f"{BASE}/DocumentReference/{created['id']}/$enrich").status_code == 200
    after = {r["id"] for r in phenotypes(client, created["id"]).values()}
    assert after and not before & after


def test_first_run_that_finds_a_committed_pointer_takes_the_ordered_swap(app, client, patient_id):  # noqa: F811
    """A run marked first whose pointer insert collides (a concurrent $enrich committed): one set remains, the later."""
    created = client.post(f"{BASE}/DocumentReference", json=document(patient_id, b64(NOTE))).get_json()
    enricher = app.extensions["codoc.registry"].enricher
    stored = client.get(f"{BASE}/DocumentReference/{created['id']}").get_json()
    first = {r["id"] for r in phenotypes(client, created["id"]).values()}
    status = enricher._extract(stored, note_of(stored), first=True)
    assert status["status"] == "done"
    bundle = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{created['id']}&_count=100").get_json()
    ids = {e["resource"]["id"] for e in bundle["entry"]}
    runs = {e["resource"]["meta"]["source"].rsplit("#", 1)[1] for e in bundle["entry"]}
    assert len(ids) == status["count"] and not ids & first and runs == {status["run"]}
