"""The core HTTP contract: CRUD, versions, both route spellings, errors as OperationOutcome."""
from __future__ import annotations

import copy
import threading

import pytest

from tests.conftest import BASE, FHIR_JSON, assert_outcome
from tests.samples import MINIMAL

TYPES = sorted(MINIMAL)


def create(client, name="Patient", body=None, seed=True):
    segment = name.lower() + "/" if seed else name
    response = client.post(f"{BASE}/{segment}", json=copy.deepcopy(body or MINIMAL[name]))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response


@pytest.mark.parametrize("name", TYPES)
def test_create_then_read_by_both_spellings(client, name):
    response = create(client, name)
    stored = response.get_json()
    rid = stored["id"]
    assert response.content_type == "application/fhir+json; charset=utf-8"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"].endswith(f"/{stored['resourceType']}/{rid}/_history/1")
    assert "Last-Modified" in response.headers
    assert stored["meta"]["versionId"] == "1" and stored["meta"]["lastUpdated"].endswith("Z")
    for url in (f"{BASE}/{name.lower()}/{rid}/", f"{BASE}/{name}/{rid}", f"{BASE}/{name}/{rid}/"):
        read = client.get(url)
        assert read.status_code == 200, url
        assert read.get_json() == stored
        assert read.headers["ETag"] == 'W/"1"'
    body = {k: v for k, v in stored.items() if k not in ("id", "meta")}
    expected = {k: v for k, v in MINIMAL[name].items()}
    assert body == expected


@pytest.mark.parametrize("name", TYPES)
def test_get_without_search_parameter_returns_405_with_allow(client, name):
    for url in (f"{BASE}/{name.lower()}/", f"{BASE}/{name}"):
        response = client.get(url)
        assert_outcome(response, 405, "not-supported")
        assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("name", TYPES)
def test_update_delete_history_cycle(client, name):
    stored = create(client, name).get_json()
    rid, seg = stored["id"], name.lower()
    changed = {**stored, "meta": {"versionId": "99"}}
    update = client.put(f"{BASE}/{seg}/{rid}/", json=changed)
    assert update.status_code == 200
    assert update.get_json()["meta"]["versionId"] == "2"  # the server owns versionId
    assert update.headers["ETag"] == 'W/"2"'
    assert client.delete(f"{BASE}/{seg}/{rid}/").status_code == 204
    assert client.delete(f"{BASE}/{seg}/{rid}/").status_code == 204  # idempotent
    assert_outcome(client.get(f"{BASE}/{seg}/{rid}/"), 410, "deleted")
    history = client.get(f"{BASE}/{name}/{rid}/_history").get_json()
    assert history["type"] == "history" and history["total"] == 3
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']
    assert history["entry"][0]["request"]["method"] == "DELETE"
    assert client.get(f"{BASE}/{name}/{rid}/_history/1").get_json()["meta"]["versionId"] == "1"
    assert_outcome(client.get(f"{BASE}/{name}/{rid}/_history/3"), 410)
    assert_outcome(client.get(f"{BASE}/{name}/{rid}/_history/9"), 404)


def test_update_as_create_with_client_id_returns_201(client):
    body = {**MINIMAL["Patient"], "id": "ipp-123"}
    response = client.put(f"{BASE}/Patient/ipp-123", json=body)
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/Patient/ipp-123/_history/1")
    assert client.get(f"{BASE}/patient/ipp-123/").status_code == 200


def test_update_after_delete_recreates_with_next_version(client):
    rid = create(client).get_json()["id"]
    client.delete(f"{BASE}/Patient/{rid}")
    response = client.put(f"{BASE}/Patient/{rid}", json={**MINIMAL["Patient"], "id": rid})
    assert response.status_code == 200 and response.get_json()["meta"]["versionId"] == "3"


def test_post_ignores_client_id_and_meta(client):
    body = {**MINIMAL["Patient"], "id": "mine", "meta": {"versionId": "7", "lastUpdated": "2000-01-01T00:00:00Z"}}
    stored = create(client, body=body).get_json()
    assert stored["id"] != "mine" and stored["meta"]["versionId"] == "1"
    assert not stored["meta"]["lastUpdated"].startswith("2000")


def test_update_with_stale_if_match_returns_412_and_changes_nothing(client):
    stored = create(client).get_json()
    rid = stored["id"]
    ok = client.put(f"{BASE}/Patient/{rid}", json={**stored, "gender": "male"}, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200
    stale = client.put(f"{BASE}/Patient/{rid}", json={**stored, "gender": "other"}, headers={"If-Match": 'W/"1"'})
    assert_outcome(stale, 412, "conflict")
    assert client.get(f"{BASE}/Patient/{rid}").get_json()["gender"] == "male"


@pytest.mark.parametrize("backend", [pytest.param("wire", marks=pytest.mark.wire)], indirect=True)
def test_concurrent_updates_never_lose_a_write(app):
    """Threads updating one resource: every accepted write becomes its own version. On a real store only: mongomock
    replaces a stored document in place (cleared, then refilled) outside its lock, so a concurrent read can copy it
    half-written (a rare 500 in CI), which no MongoDB server does."""
    client = app.test_client()
    rid = create(client).get_json()["id"]
    statuses = []

    def writer(n):
        own = app.test_client()
        for i in range(5):
            body = {**MINIMAL["Patient"], "id": rid, "name": [{"family": f"W{n}-{i}"}]}
            statuses.append(own.put(f"{BASE}/Patient/{rid}", json=body).status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = statuses.count(200)
    history = client.get(f"{BASE}/Patient/{rid}/_history").get_json()
    assert set(statuses) <= {200, 412}
    assert history["total"] == accepted + 1
    families = {e["resource"]["name"][0].get("family") for e in history["entry"] if "name" in e["resource"]}
    assert len(families) == accepted + 1
    versions = [int(e["resource"]["meta"]["versionId"]) for e in history["entry"]]
    assert versions == list(range(accepted + 1, 0, -1))


def test_metadata_is_a_valid_r4b_capability_statement(client):
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    response = client.get(f"{BASE}/metadata")
    assert response.status_code == 200 and response.content_type.startswith(FHIR_JSON)
    body = response.get_json()
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.3.0" and body["kind"] == "instance"
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(types) == set(TYPES) - {"Phenotype"}
    assert any(p.endswith("/StructureDefinition/observation-phenotype")
               for p in types["Observation"]["supportedProfile"])
    assert {"read", "vread", "update", "delete", "create"} <= {i["code"] for i in types["Patient"]["interaction"]}
    assert "security" in body["rest"][0]


def test_v5_answers_501_and_unknown_version_404(client):
    for method in ("get", "post", "delete"):
        assert_outcome(getattr(client, method)(f"{BASE.replace('4.3.0', '5.0.0')}/Patient/1"), 501, "not-supported")
    body = assert_outcome(client.get("/v5.0.0/metadata"), 501)
    assert "/v4.3.0/" in body["issue"][0]["diagnostics"]
    assert_outcome(client.get("/v3.0.1/Patient/1"), 404, "not-found")


def test_unknown_type_and_route_return_404_outcome(client):
    assert_outcome(client.get(f"{BASE}/Practitioner/1"), 404, "not-found")
    assert_outcome(client.post(f"{BASE}/foo/", json={}), 404)
    assert_outcome(client.get("/nothing/here"), 404)
    assert_outcome(client.get(f"{BASE}/Patient/1/_nope"), 404)


def test_unknown_and_illegal_ids(client):
    assert_outcome(client.get(f"{BASE}/Patient/does-not-exist"), 404, "not-found")
    assert_outcome(client.get(f"{BASE}/Patient/{'x' * 65}"), 400, "invalid")
    assert_outcome(client.get(f"{BASE}/Patient/a_b"), 400, "invalid")


def test_phenotype_routes_only_serve_the_profile(client):
    phenotype = create(client, "Phenotype").get_json()
    assert any(p.endswith("observation-phenotype") for p in phenotype["meta"]["profile"])
    assert client.get(f"{BASE}/observation/{phenotype['id']}/").status_code == 200
    plain = create(client, "Observation").get_json()
    assert_outcome(client.get(f"{BASE}/phenotype/{plain['id']}/"), 404)


def test_validate_checks_without_storing(client, store):
    good = client.post(f"{BASE}/Patient/$validate", json=MINIMAL["Patient"])
    assert good.status_code == 200 and good.get_json()["issue"][0]["severity"] == "information"
    bad = client.post(f"{BASE}/Patient/$validate", json={**MINIMAL["Patient"], "gender": "homme"})
    assert bad.status_code == 200
    issue = bad.get_json()["issue"][0]
    assert issue["severity"] == "error" and issue["expression"] == ["Patient.gender"]
    assert store.collection("Patient").count_documents({}) == 0


def test_security_headers_and_no_server_banner(client):
    response = client.get(f"{BASE}/metadata")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pretty_printing(client):
    assert b"\n  " in client.get(f"{BASE}/metadata?_pretty=true").data
    assert b"\n" not in client.get(f"{BASE}/metadata?_format=json").data


@pytest.mark.settings(CODOC_BASE_URL="https://fhir.example-hopital.fr/")
def test_links_use_the_configured_public_base_url_not_the_host_header(client):
    created = client.post(f"{BASE}/Patient", json=MINIMAL["Patient"], headers={"Host": "evil.example"})
    assert created.headers["Location"].startswith("https://fhir.example-hopital.fr/v4.3.0/Patient/")
    found = client.get(f"{BASE}/Patient?_id={created.get_json()['id']}", headers={"Host": "evil.example"}).get_json()
    assert all(link["url"].startswith("https://fhir.example-hopital.fr/v4.3.0/") for link in found["link"])
    assert found["entry"][0]["fullUrl"].startswith("https://fhir.example-hopital.fr/v4.3.0/Patient/")
