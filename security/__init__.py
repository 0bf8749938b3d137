"""Security of the API: tokens (JWT, SMART scopes), rate limits, CORS, security headers, production checks.

``init_app`` wires them in the order a request meets them: CORS preflight → authentication → rate limit; the FHIR
routes' gate (handlers/routes.py) then checks the scopes and records the audit trail.
"""
from __future__ import annotations

import logging

from flask import Flask, g
from werkzeug.datastructures import Headers
from werkzeug.middleware.proxy_fix import ProxyFix

from security import cors, limiter, tokens

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


#: Loggers that would print stored documents (patient data) at DEBUG level: capped at INFO.
DOCUMENT_LOGGERS = ("pymongo.command",)


def init_app(app: Flask) -> None:
    for name in DOCUMENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    hops = int(app.config["CODOC_TRUSTED_PROXIES"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)

    defaults = list(SECURITY_HEADERS.items())
    if app.config["CODOC_ENV"] == "production":
        defaults.append(("Strict-Transport-Security", "max-age=31536000"))
    Headers(defaults)  # checked once here (no newline in a value), as werkzeug would on every response
    checked = [(name, name.lower(), value) for name, value in defaults]

    @app.after_request  # registered first, so it runs last (Flask runs after_request hooks in reverse)
    def security_headers(response):
        """Headers of every answer; no ``Server`` banner from the app (gunicorn's own carries no version);
        ``Retry-After`` only where it means something (flask-limiter adds it to every answer)."""
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}  # one pass: each lookup of Headers walks the list
        cors.append_trusted(headers, [(name, value) for name, lowered, value in checked if lowered not in present])
        if "server" in present:
            headers.pop("Server", None)
        if response.status_code == 503:  # its own short delay, not the rate-limit window flask-limiter adds
            headers["Retry-After"] = g.get("codoc_retry_after", "2")
        elif response.status_code == 202 and g.get("codoc_retry_after"):  # an export still running: poll later
            headers["Retry-After"] = g.codoc_retry_after
        elif response.status_code != 429 and "retry-after" in present:
            headers.pop("Retry-After", None)
        return response

    cors.init_app(app)
    tokens.init_app(app)
    limiter.init_app(app)
