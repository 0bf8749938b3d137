"""Start-up checks: the production profile refuses settings that would leave patient data exposed. No Flask here."""
from __future__ import annotations

import logging
from typing import Any

from config import defaults
from security.cors import origins_of

log = logging.getLogger("codoc.security")
MIN_SECRET_LENGTH = 32


def problems(settings: dict[str, Any]) -> list[str]:
    """What keeps these production settings from starting (never echoes a secret)."""
    found = []
    secret = settings.get("CODOC_SECRET_KEY") or ""
    if secret == defaults.CODOC_SECRET_KEY:
        found.append("CODOC_SECRET_KEY is the development default; set a random key of 32+ characters "
                     "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
    elif len(secret) < MIN_SECRET_LENGTH:
        found.append(f"CODOC_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
    if "*" in origins_of(settings.get("CODOC_CORS_ORIGINS")):
        found.append("CODOC_CORS_ORIGINS contains the wildcard '*'; list the allowed origins")
    if not settings.get("CODOC_REDIS_URL"):
        found.append("CODOC_REDIS_URL is not set: the in-memory rate limiter does not hold across workers")
    if settings.get("CODOC_ALLOW_ANONYMOUS"):
        found.append("CODOC_ALLOW_ANONYMOUS is on: production requires a token")
    if not settings.get("CODOC_RATELIMIT_ENABLED", True):
        found.append("CODOC_RATELIMIT_ENABLED is off")
    if not settings.get("CODOC_AUDIT_ENABLED", True):
        found.append("CODOC_AUDIT_ENABLED is off: the audit trail is a GDPR obligation")
    return found


def check(settings: dict[str, Any]) -> None:
    """Refuse to start a production app with unsafe settings; warn loudly about anonymous access elsewhere.

    :raises RuntimeError: the production profile with any of ``problems``.
    """
    if settings.get("CODOC_ENV") == "production":
        found = problems(settings)
        if found:
            raise RuntimeError("refusing to start the production profile:\n- " + "\n- ".join(found))
    elif settings.get("CODOC_ALLOW_ANONYMOUS") and settings.get("CODOC_ENV") == "development":
        log.warning("*" * 100)
        log.warning("ANONYMOUS ACCESS IS ON (profile %s): anyone reaching this server can read and write "
                    "patient data. Use CODOC_ENV=production for real data.", settings.get("CODOC_ENV"))
        log.warning("*" * 100)
