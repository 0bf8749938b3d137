"""Security benchmark: cost of authentication + rate limiter + audit trail per request.

Ratios, not absolute times: the same reads, searches and creates are timed in one process on one backend with
security off (anonymous, no limiter, no audit) and on (a bearer token checked for its SMART scopes, the limiter
counting in memory or in a real Redis, one AuditEvent per request). Usage:
``python bench/bench_security.py [--n 500] [--backend mongomock|wire] [--redis] [--json]``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import emit, timed  # noqa: E402

from flask_jwt_extended import create_access_token  # noqa: E402

from app import create_app  # noqa: E402
from fhirstore.embedded import EmbeddedMongo  # noqa: E402
from security.clients import create_client  # noqa: E402

PATIENT = {"resourceType": "Patient", "gender": "female", "birthDate": "1970-03-01",
           "name": [{"family": "Martin", "given": ["Claire"]}]}
OFF = {"CODOC_ALLOW_ANONYMOUS": True, "CODOC_RATELIMIT_ENABLED": False, "CODOC_AUDIT_ENABLED": False}
ON = {"CODOC_ALLOW_ANONYMOUS": False, "CODOC_RATELIMIT_ENABLED": True, "CODOC_AUDIT_ENABLED": True,
      "CODOC_RATELIMIT_AUTHENTICATED": "100000000/hour"}


def measure(uri: str, settings: dict, n: int) -> dict[str, float]:
    app = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": uri,
                      "CODOC_MONGO_DB": f"bench_{uuid.uuid4().hex[:8]}", **settings})
    client = app.test_client()
    headers = {}
    if not settings["CODOC_ALLOW_ANONYMOUS"]:  # security on: every request carries a token to verify
        client_id, _ = create_client(app.extensions["codoc.store"], ["system/*.*"], "bench")  # a live client
        with app.app_context():
            token = create_access_token(client_id, additional_claims={"scope": "system/*.*"})
        headers = {"Authorization": f"Bearer {token}"}
    ids = [client.post("/v4.3.0/Patient", json=PATIENT, headers=headers).get_json()["id"] for _ in range(20)]
    cursor = iter(ids * (n + 10))
    return {
        "read_ms": timed(lambda: client.get(f"/v4.3.0/Patient/{next(cursor)}", headers=headers), n) * 1e3,
        "search_ms": timed(lambda: client.get(f"/v4.3.0/Patient?_id={next(cursor)}", headers=headers), n) * 1e3,
        "create_ms": timed(lambda: client.post("/v4.3.0/Patient", json=PATIENT, headers=headers), n) * 1e3,
    }


def run(uri: str, n: int, redis_url: str | None) -> dict:
    measure(uri, OFF, max(10, n // 10))  # warm-up: imports, first connections
    off, on = measure(uri, OFF, n), measure(uri, ON, n)
    results = {f"off_{k}": v for k, v in off.items()} | {f"on_{k}": v for k, v in on.items()}
    results |= {f"{k.removesuffix('_ms')}_ratio": on[k] / off[k] for k in off}
    if redis_url:
        redis = measure(uri, {**ON, "CODOC_REDIS_URL": redis_url}, n)
        results |= {f"redis_{k}": v for k, v in redis.items()}
        results |= {f"redis_{k.removesuffix('_ms')}_ratio": redis[k] / off[k] for k in off}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--backend", choices=["mongomock", "wire"], default="wire")
    parser.add_argument("--redis", action="store_true", help="also count in a real redis-server (started here)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        uri = "mongomock://"
        if args.backend == "wire":
            uri = stack.enter_context(EmbeddedMongo(stack.enter_context(tempfile.TemporaryDirectory()))).uri
        redis_url = None
        if args.redis:
            from tests.redis_server import RedisServer
            import shutil

            server = RedisServer(shutil.which("redis-server") or "redis-server").start()
            stack.callback(server.stop)
            redis_url = server.url
        results = run(uri, args.n, redis_url)
    results = {"backend": args.backend, "n": args.n, **{k: round(v, 3) for k, v in results.items()}}
    emit(results, args.json)


if __name__ == "__main__":
    main()
