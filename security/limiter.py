"""Rate limits (flask-limiter, fixed one-hour window): anonymous callers per client IP, authenticated ones per
token subject, counted in Redis (shared by every worker and host) or in memory (one process, development).

Redis down: fail open to per-process memory counters. flask-limiter logs a warning, keeps enforcing the same
limits in each worker's memory (so at most workers × limit per hour) and probes Redis again with exponential
back-off, switching back when it answers. A request is never refused (nor answered 500) because Redis is down.
"""
from __future__ import annotations

from flask import Flask, g, request
from flask_limiter import Limiter

KEY_PREFIX = "codoc"


def _principal():
    return getattr(g, "codoc_principal", None)


def limit_key() -> str:
    """Whose counter: the token subject (authenticated), else the client IP (after the trusted proxy hops)."""
    principal = _principal()
    return f"sub:{principal.key}" if principal else f"ip:{request.remote_addr or 'unknown'}"


def init_app(app: Flask) -> Limiter:
    """One application-wide limit per caller, chosen per request (anonymous or authenticated)."""
    cfg = app.config
    anonymous, authenticated = cfg["CODOC_RATELIMIT_ANONYMOUS"], cfg["CODOC_RATELIMIT_AUTHENTICATED"]
    storage = cfg["CODOC_REDIS_URL"] or "memory://"
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if storage.startswith(("redis", "rediss")) else {}

    def current_limit() -> str:
        return authenticated if _principal() else anonymous

    limiter = Limiter(
        key_func=limit_key,
        application_limits=[current_limit],
        storage_uri=storage,
        storage_options=options,
        strategy="fixed-window",
        headers_enabled=True,
        retry_after="delta-seconds",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix=KEY_PREFIX,
        request_identifier=lambda: request.endpoint or "unrouted",
        enabled=cfg["CODOC_RATELIMIT_ENABLED"],
    )
    limiter.init_app(app)
    app.extensions["codoc.limiter"] = limiter
    return limiter
