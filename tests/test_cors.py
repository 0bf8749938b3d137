"""CORS: allowed origins from CODOC_CORS_ORIGINS, preflight without a token, exposed headers."""
from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import BASE

ORIGIN = "https://app.hopital.example"
ALLOWED = pytest.mark.settings(CODOC_CORS_ORIGINS=[ORIGIN], CODOC_ALLOW_ANONYMOUS=False,
                               CODOC_RATELIMIT_ANONYMOUS="2/hour")
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match"}


@ALLOWED
@pytest.mark.parametrize("path", ["/Patient/123", "/patient/123/", "/Patient", "/Observation/1/_history"])
def test_preflight_from_allowed_origin_succeeds_without_token(client, path):
    for _ in range(3):  # preflights are not counted against the rate limit either
        response = client.options(f"{BASE}{path}", headers=PREFLIGHT)
        assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "if-match"} <= {h.strip() for h in allowed.split(",")}


@ALLOWED
def test_preflight_of_token_endpoint(client):
    response = client.options("/auth/token", headers={**PREFLIGHT, "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == ORIGIN


@ALLOWED
def test_actual_request_exposes_etag_location_and_rate_limit_headers(client):
    response = client.get(f"{BASE}/metadata", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Location", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
            "Retry-After"} <= exposed


@ALLOWED
def test_errors_carry_cors_headers_too(client):
    response = client.get(f"{BASE}/Patient/1", headers={"Origin": ORIGIN})
    assert response.status_code == 401 and response.headers["Access-Control-Allow-Origin"] == ORIGIN


@ALLOWED
def test_other_origin_gets_no_cors_headers(client):
    for response in (client.get(f"{BASE}/metadata", headers={"Origin": "https://evil.example"}),
                     client.options(f"{BASE}/Patient", headers={**PREFLIGHT, "Origin": "https://evil.example"})):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_production_default_allows_no_origin(settings):
    app = create_app({"CODOC_MONGO_URI": "mongomock://", **settings, "CODOC_ENV": "production",
                      "CODOC_SECRET_KEY": "s" * 40, "CODOC_REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get(f"{BASE}/metadata", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.settings(CODOC_CORS_ORIGINS="https://a.example, https://b.example")
def test_origins_from_a_comma_separated_setting(client):
    for origin in ("https://a.example", "https://b.example"):
        response = client.get(f"{BASE}/metadata", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
