"""Rate limits (flask-limiter, fixed one-hour window): anonymous callers per client IP, authenticated ones per
token subject, counted in Redis (shared by every worker and host) or in memory (one process, development).

flask-limiter builds the storage and parses the limits; the per-request work is ours, because its request hooks
cost ~275 µs per request in memory and 3–4 Redis round trips (hit, then get + ttl for the headers). Here a request
costs one counter increment — one Lua call to Redis (``INCR`` + ``EXPIRE``), or a dict update in memory — and the
window's reset time comes from a per-process cache (filled when this process opens the window, else read once).

Redis down: fail open to per-process memory counters (at most workers × limit per hour), a warning logged, Redis
tried again every few seconds. A request is never refused (nor answered 500) because Redis is down.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, g, request
from flask_limiter import Limiter
from limits import parse
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

KEY_PREFIX = "codoc"
#: Seconds between attempts to use Redis again after it failed.
RETRY_BACKEND_SECONDS = 5.0
#: Most window reset times kept per process (one per active caller).
MAX_CACHED_WINDOWS = 100_000
log = logging.getLogger("codoc.security")


def _principal():
    return getattr(g, "codoc_principal", None)


def limit_key() -> str:
    """Whose counter: the token subject (authenticated), else the client IP (after the trusted proxy hops)."""
    principal = _principal()
    return f"sub:{principal.key}" if principal else f"ip:{request.remote_addr or 'unknown'}"


class RateLimiter:
    """One application-wide limit per caller, chosen per request (anonymous or authenticated)."""

    def __init__(self, app: Flask):
        cfg = app.config
        self.enabled = cfg["CODOC_RATELIMIT_ENABLED"]
        self.anonymous, self.authenticated = parse(cfg["CODOC_RATELIMIT_ANONYMOUS"]), \
            parse(cfg["CODOC_RATELIMIT_AUTHENTICATED"])
        uri = cfg["CODOC_REDIS_URL"] or "memory://"
        options = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith(("redis", "rediss")) else {}
        self.extension = Limiter(key_func=limit_key, storage_uri=uri, storage_options=options,
                                 strategy="fixed-window", headers_enabled=False, key_prefix=KEY_PREFIX,
                                 enabled=self.enabled)
        # flask-limiter configures its storage in init_app and registers its request hooks only for an extension
        # the app does not list yet: listed first, it keeps the storage and leaves the per-request work to us.
        app.extensions.setdefault("limiter", set()).add(self.extension)
        self.extension.init_app(app)
        self.fallback = MemoryStorage()
        self.storage = self.extension.storage if self.enabled else self.fallback
        self.shared = uri != "memory://"
        self._failed_at: float | None = None
        self._resets: dict[str, float] = {}
        self._lock = threading.Lock()

    def hit(self) -> None:
        """Count this request; :raises TooManyRequests: over the limit (the error mapper answers 429)."""
        limit = self.authenticated if _principal() else self.anonymous
        key = f"{KEY_PREFIX}/{limit.key_for(limit_key())}"
        window = limit.get_expiry()
        count, storage = self._increment(key, window)
        now = time.time()
        reset = self._reset_of(key, count, window, now, storage)
        g.codoc_rate = (limit.amount, max(0, limit.amount - count), int(reset))
        if count > limit.amount:
            error = TooManyRequests(str(limit))
            error.retry_after = max(1, int(reset - now))
            raise error

    def _increment(self, key: str, window: int):
        if self.shared and (self._failed_at is None or time.monotonic() - self._failed_at > RETRY_BACKEND_SECONDS):
            try:
                count = self.storage.incr(key, window)
                if self._failed_at is not None:
                    log.warning("rate limit storage is back: counting in Redis again")
                    self._failed_at = None
                return count, self.storage
            except Exception as exc:  # noqa: BLE001 - never refuse a request because Redis is down
                if self._failed_at is None:
                    log.warning("rate limit storage unavailable (%s): falling back to in-memory storage",
                                type(exc).__name__)
                self._failed_at = time.monotonic()
        return self.fallback.incr(key, window), self.fallback

    def _reset_of(self, key: str, count: int, window: int, now: float, storage) -> float:
        """When the caller's window ends: known when this request opened it, else read once and cached."""
        with self._lock:
            reset = self._resets.get(key)
            if count == 1 or reset is None or reset <= now:
                reset = now + window if count == 1 else None
        if reset is None:
            try:
                reset = storage.get_expiry(key)
            except Exception:  # noqa: BLE001 - headers are best effort when the storage fails
                reset = now + window
        with self._lock:
            if len(self._resets) >= MAX_CACHED_WINDOWS:
                self._resets = {k: r for k, r in self._resets.items() if r > now}
            self._resets[key] = reset
        return reset


def init_app(app: Flask) -> RateLimiter:
    limiter = RateLimiter(app)
    app.extensions["codoc.limiter"] = limiter

    @app.before_request
    def rate_limit():
        if limiter.enabled and request.blueprint != "health":  # probes of load balancers are not callers
            limiter.hit()

    @app.after_request
    def rate_limit_headers(response):
        rate = g.get("codoc_rate")
        if rate is not None:
            response.headers["X-RateLimit-Limit"] = str(rate[0])
            response.headers["X-RateLimit-Remaining"] = str(rate[1])
            response.headers["X-RateLimit-Reset"] = str(rate[2])
            if response.status_code == 429:
                response.headers["Retry-After"] = str(max(1, rate[2] - int(time.time())))
        return response

    return limiter
