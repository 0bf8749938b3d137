"""CORS (flask-cors): origins from CODOC_CORS_ORIGINS; preflights answered before authentication and limits."""
from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

from config import FHIR_VERSION

EXPOSED = ["ETag", "Location", "Last-Modified", "Content-Location", "X-Codoc-OperationOutcome", "X-RateLimit-Limit",
           "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "X-Progress", "X-Request-ID",
           "WWW-Authenticate"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "If-None-Exist", "If-Modified-Since",
                   "Prefer", "X-Request-ID"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]


def origins_of(setting) -> list[str]:
    """CODOC_CORS_ORIGINS as a list (it may come as a comma-separated string)."""
    if isinstance(setting, str):
        setting = setting.split(",")
    return [o.strip() for o in setting or () if o and o.strip()]


def is_preflight() -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


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
