"""The maintenance commands, run as an operator would: `codoc init-db` and `codoc reindex` against a store server."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE

pytestmark = pytest.mark.wire
CODOC = str(Path(sys.executable).with_name("codoc"))


@pytest.fixture
def backend():
    return "wire"  # the command is another process: it needs a store server


def codoc(settings: dict, *args: str) -> subprocess.CompletedProcess:
    """The command, importing this tree's code (the installed one may point at another checkout)."""
    tree = str(Path(__file__).parents[1])
    env = {**os.environ, **{k: str(v) for k, v in settings.items()},
           "PYTHONPATH": os.pathsep.join(filter(None, (tree, os.environ.get("PYTHONPATH"))))}
    return subprocess.run([CODOC, *args], env=env, capture_output=True, text=True, timeout=120)


def first_keys(store, resource_type: str) -> set[str]:
    return {info["key"][0][0] for info in store.collection(resource_type).index_information().values()}


@pytest.mark.settings(CODOC_CREATE_INDEXES=False)
def test_init_db_creates_the_declared_indexes(app, settings, store):
    assert "_codoc.sp.gender" not in first_keys(store, "Patient")
    result = codoc(settings, "init-db")
    assert result.returncode == 0, result.stderr
    assert {"_codoc.sp.gender", "_codoc.sp.birthdate.lo", "_codoc.sp.birthdate.hi"} <= first_keys(store, "Patient")
    assert "_codoc.sp.subject" in first_keys(store, "Observation")
    assert {info["key"][0][0] for info in store.keys.index_information().values()} >= {"o", "r"}


def test_reindex_makes_old_documents_searchable_without_new_versions(client, settings, store):
    created = client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "name": [{"family": "Lefèvre"}]})
    patient_id = created.get_json()["id"]
    store.collection("Patient").update_one({"_id": patient_id}, {"$unset": {"_codoc.keys": ""}})  # written by an
    store.keys.delete_many({})  # older release, before search keys
    assert client.get(f"{BASE}/Patient?family=lefevre").get_json()["total"] == 0
    result = codoc(settings, "reindex")
    assert result.returncode == 0, result.stderr
    assert "Patient: 1 updated" in result.stdout
    found = client.get(f"{BASE}/Patient?family=lefevre").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [patient_id]
    assert found["entry"][0]["resource"]["meta"]["versionId"] == "1"


def test_reindex_rewrites_the_search_keys_of_an_older_release(client, settings, store):
    body = {"resourceType": "Patient", "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "R-1"}],
            "name": [{"family": "Reindex", "given": ["Rémi"]}]}
    patient_id = client.post(f"{BASE}/Patient", json=body).get_json()["id"]
    owner = f"Patient/{patient_id}"
    stale = ["Patient|identifier|urn:oid:1.2.250.1.71.4.2.1|", "Patient|name|=Reindex", "Patient|name|reindex"]
    # the keys an older release wrote: `system|`, and the family copied into `name`
    store.keys.insert_many([{"_id": f"{k}\x1f{owner}", "k": k, "r": owner, "v": 1} for k in stale])
    store.collection("Patient").update_one({"_id": patient_id}, {"$push": {"_codoc.keys": {"$each": stale}}})
    result = codoc(settings, "reindex")
    assert result.returncode == 0, result.stderr
    held = {d["k"] for d in store.keys.find({"r": owner}) if "k" in d}
    assert not held & set(stale) and "Patient|family|reindex" in held
    found = client.get(f"{BASE}/Patient?name=reindex&identifier=urn:oid:1.2.250.1.71.4.2.1|").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [patient_id]
