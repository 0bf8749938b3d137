"""Health probes outside /v4.3.0: the process answers (/healthz), its store and Redis answer in time (/readyz)."""
from __future__ import annotations

import time

import pytest

from tests.conftest import assert_outcome
from tests.redis_server import free_port


def test_healthz_and_readyz_answer_200_without_token_or_rate_limit(client):
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and "MongoDB" in ready.get_json()["issue"][0]["diagnostics"]
    assert "X-RateLimit-Limit" not in ready.headers


def test_readyz_is_503_within_a_second_or_so_when_the_store_hangs(client, store, monkeypatch):
    monkeypatch.setattr(store, "ping", lambda: time.sleep(5))
    started = time.monotonic()
    answer = client.get("/readyz")
    assert time.monotonic() - started < 2
    assert_outcome(answer, 503, "transient")
    assert "MongoDB" in answer.get_json()["issue"][0]["diagnostics"] and answer.headers["Retry-After"] == "2"
    assert client.get("/healthz").status_code == 200


@pytest.mark.redis
def test_readyz_names_redis_when_it_does_not_answer(settings):
    from app import create_app

    client = create_app({**settings, "CODOC_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}).test_client()
    answer = client.get("/readyz")
    assert_outcome(answer, 503, "transient")
    assert "Redis" in answer.get_json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND"])
def test_methods_outside_the_api_are_405_not_404(client, method):
    answer = client.open("/v4.3.0/Patient/x", method=method)
    assert_outcome(answer, 405, "not-supported")
    assert "GET" in answer.headers["Allow"]
