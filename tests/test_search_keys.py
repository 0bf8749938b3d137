"""The search key layout (``SearchKey_4_3_0``): a key's owners paged along the ``o`` index, prefixes merged over their
distinct keys, dead keys out of every live range, and keys of the earlier layout (no ``o``) migrated at start."""
from __future__ import annotations

from fhirstore import mongo
from tests.conftest import BASE
from tests.hospital_fixtures import follow, link


def created(client, families: list[list[str]]) -> list[str]:
    """One Patient per list of family names (one name each), through a batch Bundle; their ids in order."""
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "name": [{"family": f} for f in names]}} for names in families]}
    response = client.post(f"{BASE}/", json=bundle)
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.get_json()["entry"]]
    assert all(s.startswith("201") for s in statuses), statuses
    return [e["resource"]["id"] for e in response.get_json()["entry"]]


def every_page(client, query: str) -> tuple[list[str], list[int]]:
    """The ids of every page of a search, following its next links, and the total each page gave."""
    page = client.get(f"{BASE}/Patient?{query}").get_json()
    seen, totals = [], []
    while page is not None:
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        totals.append(page.get("total"))
        following = link(page, "next")
        page = follow(client, following) if following else None
    return seen, totals


def test_a_prefix_lists_the_holders_of_every_name_it_covers_in_id_order_once(client):
    martin = created(client, [["Martin"]] * 7)
    martinez = created(client, [["Martinez"]] * 5)
    both = created(client, [["Martin", "Martinez"]])  # a birth name and a married name
    created(client, [["Marchand"]] * 3)
    expected = sorted(martin + martinez + both)
    seen, totals = every_page(client, "family=martin&_count=3")
    assert seen == expected and len(seen) == len(set(seen))
    assert set(totals) == {13}  # the holder of both names counted once
    assert every_page(client, "family=martinez&_count=4") == (sorted(martinez + both), [6, 6])
    seen, _ = every_page(client, "family=martin&_total=none&_count=2")
    assert seen == expected


def test_a_prefix_covering_many_names_is_still_answered_whole(client):
    count = mongo.MAX_PREFIX_KEYS + 4
    families = [[f"Zed{chr(97 + n)}"] for n in range(count) for _ in range(2)]
    ids = created(client, families)
    seen, totals = every_page(client, "family=zed&_count=5")
    assert seen == sorted(ids) and set(totals) == {2 * count}
    assert every_page(client, "family=zedc")[0] == sorted(ids[4:6])


def test_a_deleted_or_renamed_holder_leaves_the_prefix_at_once(client):
    kept, deleted, renamed = created(client, [["Lopez"], ["Lopezy"], ["Lopezz"]])
    assert client.delete(f"{BASE}/Patient/{deleted}").status_code in (200, 204)
    body = {"resourceType": "Patient", "id": renamed, "name": [{"family": "Autre"}]}
    assert client.put(f"{BASE}/Patient/{renamed}", json=body).status_code == 200
    assert every_page(client, "family=lopez") == ([kept], [1])
    assert every_page(client, "family=lopezy") == ([], [0])
    body["name"] = [{"family": "Lopezz"}]  # its key comes back to life
    assert client.put(f"{BASE}/Patient/{renamed}", json=body).status_code == 200
    assert every_page(client, "family=lopez") == (sorted([kept, renamed]), [2])


def test_keys_of_the_earlier_layout_are_migrated_once_at_start(client, store):
    alive, gone = created(client, [["Ancien"], ["Ancienne"]])
    assert client.delete(f"{BASE}/Patient/{gone}").status_code in (200, 204)
    # what the earlier layout stored: no ``o``, a ``k`` index
    store.keys.update_many({"o": {"$exists": True}}, {"$unset": {"o": ""}})
    store.keys.create_index([("k", 1)], name="k_1")
    assert every_page(client, "family=ancien")[0] == []
    store.ensure_indexes("Patient", [])
    assert [("k", 1)] not in [spec["key"] for spec in store.keys.index_information().values()]
    assert every_page(client, "family=ancien") == ([alive], [1])
    dead = store.keys.find_one({"r": f"Patient/{gone}", "k": "Patient|family|ancienne"})
    assert dead["dead"] and dead["o"].startswith(mongo.DEAD_ORDER)
    store.ensure_indexes("Patient", [])  # idempotent: nothing left to migrate
    assert every_page(client, "family=ancien") == ([alive], [1])
