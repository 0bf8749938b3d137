"""Organization hierarchy: instance → site → department → unit, its errors, children on delete, $hierarchy."""
from __future__ import annotations

import pytest

from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import LEVEL_SYSTEM, create, ids, load, put, resource, search


def org(org_id: str, level: str | None, parent: str | None = None, system: str | None = LEVEL_SYSTEM,
        **extra) -> dict:
    body = {"resourceType": "Organization", "id": org_id, "name": org_id}
    if level:
        body["type"] = [{"coding": [{"code": level, **({"system": system} if system else {})}]}]
    if parent:
        body["partOf"] = {"reference": parent if "/" in parent or parent.startswith("http") else
                          f"Organization/{parent}"}
    return {**body, **extra}


@pytest.fixture
def chain(client):
    """chu (instance) → site-a → dept-a → unit-a, with and without the level system."""
    for org_id, level, parent, system in (("chu", "instance", None, LEVEL_SYSTEM), ("site-a", "site", "chu", None),
                                          ("dept-a", "department", "site-a", LEVEL_SYSTEM),
                                          ("unit-a", "unit", "dept-a", None)):
        put(client, org(org_id, level, parent, system), 201)
    return client


def test_a_whole_chain_with_or_without_the_level_system_is_accepted(chain):
    for org_id in ("chu", "site-a", "dept-a", "unit-a"):
        assert chain.get(f"{BASE}/Organization/{org_id}").status_code == 200


def test_post_works_like_put_for_the_hierarchy(chain):
    created = create(chain, "Organization", {k: v for k, v in org("x", "unit", "dept-a").items() if k != "id"})
    assert created["partOf"] == {"reference": "Organization/dept-a"}


@pytest.mark.parametrize("level,parent", [
    ("site", "site-a"), ("site", "dept-a"), ("department", "chu"), ("department", "unit-a"), ("unit", "site-a"),
    ("unit", "unit-a"), ("unit", "chu"),
])
def test_wrong_parent_level_returns_422_and_stores_nothing(chain, store, level, parent):
    before = store.collection("Organization").count_documents({})
    outcome = assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", level, parent)), 422,
                             "business-rule")
    assert outcome["issue"][0]["expression"] == ["Organization.partOf"]
    assert store.collection("Organization").count_documents({}) == before


@pytest.mark.parametrize("level", ["site", "department", "unit"])
def test_missing_parent_returns_422(chain, level):
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", level)), 422, "business-rule")


def test_instance_with_a_parent_returns_422(chain):
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", "instance", "chu")), 422, "business-rule")


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_WRITE=False)
def test_unknown_parent_returns_422_even_without_the_reference_check(client):
    put(client, org("chu", "instance"), 201)
    for level in ("site", None):
        body = assert_outcome(client.put(f"{BASE}/Organization/new", json=org("new", level, "nowhere")), 422)
        assert "Organization/nowhere" in body["issue"][0]["diagnostics"]


def test_deleted_parent_is_unknown(chain):
    put(chain, org("site-b", "site", "chu"), 201)
    assert chain.delete(f"{BASE}/Organization/site-b").status_code == 204
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", "department", "site-b")), 422)


def test_leveled_organization_under_an_unleveled_one_returns_422(chain):
    put(chain, org("lab", None), 201)
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", "unit", "lab")), 422, "business-rule")


def test_leveled_organization_with_an_external_parent_returns_422(chain):
    body = org("new", "site", "https://other.example/fhir/Organization/chu")
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=body), 422, "business-rule")


def test_two_levels_on_one_organization_return_422(chain):
    body = org("new", "unit", "dept-a")
    body["type"][0]["coding"].append({"system": LEVEL_SYSTEM, "code": "department"})
    outcome = assert_outcome(chain.put(f"{BASE}/Organization/new", json=body), 422, "business-rule")
    assert outcome["issue"][0]["expression"] == ["Organization.type"]


def test_level_codes_of_another_system_are_not_levels(chain):
    other = "http://terminology.hl7.org/CodeSystem/organization-type"
    put(chain, org("not-a-unit", "unit", None, other), 201)  # no parent needed: not leveled
    assert_outcome(chain.put(f"{BASE}/Organization/new", json=org("new", "department", "not-a-unit")), 422)


def test_unleveled_organizations_are_unconstrained(chain):
    put(chain, org("gp", None), 201)
    put(chain, org("lab-in-unit", None, "unit-a"), 201)
    put(chain, org("payer", None, "https://other.example/fhir/Organization/1"), 201)
    put(chain, org("lab-annex", None, "lab-in-unit"), 201)


@pytest.mark.parametrize("org_id,level,parent", [
    ("site-a", None, None),  # its department needs a site above it
    ("dept-a", "site", "chu"),  # its unit needs a department above it
    ("chu", None, None),
    ("site-a", "unit", "dept-a"),  # under its own child: a cycle
])
def test_update_that_would_break_the_hierarchy_returns_422_and_changes_nothing(chain, org_id, level, parent):
    before = chain.get(f"{BASE}/Organization/{org_id}").get_json()
    assert_outcome(chain.put(f"{BASE}/Organization/{org_id}", json=org(org_id, level, parent)), 422, "business-rule")
    assert chain.get(f"{BASE}/Organization/{org_id}").get_json() == before


def test_turning_a_site_with_departments_into_a_unit_returns_422_naming_them(chain):
    put(chain, org("site-b", "site", "chu"), 201)
    put(chain, org("dept-b", "department", "site-b"), 201)
    outcome = assert_outcome(chain.put(f"{BASE}/Organization/site-a", json=org("site-a", "unit", "dept-b")), 422)
    assert "Organization/dept-a" in outcome["issue"][0]["diagnostics"]
    put(chain, org("site-c", "site", "chu"), 201)
    put(chain, org("site-c", "unit", "dept-b"), 200)  # a site without children may become a unit


def test_update_keeping_the_level_and_moving_under_another_parent_is_accepted(chain):
    put(chain, org("site-b", "site", "chu"), 201)
    put(chain, org("dept-a", "department", "site-b", name="renamed"), 200)
    assert ids(search(chain, "Organization", "partof=Organization/site-b")) == {"dept-a"}


def test_partof_cycles_return_422(chain):
    put(chain, org("lab-1", None), 201)
    put(chain, org("lab-2", None, "lab-1"), 201)
    put(chain, org("lab-3", None, "lab-2"), 201)
    outcome = assert_outcome(chain.put(f"{BASE}/Organization/lab-1", json=org("lab-1", None, "lab-3")), 422)
    assert "cycle" in outcome["issue"][0]["diagnostics"]
    assert_outcome(chain.put(f"{BASE}/Organization/lab-1", json=org("lab-1", None, "lab-1")), 422, "business-rule")
    assert "partOf" not in chain.get(f"{BASE}/Organization/lab-1").get_json()


def test_deleting_an_organization_with_children_returns_409_naming_them(chain):
    outcome = assert_outcome(chain.delete(f"{BASE}/Organization/dept-a"), 409, "conflict")
    assert "Organization/unit-a" in outcome["issue"][0]["diagnostics"]
    assert chain.get(f"{BASE}/Organization/dept-a").status_code == 200
    assert chain.delete(f"{BASE}/Organization/unit-a").status_code == 204
    assert chain.delete(f"{BASE}/Organization/dept-a").status_code == 204


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_DELETE=False)
def test_children_block_a_delete_even_without_the_reference_check(chain):
    assert_outcome(chain.delete(f"{BASE}/organization/site-a/"), 409, "conflict")


def test_partof_lists_the_children(chain):
    put(chain, org("unit-b", "unit", "dept-a"), 201)
    for route in ("organization/", "Organization"):
        bundle = chain.get(f"{BASE}/{route}?partof=Organization/dept-a").get_json()
        assert ids(bundle) == {"unit-a", "unit-b"}
    assert ids(search(chain, "Organization", "partof=Organization/unit-a")) == set()


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
def test_hierarchy_returns_the_subtree_of_an_organization(client):
    load(client, only={r["id"] for r in [resource(i) for i in (
        "chu", "site-pellegrin", "site-haut-leveque", "dept-urgences", "dept-neuro", "dept-cardio", "unit-uhcd",
        "unit-neuro-vasc", "unit-usic", "unit-cardio-hc", "lab-cerballiance")]})
    bundle = client.get(f"{BASE}/Organization/site-pellegrin/$hierarchy").get_json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    found = [e["resource"]["id"] for e in bundle["entry"]]
    assert found[0] == "site-pellegrin"
    assert set(found) == {"site-pellegrin", "dept-urgences", "dept-neuro", "unit-uhcd", "unit-neuro-vasc"}
    assert found.index("dept-neuro") < found.index("unit-neuro-vasc")  # breadth first
    whole = client.get(f"{BASE}/organization/chu/$hierarchy").get_json()
    assert len(whole["entry"]) == 10  # the lab is not part of the CHU
    leaf = client.get(f"{BASE}/Organization/unit-uhcd/$hierarchy").get_json()
    assert [e["resource"]["id"] for e in leaf["entry"]] == ["unit-uhcd"]


def test_hierarchy_of_an_unknown_organization_is_404_and_only_get(chain):
    assert_outcome(chain.get(f"{BASE}/Organization/nowhere/$hierarchy"), 404, "not-found")
    assert_outcome(chain.post(f"{BASE}/Organization/chu/$hierarchy", json={}), 405)
    statement = chain.get(f"{BASE}/metadata").get_json()
    entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Organization")
    assert "hierarchy" in {o["name"] for o in entry["operation"]}


def test_validate_applies_the_hierarchy_rules(chain):
    body = {k: v for k, v in org("x", "unit", "site-a").items() if k != "id"}
    issue = chain.post(f"{BASE}/Organization/$validate", json=body).get_json()["issue"][0]
    assert issue["severity"] == "error" and issue["code"] == "business-rule"
