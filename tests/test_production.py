"""The production profile: refuses unsafe settings at start-up, requires a token; security headers everywhere."""
from __future__ import annotations

import logging

import pytest

from app import create_app
from config import defaults
from tests.conftest import BASE, assert_outcome
from tests.test_auth import bearer

GOOD_SECRET = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture
def production(settings) -> dict:
    """Settings a production app starts with (a Redis URL is only dialled on the first counted request)."""
    return {"CODOC_MONGO_URI": "mongomock://", **settings, "CODOC_ENV": "production",
            "CODOC_SECRET_KEY": GOOD_SECRET, "CODOC_REDIS_URL": "redis://127.0.0.1:1/0",
            "CODOC_CORS_ORIGINS": ["https://app.hopital.example"]}


@pytest.mark.parametrize("change,message", [
    ({"CODOC_SECRET_KEY": defaults.CODOC_SECRET_KEY}, "CODOC_SECRET_KEY is the development default"),
    ({"CODOC_SECRET_KEY": "short-secret"}, "CODOC_SECRET_KEY is shorter than 32"),
    ({"CODOC_CORS_ORIGINS": ["https://app.hopital.example", "*"]}, "wildcard"),
    ({"CODOC_CORS_ORIGINS": "*"}, "wildcard"),
    ({"CODOC_REDIS_URL": ""}, "CODOC_REDIS_URL is not set"),
    ({"CODOC_ALLOW_ANONYMOUS": True}, "CODOC_ALLOW_ANONYMOUS"),
    ({"CODOC_AUDIT_ENABLED": False}, "CODOC_AUDIT_ENABLED"),
])
def test_production_refuses_to_start_with_unsafe_settings(production, change, message):
    with pytest.raises(RuntimeError, match="refusing to start the production profile") as refused:
        create_app({**production, **change})
    assert message in str(refused.value)
    for secret in (defaults.CODOC_SECRET_KEY, "short-secret"):
        assert secret not in str(refused.value)


def test_production_default_settings_list_every_problem_at_once(monkeypatch):
    monkeypatch.setenv("CODOC_ENV", "production")
    monkeypatch.setenv("CODOC_MONGO_URI", "mongomock://")
    for name in ("CODOC_SECRET_KEY", "CODOC_REDIS_URL", "CODOC_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    text = str(refused.value)
    assert "CODOC_SECRET_KEY" in text and "CODOC_REDIS_URL" in text and "CODOC_CORS_ORIGINS" not in text


def test_production_requires_a_token_except_for_metadata_and_token_endpoint(production):
    app = create_app(production)
    client = app.test_client()
    assert client.get(f"{BASE}/metadata").status_code == 200
    assert client.post("/auth/token", data={"grant_type": "client_credentials"}).status_code == 400
    for method, path in (("GET", "/Patient/1"), ("GET", "/patient/?gender=female"), ("POST", "/Patient"),
                         ("GET", "/AuditEvent?entity=Patient/1"), ("POST", "/Patient/1/$expunge")):
        assert_outcome(client.open(f"{BASE}{path}", method=method), 401, "login")
    assert client.get(f"{BASE}/Patient/1", headers=bearer(app, "system/*.read")).status_code == 404
    security = client.get(f"{BASE}/metadata").get_json()["rest"][0]["security"]
    assert "/auth/token" in security["description"] and "token" in security["description"]


def test_production_answers_carry_hsts(production):
    response = create_app(production).test_client().get(f"{BASE}/metadata")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_development_warns_loudly_about_anonymous_access(settings, caplog):
    caplog.set_level(logging.WARNING, logger="codoc.security")
    create_app({"CODOC_MONGO_URI": "mongomock://", **settings, "CODOC_ENV": "development",
                "CODOC_CREATE_INDEXES": False})
    assert "ANONYMOUS ACCESS IS ON" in caplog.text


@pytest.mark.parametrize("path", ["/metadata", "/Patient/unknown", "/Patient", "/nothing/here/at/all/x",
                                  "/../v5.0.0/Patient"])
def test_security_headers_on_every_response(client, path):
    response = client.get(f"{BASE}{path}")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Server" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_capability_statement_describes_security(client):
    security = client.get(f"{BASE}/metadata").get_json()["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert "Anonymous access is allowed" in security["description"]
    assert "codoc/admin" in security["description"]
