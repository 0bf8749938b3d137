"""The per-request shortcuts of the HTTP layer (issue 10, item 6) answer exactly what the long way answers: the
HTTP date of ``Last-Modified``, the base URL per host, the CORS headers of requests without an ``Origin``, the ids,
the scope decisions and the plain-function check of Flask."""
from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from flask_cors import CORS

from app import CodocFlask, create_app
from handlers.http.io import http_date
from handlers.ids import random_hex, random_uuid, time_ordered_uuids
from security import scopes as smart
from security.cors import EXPOSED, METHODS, ALLOWED_HEADERS, _with_fast_path
from tests.conftest import BASE

IPP = "urn:oid:1.2.250.1.71.4.2.1"


def patient(value: str) -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": IPP, "value": value}], "gender": "female"}


def _reference_date(instant: str) -> str:
    return format_datetime(datetime.fromisoformat(instant.replace("Z", "+00:00")), usegmt=True)


def test_http_date_is_format_datetime_of_the_instant():
    rng = random.Random(10)
    start = datetime(1, 1, 1, tzinfo=timezone.utc)
    for _ in range(20_000):
        moment = start + timedelta(seconds=rng.uniform(0, 9998 * 365.25 * 86400), microseconds=rng.randrange(10 ** 6))
        for instant in (moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                        moment.isoformat(timespec="seconds").replace("+00:00", "Z")):
            assert http_date(instant) == _reference_date(instant), instant


def _outcome(function, instant: str):
    try:
        return function(instant)
    except Exception as error:  # noqa: BLE001 - the same failure is part of the answer
        return type(error)


@pytest.mark.parametrize("instant", ["2026-12-01T18:14:16.5Z", "2026-12-01T18:14:16.123456Z",
                                     "2026-12-01T20:14:16.123+02:00", "2026-12-01T18:14:16.123+00:00",
                                     "2026-02-30T10:00:00.000Z", "2026-12-01T24:00:00.000Z",
                                     "2026-12-01T23:59:60.000Z", "2026-12-01T20:14:16.123Zx", "2026-12-01"])
def test_http_date_of_other_spellings_answers_or_fails_as_the_long_way(instant):
    assert _outcome(http_date, instant) == _outcome(_reference_date, instant)


def test_ids_are_version_4_uuids():
    seen = set()
    for _ in range(2000):
        text, digits = random_uuid(), random_hex()
        parsed, raw = uuid.UUID(text), uuid.UUID(hex=digits)
        assert str(parsed) == text and raw.hex == digits and len(digits) == 32
        assert parsed.version == raw.version == 4 and parsed.variant == raw.variant == uuid.RFC_4122
        seen.update((text, digits))
    assert len(seen) == 4000


def test_time_ordered_ids_are_version_7_uuids_ascending_within_a_call_and_across_milliseconds():
    earlier = time_ordered_uuids(3)
    time.sleep(0.002)
    batches = [time_ordered_uuids(2048) for _ in range(3)]
    for batch in batches:
        parsed = [uuid.UUID(text) for text in batch]
        assert [str(p) for p in parsed] == batch
        assert {p.version for p in parsed} == {7} and {p.variant for p in parsed} == {uuid.RFC_4122}
        assert batch == sorted(batch) and batch[0] > max(earlier)
        assert abs(int(batch[0][:8] + batch[0][9:13], 16) - time.time() * 1000) < 5000  # the Unix time in ms
    assert len({i for batch in batches for i in batch}) == 3 * 2048


def test_base_url_follows_each_host(client):
    created = client.post(f"{BASE}/Patient", json=patient("H-0"))
    assert created.status_code == 201
    for n, host in enumerate(("a.example", "b.example:8443", "a.example"), 1):
        response = client.post(f"{BASE}/Patient", json=patient(f"H-{n}"), headers={"Host": host})
        assert response.headers["Location"].startswith(f"http://{host}{BASE}/Patient/"), response.headers
    https = client.post(f"{BASE}/Patient", json=patient("H-9"), base_url="https://c.example/")
    assert https.headers["Location"].startswith(f"https://c.example{BASE}/Patient/")


def _cors_app(origins, fast: bool) -> CodocFlask:
    app = CodocFlask("cors")
    CORS(app, resources={f"{BASE}/*": {}, r"/auth/*": {}}, origins=origins, expose_headers=EXPOSED,
         allow_headers=ALLOWED_HEADERS, methods=METHODS, max_age=600, supports_credentials=False, vary_header=True)
    if fast:
        _with_fast_path(app)

    @app.route("/<path:path>", methods=METHODS)
    def anything(path):
        if path.endswith("boom"):
            raise RuntimeError("boom")
        return {"path": path}

    return app


CORS_REQUESTS = [("GET", f"{BASE}/Patient/1", {}), ("POST", f"{BASE}/Patient", {}), ("GET", "/auth/token", {}),
                 ("GET", "/healthz", {}), ("GET", f"{BASE}%2FPatient", {}), ("GET", "/v4x3x0/Patient", {}),
                 ("GET", f"{BASE}/Patient/1", {"Origin": "https://app.example"}),
                 ("GET", f"{BASE}/Patient/1", {"Origin": "https://evil.example"}),
                 ("GET", f"{BASE}/Patient/1", {"Origin": ""}),
                 ("OPTIONS", f"{BASE}/Patient", {"Origin": "https://app.example",
                                                  "Access-Control-Request-Method": "PUT"}),
                 ("OPTIONS", f"{BASE}/Patient", {}),
                 ("GET", f"{BASE}/Patient/1", {"Access-Control-Request-Private-Network": "true"}),
                 ("GET", f"{BASE}/boom", {})]


@pytest.mark.parametrize("origins", [["*"], ["https://app.example"], ["https://app.example", "https://b.example"]])
def test_cors_fast_path_answers_what_flask_cors_answers(origins):
    slow, fast = (_cors_app(origins, f).test_client() for f in (False, True))
    for method, path, headers in CORS_REQUESTS:
        answers = [c.open(path, method=method, headers=headers) for c in (slow, fast)]
        assert answers[0].status_code == answers[1].status_code, (method, path)
        assert list(answers[0].headers.items()) == list(answers[1].headers.items()), (method, path, headers)


def test_cors_fast_path_is_installed_on_the_app(app):
    names = [getattr(f, "__qualname__", "") for f in app.after_request_funcs[None]]
    assert any(n.startswith("_with_fast_path") for n in names), names


@pytest.mark.parametrize("scopes", [frozenset(), smart.ANONYMOUS_SCOPES, frozenset({"system/Patient.rs"}),
                                    frozenset({"system/*.read", smart.ADMIN_SCOPE}), frozenset({"patient/*.*"})])
def test_scope_decisions_are_the_same_every_time(scopes):
    needs = [smart.need_for(i, t) for i in (*smart.INTERACTIONS, "operation") for t in ("Patient", "Observation")]
    needs += [smart.Need((), "", admin=True), smart.Need(("Patient",), "d", or_admin=True)]
    first = [smart.allows(scopes, need) for need in needs]
    assert [smart.allows(list(scopes), need) for need in needs] == first
    assert [smart.allows(set(scopes), need) for need in needs] == first
    assert smart.need_for("read", "Patient") == smart.Need(("Patient",), "r")


def test_plain_functions_are_checked_once_and_coroutines_still_go_to_flask():
    app = CodocFlask("sync")

    def plain():
        return "ok"

    assert app.ensure_sync(plain) is plain and plain in app._plain_functions
    assert app.ensure_sync(plain) is plain

    async def coroutine():
        return "ok"

    try:
        wrapped = app.ensure_sync(coroutine)
    except RuntimeError:  # Flask without its async extra
        wrapped = None
    assert wrapped is not coroutine and coroutine not in app._plain_functions


def test_the_app_factory_builds_a_codoc_flask(settings):
    assert isinstance(create_app(settings), CodocFlask)
