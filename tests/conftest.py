"""Fixtures: a fresh app per test on each embedded backend (mongomock; nx-27017 wire server in the ``wire`` tier)."""
from __future__ import annotations

import uuid

import pytest

from app import create_app
from fhirstore.embedded import EmbeddedMongo

BASE = "/v4.3.0"
FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="session")
def wire_server(tmp_path_factory):
    """One nx-27017 server for the session; each test uses its own database in it."""
    with EmbeddedMongo(tmp_path_factory.mktemp("nx-data")) as server:
        yield server


@pytest.fixture(params=["mongomock", pytest.param("wire", marks=pytest.mark.wire)])
def backend(request):
    return request.param


@pytest.fixture
def settings(request, backend) -> dict:
    """Test settings; a test may extend them with ``@pytest.mark.settings(KEY=value)``."""
    values = {"CODOC_ENV": "testing", "CODOC_MONGO_DB": f"test_{uuid.uuid4().hex[:12]}"}
    if backend == "wire":
        values["CODOC_MONGO_URI"] = request.getfixturevalue("wire_server").uri
    for marker in request.node.iter_markers("settings"):
        values.update(marker.kwargs)
    return values


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["codoc.store"]


@pytest.fixture(scope="session")
def nlp_engine():
    """The EDS-NLP engine, loaded once per test session (from its cache when built)."""
    pytest.importorskip("edsnlp")
    import nlp

    return nlp.get_engine(wait=None)


def assert_outcome(response, status: int, code: str | None = None) -> dict:
    """The response is an OperationOutcome with this status (and issue code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith(FHIR_JSON), response.content_type
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"] and all({"severity", "code", "diagnostics"} <= set(i) for i in body["issue"]), body
    if code:
        assert code in [i["code"] for i in body["issue"]], body
    return body


def pytest_configure(config):
    config.addinivalue_line("markers", "settings(**kw): extra app settings for this test")
