"""Search forms served from the search keys: :missing, :not, :contains, :text (refused), _profile/_tag/_security,
_include/_revinclude:iterate and its bounds, history _at, totals counted on the key index, key documents per
resource."""
from __future__ import annotations

import random
import time

import pytest

from bench.patients import patient as bench_patient
from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import create, ids, search

IPP = "urn:oid:1.2.250.1.71.4.2.1"
LOINC = "http://loinc.org"
TAGS = "https://codoc.example/tags"


def person(family: str, *given: str, **extra) -> dict:
    return {"resourceType": "Patient", "name": [{"family": family, "given": list(given)}], **extra}


@pytest.fixture
def people(client) -> dict[str, str]:
    """Four patients of one family, with and without identifier, gender, birth date, tags."""
    made = {
        "anne": person("Vasseur", "Anne", gender="female", birthDate="1970-01-02",
                       identifier=[{"system": IPP, "value": "F-1"}],
                       meta={"tag": [{"system": TAGS, "code": "vip"}], "profile": ["https://codoc.example/p"]}),
        "paul": person("Vasseur", "Paul", gender="male", identifier=[{"system": "https://other.example", "value": "X"}],
                       meta={"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                                           "code": "R"}]}),
        "lea": person("Vasseur-Marchal", "Léa"),
        "jean": person("Dubreuil", "Jean", "Vasseur", gender="male", birthDate="1980"),
    }
    return {name: create(client, "Patient", body)["id"] for name, body in made.items()}


def found(client, query: str, people: dict[str, str], route: str = "Patient") -> set[str]:
    by_id = {v: k for k, v in people.items()}
    return {by_id.get(i, i) for i in ids(search(client, route, query))}


@pytest.mark.parametrize("query,expected", [
    ("family=vasseur&identifier:missing=true", {"lea"}),
    ("family=vasseur&identifier:missing=false", {"anne", "paul"}),
    ("identifier:missing=false", {"anne", "paul"}),  # a range of keys: selective by itself
    ("family=vasseur&birthdate:missing=true", {"paul", "lea"}),
    ("name=vasseur&birthdate:missing=false", {"anne", "jean"}),
    ("family=vasseur&gender:missing=true", {"lea"}),
    ("name=vasseur&family:missing=false", {"anne", "paul", "lea", "jean"}),
    ("family=vasseur&_tag:missing=false", {"anne"}),
    ("family=vasseur&gender:not=male", {"anne", "lea"}),  # :not keeps those without a value
    ("name=vasseur&identifier:not=F-1", {"paul", "lea", "jean"}),
    ("name=vasseur&identifier:not=https://other.example|", {"anne", "lea", "jean"}),
    ("name=vasseur&identifier:not=F-1,X", {"lea", "jean"}),
    (f"identifier={IPP}|", {"anne"}),  # system| from the range of keys starting with it
    ("name=vasseur&family:contains=ssEU", {"anne", "paul", "lea"}),
    ("name=vasseur&name:contains=arch", {"lea"}),  # a word of the family (name searches the family keys)
    ("gender=male&name:contains=ubr", {"jean"}),  # a scalar clause drives the filter
    ("name=vasseur&family:contains=ubr", {"jean"}),
    ("name=léa vass", {"lea"}),  # words across given and family
    ("name=jean vasseur", {"jean"}),  # Vasseur as a given name of Jean Dubreuil
    ("family=vasseur marchal", {"lea"}),
    ("name:exact=Vasseur", {"anne", "paul", "jean"}),  # a family or a given name as written
    ("family:exact=Vasseur", {"anne", "paul"}),
    (f"_tag={TAGS}|vip", {"anne"}),
    ("_tag=vip&family=vasseur", {"anne"}),
    ("_security=R", {"paul"}),
    ("_profile=https://codoc.example/p", {"anne"}),
    ("family=vasseur&_tag:not=vip", {"paul", "lea"}),
])
def test_modifiers_and_meta_parameters_find_exactly_the_matching_resources(client, people, query, expected):
    assert found(client, query, people) == expected


@pytest.mark.parametrize("query,named", [
    ("gender:not=male", "gender:not"),
    ("identifier:missing=true", "identifier:missing"),
    ("family:contains=sseu", "family:contains"),
    ("_tag:not=vip&birthdate:missing=true", "_tag:not"),
])
def test_filters_alone_are_refused_naming_them(client, people, query, named):
    body = assert_outcome(client.get(f"{BASE}/Patient?{query}"), 400, "invalid")
    assert named in body["issue"][0]["diagnostics"] and "selective" in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("query,named", [
    ("family=vasseur&gender:text=male", "gender:text"),
    ("family:text=vasseur", "family:text"),
    ("family=vasseur&birthdate:not=1970", "birthdate:not"),
    ("family=vasseur&identifier:missing=maybe", "identifier:missing"),
    ("_id:missing=true&family=vasseur", "_id:missing"),
    ("family=vasseur&gender:above=male", "gender:above"),
])
def test_unsupported_modifiers_are_400_naming_them_or_ignored_when_lenient(client, people, query, named):
    body = assert_outcome(client.get(f"{BASE}/Patient?{query}"), 400, "invalid")
    assert named in body["issue"][0]["expression"][0] or named in body["issue"][0]["diagnostics"]
    if named.endswith((":text", ":above")) and query.startswith("family=vasseur&"):
        lenient = client.get(f"{BASE}/Patient?{query}", headers={"Prefer": "handling=lenient"}).get_json()
        assert {e["resource"]["id"] for e in lenient["entry"] if e["search"]["mode"] == "match"} >= {people["anne"]}
        outcome = [e["resource"] for e in lenient["entry"] if e["search"]["mode"] == "outcome"][0]
        assert named in outcome["issue"][0]["diagnostics"]


def test_the_capability_statement_lists_includes_and_modifiers(client):
    statement = client.get(f"{BASE}/metadata").get_json()
    by_type = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert "Observation:subject" in by_type["Patient"]["searchRevInclude"]
    assert "Encounter:part-of" in by_type["Encounter"]["searchInclude"]
    assert "Patient:link" in by_type["Patient"]["searchInclude"]
    assert {"_profile", "_tag", "_security"} <= {p["name"] for p in by_type["Procedure"]["searchParam"]}
    assert ":missing" in statement["rest"][0]["documentation"] and ":iterate" in statement["rest"][0]["documentation"]


# -- _include:iterate / _revinclude:iterate ------------------------------------------------------------------------
def organizations(client, depth: int) -> list[str]:
    """A chain of ``depth`` Organizations, each part of the one before."""
    chain: list[str] = []
    for n in range(depth):
        body = {"resourceType": "Organization", "name": f"Level {n}",
                **({"partOf": {"reference": f"Organization/{chain[-1]}"}} if chain else {})}
        chain.append(create(client, "Organization", body)["id"])
    return chain


def test_include_iterate_follows_the_chain_within_its_bound(client):
    chain = organizations(client, 7)
    once = search(client, "Organization", f"_id={chain[-1]}&_include=Organization:partof")
    assert ids(once, "include") == {chain[-2]}
    bundle = search(client, "Organization", f"_id={chain[-1]}&_include:iterate=Organization:partof")
    assert ids(bundle, "include") == set(chain[2:-1])  # 1 round, then 3 more: chain[0] and [1] left out
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"][0]
    assert ":iterate stopped after 3" in outcome["issue"][0]["diagnostics"]
    short = search(client, "Organization", f"_id={chain[3]}&_include:iterate=Organization:partof")
    assert ids(short, "include") == set(chain[:3]) and ids(short, "outcome") == set()


def test_revinclude_iterate_and_include_iterate_from_another_type(client):
    pid = create(client, "Patient", person("Iter", "Ana"))["id"]
    stay = create(client, "Encounter", {"resourceType": "Encounter", "status": "finished",
                                        "class": {"code": "IMP"}, "subject": {"reference": f"Patient/{pid}"}})["id"]
    move = create(client, "Encounter", {"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"},
                                        "subject": {"reference": f"Patient/{pid}"},
                                        "partOf": {"reference": f"Encounter/{stay}"}})["id"]
    obs = create(client, "Observation", {"resourceType": "Observation", "status": "final",
                                         "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
                                         "encounter": {"reference": f"Encounter/{move}"}})["id"]
    plain = search(client, "Patient", f"_id={pid}&_revinclude=Encounter:subject")
    assert ids(plain, "include") == {stay, move}
    deep = search(client, "Patient", f"_id={pid}&_revinclude=Encounter:subject"
                                     f"&_revinclude:iterate=Observation:encounter")
    assert ids(deep, "include") == {stay, move, obs}
    up = search(client, "Observation", f"_id={obs}&_include=Observation:encounter"
                                       f"&_include:iterate=Encounter:part-of")
    assert ids(up, "include") == {move, stay}
    assert_outcome(client.get(f"{BASE}/Observation?_id={obs}&_include=Encounter:part-of"), 400, "invalid")
    assert_outcome(client.get(f"{BASE}/Observation?_id={obs}&_include:iterate=Nope:x"), 400, "invalid")


@pytest.mark.settings(CODOC_PAGE_MAX=2000)
def test_includes_stop_at_their_maximum_with_a_warning(client, monkeypatch):
    from handlers.search import run

    monkeypatch.setattr(run, "INCLUDED_MAX", 2)
    chain = organizations(client, 4)
    bundle = search(client, "Organization", f"_id={chain[-1]}&_include:iterate=Organization:partof")
    assert len(ids(bundle, "include")) == 2
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"][0]
    assert "stopped at 2 included" in outcome["issue"][0]["diagnostics"]


# -- history _at ---------------------------------------------------------------------------------------------------
def test_history_at_answers_the_versions_current_then(client):
    first = create(client, "Patient", person("Atwood", "Ann"))
    time.sleep(0.01)
    other = create(client, "Patient", person("Atwood", "Bob"))
    time.sleep(0.01)
    again = client.put(f"{BASE}/Patient/{first['id']}", json={**person("Atwood", "Anna"), "id": first["id"]})
    assert again.status_code == 200
    moment = other["meta"]["lastUpdated"]

    def versions(url: str) -> set[tuple[str, str]]:
        bundle = client.get(url).get_json()
        return {(e["resource"]["id"], e["resource"]["meta"]["versionId"]) for e in bundle.get("entry", [])
                if e["resource"]["name"][0]["family"] == "Atwood"}

    assert versions(f"{BASE}/Patient/_history?_at={moment}") == {(first["id"], "1"), (other["id"], "1")}
    assert versions(f"{BASE}/_history?_at={moment}") == {(first["id"], "1"), (other["id"], "1")}
    latest = again.get_json()["meta"]["lastUpdated"]
    assert versions(f"{BASE}/Patient/_history?_at={latest}") == {(first["id"], "2"), (other["id"], "1")}
    assert versions(f"{BASE}/Patient/_history?_at=1999") == set()
    assert_outcome(client.get(f"{BASE}/Patient/_history?_at=yesterday"), 400, "invalid")


# -- scale: totals and key documents -------------------------------------------------------------------------------
def test_total_of_a_common_name_is_counted_while_the_page_stays_small(client):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "Patient"}, "resource": person("Commun", f"G{n}")} for n in range(45)]}
    assert client.post(f"{BASE}/", json=bundle).status_code == 200
    page = search(client, "Patient", "family=commun&_count=5")
    assert page["total"] == 45 and len(ids(page)) == 5
    last = search(client, "Patient", "family=commun&_count=10&_offset=40")
    assert last["total"] == 45 and len(ids(last)) == 5
    assert search(client, "Patient", "family=commun&_count=5&_total=none").get("total") is None
    assert search(client, "Patient", "family=commun&gender:missing=true&_count=5")["total"] == 45


def key_documents(store, owner: str) -> list[str]:
    """The documents of the search key collection a resource owns (its keys and claims)."""
    return sorted(d["_id"].split("\x1f")[0] for d in store.keys.find({"r": owner}))


def test_key_documents_per_typical_patient_and_observation(client, store):
    patient = create(client, "Patient", bench_patient(7, random.Random(7)))
    keys = key_documents(store, f"Patient/{patient['id']}")
    assert len(keys) == 6, keys  # was 12, then 9: no `system|` keys, no copy of the family in `name`, and no
    # document for an exact string (`family|=Jacob`): it is verified on the resource, found through `family|jacob`
    assert not any("|=" in k for k in keys), keys
    stored = store.collection("Patient").find_one({"_id": patient["id"]})["_codoc"]
    assert f"Patient|family|={patient['name'][0]['family']}" in stored["checks"]
    assert not any(k.startswith("Patient|name|") and k.lower().endswith(patient["name"][0]["family"].lower())
                   for k in keys), keys
    observation = create(client, "Observation", {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "subject": {"reference": f"Patient/{patient['id']}"}, "effectiveDateTime": "2024-01-01T10:00:00Z",
        "valueQuantity": {"value": 80, "unit": "/min"}})
    keys = key_documents(store, f"Observation/{observation['id']}")
    assert keys == [f"@|Patient/{patient['id']}"], keys  # was 7, then 5: code and category are held inline
    assert found_ids(client, "Observation", f"code={LOINC}|&patient={patient['id']}") == {observation["id"]}
    assert found_ids(client, "Observation", "category=vital-signs&code=8867-4") == {observation["id"]}
    assert found_ids(client, "Patient", f"identifier={IPP}|&_id={patient['id']}") == {patient["id"]}


def found_ids(client, route: str, query: str) -> set[str]:
    return ids(search(client, route, query))


def test_exact_strings_are_found_through_their_first_word_and_checked_on_the_resource(client, store):
    made = {name: create(client, "Patient", {"resourceType": "Patient", "name": [{"family": name}]})["id"]
            for name in ("Martin", "Martin-Dupont", "martin", "Martinez", "---", "-- --")}
    assert found_ids(client, "Patient", "family:exact=Martin") == {made["Martin"]}
    assert found_ids(client, "Patient", "family:exact=Martin-Dupont") == {made["Martin-Dupont"]}
    assert found_ids(client, "Patient", "family:exact=martin") == {made["martin"]}
    assert found_ids(client, "Patient", "family:exact=Martin,Martinez") == {made["Martin"], made["Martinez"]}
    assert found_ids(client, "Patient", "name:exact=Martin") == {made["Martin"]}  # also searches family
    assert search(client, "Patient", "family:exact=Martin")["total"] == 1  # not the count of `family|martin`
    # a string without a letter or digit has no word to be found through: its exact key keeps a document
    assert found_ids(client, "Patient", "family:exact=---") == {made["---"]}
    assert found_ids(client, "Patient", "family:exact=-- --") == {made["-- --"]}
    assert "Patient|family|=---" in key_documents(store, f"Patient/{made['---']}")
    changed = client.put(f"{BASE}/Patient/{made['Martin']}", json={
        "resourceType": "Patient", "id": made["Martin"], "name": [{"family": "Bernard"}]})
    assert changed.status_code == 200
    assert found_ids(client, "Patient", "family:exact=Martin") == set()
    assert found_ids(client, "Patient", "family:exact=Bernard") == {made["Martin"]}
