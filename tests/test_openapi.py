"""GET /v4.3.0/openapi.json: a valid OpenAPI 3.1 document generated from the registry, so it cannot drift."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from handlers.search import COMMON_PARAMS
from tests.conftest import BASE, FHIR_JSON, assert_outcome

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def registry(app):
    return app.extensions["codoc.registry"]


def operations(document: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): op for path, item in document["paths"].items()
            for method, op in item.items() if method in METHODS}


def test_openapi_is_served_as_json_at_the_base(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    assert response.get_json()["openapi"].startswith("3.1")


def test_openapi_validates_against_the_openapi_31_schema(document):
    validate(document)


@pytest.mark.settings(CODOC_ALLOW_ANONYMOUS=False)
def test_openapi_is_anonymous_like_metadata_when_tokens_are_required(client, document):
    assert client.get(f"{BASE}/Patient/x").status_code == 401
    assert document["security"] == [{"bearer": []}]
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path in ("/metadata", "/openapi.json"):
        assert document["paths"][path]["get"]["security"] == []


def test_openapi_token_is_optional_when_anonymous_access_is_allowed(document):
    assert document["security"] == [{"bearer": []}, {}]


def test_openapi_server_url_is_the_fhir_base(document):
    assert document["servers"][0]["url"].endswith(BASE)


def test_openapi_lists_every_registered_type_with_its_interactions(document, registry):
    ops = operations(document)
    for handler in registry:
        name = handler.name
        assert {("GET", f"/{name}"), ("POST", f"/{name}"), ("GET", f"/{name}/{{id}}"), ("PUT", f"/{name}/{{id}}"),
                ("DELETE", f"/{name}/{{id}}"), ("GET", f"/{name}/{{id}}/_history"),
                ("GET", f"/{name}/{{id}}/_history/{{vid}}")} <= set(ops), name
        assert document["components"]["schemas"][name]["properties"]["resourceType"] == {
            "const": handler.resource_type}
    assert {t["name"] for t in document["tags"]} >= {h.name for h in registry}


def test_openapi_search_parameters_are_those_of_the_registry(document, registry):
    for handler in registry:
        declared = {p["name"] for p in document["paths"][f"/{handler.name}"]["get"]["parameters"]
                    if "x-fhir-search-type" in p}
        assert declared == {p.name for p in (*COMMON_PARAMS, *handler.search_params)}, handler.name


def test_openapi_search_parameters_are_those_of_the_capability_statement(client, document, registry):
    statement = client.get(f"{BASE}/metadata").get_json()
    by_type = {r["type"]: {p["name"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]}
    for handler in registry:
        declared = {p["name"] for p in document["paths"][f"/{handler.name}"]["get"]["parameters"]
                    if "x-fhir-search-type" in p}
        assert declared <= by_type[handler.resource_type], handler.name
    types = {handler.resource_type for handler in registry}
    assert types == set(by_type)


def test_openapi_lists_every_registered_operation(document, registry):
    ops = operations(document)
    expected = set()
    for handler in registry:
        for op in registry.operations_of(handler):
            path = f"/{handler.name}/${op.name}" if op.level == "type" else f"/{handler.name}/{{id}}/${op.name}"
            expected |= {(method, path) for method in op.methods}
    assert expected <= set(ops)
    names = {path.rsplit("$", 1)[1] for _, path in expected}
    assert names >= {"validate", "merge", "everything", "expunge", "hierarchy", "enrich", "enrichment-status"}


def test_openapi_has_system_routes(document):
    ops = operations(document)
    assert {("POST", "/"), ("GET", "/metadata"), ("GET", "/openapi.json"), ("GET", "/AuditEvent"),
            ("GET", "/AuditEvent/{id}")} <= set(ops)
    assert ops[("POST", "/")]["requestBody"]["content"][FHIR_JSON]["schema"] == {"$ref": "#/components/schemas/Bundle"}


def test_openapi_every_error_is_an_operation_outcome(document):
    responses = document["components"]["responses"]
    assert {"400", "401", "403", "404", "405", "409", "410", "412", "413", "415", "422", "429", "503"} <= set(
        responses)
    for status, response in responses.items():
        assert response["content"] == {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}
    for (method, path), op in operations(document).items():
        assert op["operationId"]
        errors = {s for s in op["responses"] if s >= "400"}
        assert {"400", "401", "429"} <= errors or path in ("/metadata", "/openapi.json"), (method, path)
        for status in errors:
            assert op["responses"][status] == {"$ref": f"#/components/responses/{status}"}


def test_openapi_operation_ids_are_unique(document):
    ids = [op["operationId"] for op in operations(document).values()]
    assert len(ids) == len(set(ids))


def test_openapi_request_bodies_name_the_type(document, registry):
    ops = operations(document)
    for handler in registry:
        for method, path in (("POST", f"/{handler.name}"), ("PUT", f"/{handler.name}/{{id}}")):
            content = ops[(method, path)]["requestBody"]["content"]
            assert set(content) == {FHIR_JSON, "application/json"}
            assert content[FHIR_JSON]["schema"] == {"$ref": f"#/components/schemas/{handler.name}"}


def test_openapi_seed_paths_reach_the_same_handler(client, document, registry):
    """Every path names its seed spelling (x-seed-path), and the seed spelling is served."""
    for handler in registry:
        item = document["paths"][f"/{handler.name}"]
        assert item["x-seed-path"] == f"/{handler.name.lower()}/"
        assert document["paths"][f"/{handler.name}/{{id}}"]["x-seed-path"] == f"/{handler.name.lower()}/{{id}}/"
        for path in (item["x-seed-path"], f"/{handler.name}"):
            response = client.get(f"{BASE}{path}?_id=nothing-here")
            assert response.status_code == 200, (path, response.get_data(as_text=True))
            assert response.get_json()["type"] == "searchset"


# -- what the fuzzing found (tests/test_openapi_fuzz.py) -----------------------------------------------------------
@pytest.mark.parametrize("parameter", [[[None, None]], ["resource"], 5, {"name": "resource"}])
def test_validate_with_malformed_parameters_answers_an_outcome_not_500(client, parameter):
    response = client.post(f"{BASE}/Patient/$validate", json={"resourceType": "Parameters", "parameter": parameter})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_merge_with_malformed_parameters_answers_400(client):
    response = client.post(f"{BASE}/Patient/$merge", json={"resourceType": "Parameters", "parameter": [[None, None]]})
    assert_outcome(response, 400)


def test_openapi_declares_patch_with_both_formats(document, registry):
    ops = operations(document)
    for handler in registry:
        for path in (f"/{handler.name}/{{id}}", f"/{handler.name}"):
            content = ops[("PATCH", path)]["requestBody"]["content"]
            assert content["application/json-patch+json"]["schema"] == {"$ref": "#/components/schemas/JSONPatch"}
            assert content[FHIR_JSON]["schema"] == {"$ref": "#/components/schemas/Parameters"}
            assert {"412", "415", "422"} <= set(ops[("PATCH", path)]["responses"])
    assert document["components"]["schemas"]["JSONPatch"]["type"] == "array"


def test_openapi_has_conditional_writes_search_by_post_and_histories(client, document, registry):
    ops = operations(document)
    for handler in registry:
        name = handler.name
        assert {("PUT", f"/{name}"), ("DELETE", f"/{name}"), ("POST", f"/{name}/_search"),
                ("GET", f"/{name}/_history")} <= set(ops), name
        criteria = {p["name"] for p in ops[("PUT", f"/{name}")]["parameters"] if "x-fhir-search-type" in p}
        assert criteria == {p.name for p in (*COMMON_PARAMS, *handler.search_params)}
        assert "application/x-www-form-urlencoded" in ops[("POST", f"/{name}/_search")]["requestBody"]["content"]
    assert {"_since", "_at", "_count"} <= {p.get("name") for p in ops[("GET", "/_history")]["parameters"]}
    body = {"resourceType": "Patient", "identifier": [{"system": "urn:x", "value": "OA-1"}]}
    assert set(ops[("PUT", "/Patient")]["responses"]) >= {"200", "201"}
    assert client.put(f"{BASE}/Patient?identifier=urn:x|OA-1", json=body).status_code == 201
    assert client.put(f"{BASE}/Patient?identifier=urn:x|OA-1", json=body).status_code == 200
    found = client.post(f"{BASE}/Patient/_search", data={"identifier": "urn:x|OA-1"}).get_json()
    assert found["total"] == 1
    assert client.get(f"{BASE}/Patient/_history?_at=2000").get_json()["type"] == "history"
    assert client.get(f"{BASE}/_history?_since=2000").get_json()["total"] >= 2
    assert client.delete(f"{BASE}/Patient?identifier=urn:x|OA-1").status_code == 204
