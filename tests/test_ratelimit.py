"""Rate limits: anonymous per client IP, authenticated per token subject, fixed hourly window; memory storage in
one process, a real Redis shared by several processes; Redis down fails open."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from app import create_app
from config import load_config
from tests.conftest import BASE, assert_outcome
from tests.redis_server import RedisServer, free_port, redis_binary, redis_server  # noqa: F401
from tests.test_auth import bearer

ROOT = Path(__file__).resolve().parent.parent
SMALL = pytest.mark.settings(CODOC_RATELIMIT_ANONYMOUS="5/hour", CODOC_RATELIMIT_AUTHENTICATED="3/hour")
METADATA = f"{BASE}/metadata"


def exhaust(client, count: int, **kwargs) -> None:
    for n in range(count):
        response = client.get(METADATA, **kwargs)
        assert response.status_code == 200, f"request {n + 1}: {response.status_code}"


def assert_throttled(response) -> None:
    assert_outcome(response, 429, "throttled")
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_default_limits_are_exactly_100_and_1000_per_hour(settings):
    for profile in ("development", "production", "testing"):
        config = load_config({"CODOC_ENV": profile}, environ={})
        assert config["CODOC_RATELIMIT_ANONYMOUS"] == "100/hour"
        assert config["CODOC_RATELIMIT_AUTHENTICATED"] == "1000/hour"
    app = create_app(settings)
    client = app.test_client()
    anonymous = client.get(METADATA)
    assert anonymous.headers["X-RateLimit-Limit"] == "100"
    assert anonymous.headers["X-RateLimit-Remaining"] == "99"
    authenticated = client.get(METADATA, headers=bearer(app, "system/*.read"))
    assert authenticated.headers["X-RateLimit-Limit"] == "1000"
    assert 3500 <= int(authenticated.headers["X-RateLimit-Reset"]) - time.time() <= 3601  # one-hour window


@SMALL
def test_anonymous_limit_per_ip_then_429_throttled(client):
    exhaust(client, 5)
    assert_throttled(client.get(METADATA))
    assert_throttled(client.get(f"{BASE}/Patient/x"))  # one counter for the whole API
    other_ip = client.get(METADATA, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_ip.status_code == 200 and other_ip.headers["X-RateLimit-Remaining"] == "4"


@SMALL
def test_authenticated_limit_is_per_subject_whatever_the_ip(app, client):
    exhaust(client, 5)  # the IP is spent: tokens still work, on their own counters
    alice, bob = bearer(app, "system/*.read", "alice"), bearer(app, "system/*.read", "bob")
    exhaust(client, 2, headers=alice)
    exhaust(client, 1, headers=alice, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert_throttled(client.get(METADATA, headers=alice))
    assert client.get(METADATA, headers=bob).headers["X-RateLimit-Remaining"] == "2"


@SMALL
@pytest.mark.parametrize("path,status", [("/metadata", 200), ("/Patient/unknown", 404), ("/Patient", 405),
                                         ("/Nothing/x", 404), ("/patient/?birthdate=garbage", 400)])
def test_every_response_carries_rate_limit_headers(client, path, status):
    response = client.get(f"{BASE}{path}")
    assert response.status_code == status
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert header in response.headers, header
    assert "Retry-After" not in response.headers
    assert client.get("/no/such/route").headers["X-RateLimit-Limit"] == "5"


@SMALL
def test_forwarded_for_is_ignored_without_trusted_proxies(client):
    for n in range(5):
        client.get(METADATA, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    assert_throttled(client.get(METADATA, headers={"X-Forwarded-For": "192.0.2.200"}))


@SMALL
@pytest.mark.settings(CODOC_TRUSTED_PROXIES=1)
def test_one_trusted_proxy_hop_gives_each_client_its_own_counter(client):
    exhaust(client, 5, headers={"X-Forwarded-For": "198.51.100.1"})
    assert_throttled(client.get(METADATA, headers={"X-Forwarded-For": "198.51.100.1"}))
    # a client spoofing an extra hop is still identified by what the trusted proxy saw (the last entry)
    assert_throttled(client.get(METADATA, headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}))
    assert client.get(METADATA, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


@SMALL
@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
def test_limiter_can_be_turned_off_for_benchmarks(client):
    exhaust(client, 8)


# -- real Redis -------------------------------------------------------------------------------------------------------
@pytest.mark.redis
@SMALL
def test_limit_holds_across_two_apps_sharing_redis(settings, redis_server):  # noqa: F811
    redis_server.flush()
    first = create_app({**settings, "CODOC_REDIS_URL": redis_server.url}).test_client()
    second = create_app({**settings, "CODOC_REDIS_URL": redis_server.url}).test_client()
    for n in range(5):
        assert (first if n % 2 else second).get(METADATA).status_code == 200
    assert_throttled(first.get(METADATA))
    assert_throttled(second.get(METADATA))


@pytest.mark.redis
@SMALL
def test_each_request_costs_one_redis_call(settings, redis_server):  # noqa: F811
    """One Lua call (INCR + EXPIRE) per request; the window's reset is known to the process that opened it."""
    import redis

    redis_server.flush()
    client = create_app({**settings, "CODOC_REDIS_URL": redis_server.url}).test_client()
    connection = redis.Redis.from_url(redis_server.url)
    connection.config_resetstat()
    resets = {client.get(METADATA).headers["X-RateLimit-Reset"] for _ in range(4)}
    stats = connection.info("commandstats")
    calls = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
    assert calls["evalsha"] <= 4 + 1, calls  # + one retry after the script is loaded, once per connection
    assert not {"ttl", "pttl", "get"} & set(calls), calls  # no read of the counter or its expiry
    assert len(resets) == 1


SERVE = textwrap.dedent("""
    import sys
    from werkzeug.serving import make_server
    from app import create_app
    app = create_app({"CODOC_ENV": "testing", "CODOC_REDIS_URL": sys.argv[2],
                      "CODOC_RATELIMIT_ANONYMOUS": "5/hour", "CODOC_RATELIMIT_AUTHENTICATED": "3/hour"})
    make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
""")


def serve(port: int, redis_url: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port), redis_url], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:])
        try:
            requests.head(f"http://127.0.0.1:{port}/ping", timeout=0.5)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the app process did not start")


@pytest.mark.redis
def test_limit_holds_across_two_processes_sharing_redis(redis_server):  # noqa: F811
    redis_server.flush()
    ports = [free_port(), free_port()]
    processes = [serve(port, redis_server.url) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}{METADATA}" for port in ports]
        # the probes above cost one request each from 127.0.0.1: three are left, spent alternately
        answers = [requests.get(urls[n % 2], timeout=5) for n in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        for url in urls:
            throttled = requests.get(url, timeout=5)
            assert throttled.status_code == 429 and throttled.json()["issue"][0]["code"] == "throttled"
            assert int(throttled.headers["Retry-After"]) > 0
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.redis
@SMALL
def test_redis_down_fails_open_to_memory_counters_never_500(settings, caplog):
    redis_binary()  # same rule as the other Redis tests: no binary, no test (a failure in CI)
    caplog.set_level(logging.WARNING)
    client = create_app({**settings, "CODOC_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}).test_client()
    exhaust(client, 5)  # Redis unreachable from the start: answered, counted in memory
    assert_throttled(client.get(METADATA))
    assert "falling back to in-memory storage" in caplog.text


@pytest.mark.redis
@SMALL
def test_redis_stopping_mid_window_never_fails_a_request(settings):
    server = RedisServer(redis_binary()).start()
    try:
        client = create_app({**settings, "CODOC_REDIS_URL": server.url}).test_client()
        exhaust(client, 2)
        server.stop()
        statuses = [client.get(METADATA).status_code for _ in range(4)]
        assert 500 not in statuses and statuses[:3] == [200, 200, 200]
    finally:
        server.stop()
