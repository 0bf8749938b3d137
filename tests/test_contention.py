"""Writers that lose to others, or to a crash: the right status, and a dead write's claim does not block a retry."""
from __future__ import annotations

import time

import pytest

from pymongo.errors import BulkWriteError

from fhirstore import mongo
from tests.conftest import BASE, FHIR_JSON


def _ipp(app, value: str) -> dict:
    return {"system": app.config["CODOC_IPP_SYSTEM"], "value": value, "use": "usual"}


def test_an_update_that_always_loses_the_race_is_409_without_if_match_and_412_with(client, store, monkeypatch):
    client.put(f"{BASE}/Patient/busy", json={"resourceType": "Patient", "id": "busy"}, content_type=FHIR_JSON)
    real = store.collection

    class Losing:  # every replace finds the version moved on, as under endless contention
        def __init__(self, collection):
            self._collection = collection

        def __getattr__(self, name):
            return getattr(self._collection, name)

        def replace_one(self, *args, **kwargs):
            return self._collection.replace_one({"_id": "\0never"}, *args[1:], **kwargs)

    monkeypatch.setattr(store, "collection", lambda t: Losing(real(t)) if t == "Patient" else real(t))
    monkeypatch.setattr(store, "_client_bulk", False)  # each replace through the collection (the one that loses)
    monkeypatch.setattr(mongo, "MAX_WRITE_ATTEMPTS", 3)
    body = {"resourceType": "Patient", "id": "busy", "gender": "female"}
    plain = client.put(f"{BASE}/Patient/busy", json=body, content_type=FHIR_JSON)
    assert plain.status_code == 409, plain.get_json()
    guarded = client.put(f"{BASE}/Patient/busy", json=body, content_type=FHIR_JSON, headers={"If-Match": 'W/"1"'})
    assert guarded.status_code == 412


@pytest.mark.parametrize("age, status", [(0.0, 409), (mongo.CLAIM_LEASE_SECONDS + 0.5, 201)],
                         ids=["write-in-flight", "write-that-died"])
def test_a_claim_whose_resource_was_never_written_blocks_only_while_young(app, client, store, age, status):
    ipp = _ipp(app, "IPP-CRASH-1")
    claim = f"!Patient|{ipp['system']}|{ipp['value']}"
    store.keys.insert_one({"_id": claim, "r": "Patient/died-before-writing", "v": 1, "claim": True,
                           "at": time.time() - age})
    retry = client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "identifier": [ipp]},
                        content_type=FHIR_JSON)
    assert retry.status_code == status, retry.get_json()


def test_a_slow_write_whose_claim_was_taken_over_undoes_itself(app, client, store, monkeypatch):
    ipp = _ipp(app, "IPP-SLOW-1")
    handler = app.extensions["codoc.registry"].get("Patient")
    monotonic = time.monotonic
    claim = f"!Patient|{ipp['system']}|{ipp['value']}"

    def slow_guard_then_rival():  # the slow write's claim is taken over while it waits
        store.keys.update_one({"_id": claim}, {"$set": {"r": "Patient/rival", "at": time.time()}})
        monkeypatch.setattr(time, "monotonic", lambda: monotonic() + mongo.CLAIM_LEASE_SECONDS)

    prepared = handler._prepare({"resourceType": "Patient", "identifier": [ipp]})
    with pytest.raises(Exception) as raised:
        store.create("Patient", {**prepared, "id": "slow"}, handler.index_fields(prepared),
                     guard=slow_guard_then_rival)
    assert getattr(raised.value, "status", None) == 409
    monkeypatch.setattr(time, "monotonic", monotonic)
    assert client.get(f"{BASE}/Patient/slow").status_code == 404
    assert store.keys.find_one({"_id": claim})["r"] == "Patient/rival"


class _HistoryAnsweringCode8:
    """A history collection that answers an insert as nx-27017 does when another writer inserts the same version at
    the same moment: code 8 ("Failed to get last row id."), the copy made (``made``) or not."""

    def __init__(self, collection, made: bool):
        self.collection, self.made = collection, made

    def __getattr__(self, name):
        return getattr(self.collection, name)

    def insert_many(self, documents, ordered=True):
        if self.made:
            self.collection.insert_many(documents, ordered=ordered)
        raise BulkWriteError({"writeErrors": [{"index": 0, "code": 8, "errmsg": "Failed to get last row id."}]})


@pytest.mark.parametrize("made", [True, False], ids=["copy-made", "copy-missing"])
def test_a_history_copy_refused_with_another_code_than_duplicate(client, store, monkeypatch, made):
    """Writers racing on one resource made nx-27017 answer the history copy with code 8 (a 500 in ~10 % of the
    runs of test_core's racing writers): the copy counts when it is there, and a copy really missing fails the
    update before anything is replaced."""
    body = {"resourceType": "Patient", "id": "racing-copy", "name": [{"family": "Avant"}]}
    assert client.put(f"{BASE}/Patient/racing-copy", json=body).status_code == 201
    history = store.history_collection
    monkeypatch.setattr(store, "history_collection", lambda t: _HistoryAnsweringCode8(history(t), made))
    monkeypatch.setattr(store, "_client_bulk", False)  # the two-command path, where the copy is its own insert
    answer = client.put(f"{BASE}/Patient/racing-copy", json={**body, "name": [{"family": "Apres"}]})
    monkeypatch.undo()
    current = client.get(f"{BASE}/Patient/racing-copy").get_json()
    if made:
        assert answer.status_code == 200 and current["meta"]["versionId"] == "2"
        versions = client.get(f"{BASE}/Patient/racing-copy/_history").get_json()["entry"]
        assert [e["resource"]["name"][0]["family"] for e in versions] == ["Apres", "Avant"]
    else:
        assert answer.status_code >= 500 and answer.get_json()["resourceType"] == "OperationOutcome"
        assert current["meta"]["versionId"] == "1" and current["name"][0]["family"] == "Avant"
