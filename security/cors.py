"""CORS (flask-cors): origins from CODOC_CORS_ORIGINS; preflights answered before authentication and limits."""
from __future__ import annotations

from urllib.parse import unquote

from flask import Flask, Response, request
from flask_cors import CORS
from flask_cors import core as cors_core
from werkzeug.datastructures import Headers

from config import FHIR_VERSION

EXPOSED = ["ETag", "Location", "Last-Modified", "Content-Location", "X-Codoc-OperationOutcome", "X-RateLimit-Limit",
           "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Progress", "X-Request-ID",
           "WWW-Authenticate"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "If-None-Exist", "If-Modified-Since",
                   "Prefer", "X-Request-ID"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]


def append_trusted(headers, items: list[tuple[str, str]]) -> None:
    """Append headers already checked once (constants of this process) to a response's werkzeug ``Headers``, without
    its check of each value on every response; through ``extend`` when the headers are not werkzeug's list."""
    store = getattr(headers, "_list", None)
    if isinstance(store, list) and isinstance(headers, Headers):
        store.extend(items)
    else:
        headers.extend(items)


def origins_of(setting) -> list[str]:
    """CODOC_CORS_ORIGINS as a list (it may come as a comma-separated string)."""
    if isinstance(setting, str):
        setting = setting.split(",")
    return [o.strip() for o in setting or () if o and o.strip()]


def is_preflight() -> bool:
    req = request._get_current_object()
    return req.method == "OPTIONS" and "Access-Control-Request-Method" in req.headers


def init_app(app: Flask) -> None:
    """CORS headers on /v4.3.0/* and /auth/*; the preflight itself is a 204 that needs no token."""
    origins = origins_of(app.config["CODOC_CORS_ORIGINS"])

    @app.before_request
    def preflight():
        if is_preflight():
            response = Response(status=204)
            response.headers.remove("Content-Type")
            return response
        return None

    if origins:
        CORS(app, resources={f"/v{FHIR_VERSION}/*": {}, r"/auth/*": {}}, origins=origins, expose_headers=EXPOSED,
             allow_headers=ALLOWED_HEADERS, methods=METHODS, max_age=600, supports_credentials=False,
             vary_header=True)
        _with_fast_path(app)


def _with_fast_path(app: Flask) -> None:
    """flask-cors's response hook, answered from headers computed once per CORS resource when the request has no
    ``Origin`` (API clients, not browsers): then its headers depend on the matched resource alone. Any other
    request (an ``Origin``, a preflight, private network access, headers already set) goes to flask-cors itself.
    Without the hook's expected shape (another flask-cors), flask-cors stays as it is."""
    hooks = app.after_request_funcs.get(None, [])
    found = [n for n, hook in enumerate(hooks) if getattr(hook, "__name__", "") == "cors_after_request"]
    if len(found) != 1:
        return
    original = hooks[found[0]]
    cells = dict(zip(original.__code__.co_freevars, (c.cell_contents for c in original.__closure__ or ())))
    resources = cells.get("resources")
    if not isinstance(resources, list) or not all(isinstance(r, tuple) and len(r) == 2 for r in resources):
        return
    computed: dict[int, list] = {}

    def cors_after_request(response):
        req = request._get_current_object()
        headers = req.headers
        if req.method == "OPTIONS" or "Origin" in headers \
                or cors_core.ACL_REQUEST_HEADER_PRIVATE_NETWORK in headers \
                or not isinstance(response.headers, Headers) or response.headers.get(cors_core.ACL_ORIGIN) \
                or hasattr(response, cors_core.FLASK_CORS_EVALUATED):
            return original(response)
        path = unquote(req.path)
        for n, (pattern, options) in enumerate(resources):
            if cors_core.try_match_pattern(path, pattern, caseSensitive=True):
                items = computed.get(n)
                if items is None:
                    items = list(cors_core.get_cors_headers(options, Headers(), "GET").items())
                    items = computed[n] = list(Headers(items).items())  # as ``add`` writes them: checked, str
                append_trusted(response.headers, items)
                break
        return response

    hooks[found[0]] = cors_after_request
