"""Search keys held inline (``_codoc.ik``): an Observation with one coding is one document, found by every form of
its code; resources stored before (their keys as SearchKey documents) are found beside them, counted once, and keep
that layout; a key leaving its slot for SearchKey documents is never missed by a concurrent search."""
from __future__ import annotations

from functools import partial

import pytest

from tests.conftest import BASE
from tests.hospital_fixtures import follow, link, race

LOINC, LOCAL = "http://loinc.org", "https://chu.example.fr/codes"


def observation(*codings: tuple[str, str], **extra) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": system, "code": code} for system, code in codings]}, **extra}


def posted(client, *codings: tuple[str, str]) -> str:
    response = client.post(f"{BASE}/Observation", json=observation(*codings))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def every_page(client, query: str) -> tuple[list[str], set[int]]:
    """The ids of every page of an Observation search (following its next links), and the totals the pages gave."""
    page = client.get(f"{BASE}/Observation?{query}").get_json()
    seen, totals = [], set()
    while page is not None:
        assert page.get("resourceType") == "Bundle", page
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        totals.add(page.get("total"))
        following = link(page, "next")
        page = follow(client, following) if following else None
    return seen, totals


def search_key_documents(store, resource_id: str) -> list[dict]:
    return list(store.keys.find({"r": f"Observation/{resource_id}", "dead": {"$exists": False}}))


def test_an_observation_with_one_coding_is_one_document_found_by_every_form_of_its_code(client, store):
    troponin = sorted(posted(client, (LOINC, "6598-7")) for _ in range(3))
    other = posted(client, (LOINC, "2345-7"))
    both = posted(client, (LOINC, "6598-7"), (LOCAL, "6598-7"))  # two keys of a slot: SearchKey documents
    assert all(search_key_documents(store, i) == [] for i in troponin + [other])
    assert sorted(store.collection("Observation").find_one({"_id": troponin[0]})["_codoc"]["ik"]) == [
        "code", "code_s"]
    assert len(search_key_documents(store, both)) == 2  # one per system; code|6598-7 (one of its form) inline
    assert every_page(client, "code=6598-7&_count=2") == (sorted(troponin + [both]), {4})
    assert every_page(client, f"code={LOINC}|6598-7&_count=3") == (sorted(troponin + [both]), {4})
    assert every_page(client, f"code={LOCAL}|6598-7") == ([both], {1})
    assert every_page(client, f"code={LOINC}|&_count=2") == (sorted(troponin + [other, both]), {5})
    assert every_page(client, "code=6598-7&_total=none&_count=2")[0] == sorted(troponin + [both])
    assert every_page(client, f"code={LOINC}|2345-7,{LOCAL}|6598-7") == (sorted([other, both]), {2})


def test_resources_stored_before_are_found_beside_inline_ones_and_keep_their_layout(app, client, store,
                                                                                   monkeypatch):
    with monkeypatch.context() as before:
        before.setattr(store, "_inline", {})  # the layout of an earlier release: every key a SearchKey document
        earlier = [posted(client, (LOINC, "718-7")) for _ in range(3)]
    assert all(len(search_key_documents(store, i)) == 2 for i in earlier)
    later = [posted(client, (LOINC, "718-7")) for _ in range(3)]
    expected = sorted(earlier + later)
    assert every_page(client, "code=718-7&_count=2") == (expected, {6})
    assert every_page(client, f"code={LOINC}|&_count=4") == (expected, {6})
    assert app.extensions["codoc.registry"].reindex()["Observation"] == 0  # a key never moves into a slot
    assert all(len(search_key_documents(store, i)) == 2 for i in earlier)
    body = {**observation((LOINC, "718-7")), "id": earlier[0]}
    assert client.put(f"{BASE}/Observation/{earlier[0]}", json=body).status_code == 200  # nor when written again
    assert len(search_key_documents(store, earlier[0])) == 2
    assert every_page(client, "code=718-7&_count=2") == (expected, {6})


def test_a_key_leaving_its_slot_is_found_at_every_step_and_leaves_with_a_deletion(client, store):
    kept = posted(client, (LOINC, "2160-0"))
    moving = posted(client, (LOINC, "2160-0"))
    assert search_key_documents(store, moving) == []  # inline
    expected = sorted([kept, moving])
    body = {**observation((LOINC, "2160-0"), (LOINC, "33914-3")), "id": moving}  # two keys per slot
    assert client.put(f"{BASE}/Observation/{moving}", json=body).status_code == 200
    assert len(search_key_documents(store, moving)) == 4
    assert every_page(client, f"code={LOINC}|2160-0") == (expected, {2})
    body = {**observation((LOINC, "2160-0")), "id": moving}
    assert client.put(f"{BASE}/Observation/{moving}", json=body).status_code == 200
    assert len(search_key_documents(store, moving)) == 2  # a key held as a SearchKey document stays one
    assert every_page(client, f"code={LOINC}|2160-0") == (expected, {2})
    assert every_page(client, "code=33914-3") == ([], {0})
    body = {**observation((LOINC, "2160-0"), (LOINC, "33914-3")), "id": moving}
    assert client.put(f"{BASE}/Observation/{moving}", json=body).status_code == 200
    assert every_page(client, "code=2160-0") == (expected, {2})
    assert every_page(client, "code=33914-3") == ([moving], {1})
    assert client.delete(f"{BASE}/Observation/{kept}").status_code in (200, 204)
    assert every_page(client, "code=2160-0") == ([moving], {1})
    assert every_page(client, f"code={LOINC}|") == ([moving], {1})


def test_only_tokens_have_a_system_slot_and_a_versioned_profile_is_found_as_a_search_key_document(client, store):
    """A uri or reference has no system part: a ``|`` in its value (a versioned canonical) keeps the key a SearchKey
    document, and no index is kept for a slot no key can fill."""
    profile = "https://chu.example.fr/StructureDefinition/bilan"
    plain = client.post(f"{BASE}/Observation", json=observation((LOINC, "6598-7"), meta={"profile": [profile]}))
    versioned = client.post(f"{BASE}/Observation",
                            json=observation((LOINC, "6598-7"), meta={"profile": [f"{profile}|2.0"]}))
    assert plain.status_code == versioned.status_code == 201
    plain_id, versioned_id = plain.get_json()["id"], versioned.get_json()["id"]
    slots = store.collection("Observation").find_one({"_id": versioned_id})["_codoc"]["ik"]
    assert "_profile" not in slots and "_profile_s" not in slots and "code_s" in slots
    assert [d["k"] for d in search_key_documents(store, versioned_id)] == [f"Observation|_profile|{profile}|2.0"]
    assert "_profile" in store.collection("Observation").find_one({"_id": plain_id})["_codoc"]["ik"]
    assert every_page(client, f"_profile={profile}|2.0") == ([versioned_id], {1})
    assert every_page(client, f"_profile={profile}") == ([plain_id], {1})
    indexed = {f for spec in store.collection("Observation").index_information().values() for f, _ in spec["key"]}
    assert {"_codoc.ik.code", "_codoc.ik.code_s", "_codoc.ik._profile", "_codoc.ik.derived_from"} <= indexed
    assert not {"_codoc.ik._profile_s", "_codoc.ik.derived_from_s"} & indexed


def test_a_system_covering_many_codes_is_answered_whole_from_both_places(client, store, monkeypatch):
    """Beyond MAX_PREFIX_KEYS distinct codes a prefix sorts its holders: from SearchKey documents and slots alike."""
    with monkeypatch.context() as before:
        before.setattr(store, "_inline", {})
        earlier = [posted(client, (LOINC, f"1000{n}-1")) for n in range(5)]
    later = [posted(client, (LOINC, f"2000{n}-1")) for n in range(6)]
    assert every_page(client, f"code={LOINC}|&_count=4") == (sorted(earlier + later), {11})


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)  # readers search as fast as they can
# the wire tier only, like the patients' racing writers: mongomock replaces a document field by field, so a reader in
# another thread may copy one half-written
@pytest.mark.parametrize("backend", [pytest.param("wire", marks=pytest.mark.wire)])
def test_a_code_every_version_holds_is_never_missed_while_writers_move_it_between_the_two_places(app, client):
    """Writers switch Observations between one coding (its keys inline) and two (SearchKey documents) while readers
    search: every search lists every one of them (each version holds the code), and never a stale match."""
    ids = [posted(client, (LOINC, "1751-7")) for _ in range(4)]
    problems = []

    def writer(resource_id: str):
        own = app.test_client()
        for n in range(8):
            codings = [(LOINC, "1751-7"), (LOINC, "2885-2")] if n % 2 == 0 else [(LOINC, "1751-7")]
            response = own.put(f"{BASE}/Observation/{resource_id}", json={**observation(*codings), "id": resource_id})
            if response.status_code != 200:
                problems.append(("write", response.status_code))

    def reader(stop):
        own = app.test_client()
        while not stop.is_set():
            found = own.get(f"{BASE}/Observation?code={LOINC}|1751-7&_count=100").get_json()
            if {e["resource"]["id"] for e in found.get("entry", [])} != set(ids) or found.get("total") != len(ids):
                problems.append(("missed", found.get("total"), found.get("resourceType")))
            other = own.get(f"{BASE}/Observation?code=2885-2&_count=100").get_json()
            for entry in other.get("entry", []):
                if "2885-2" not in {c["code"] for c in entry["resource"]["code"]["coding"]}:
                    problems.append(("stale", entry["resource"]["id"]))

    race([partial(writer, i) for i in ids], reader)
    assert problems == []
    assert every_page(client, "code=2885-2") == ([], {0})  # the last version of each holds one coding
    assert every_page(client, "code=1751-7") == (sorted(ids), {len(ids)})
