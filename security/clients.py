"""API clients of ``POST /auth/token``: created by ``codoc create-client``, secrets kept as salted scrypt hashes.

The ``Client`` collection holds ``{_id: client_id, name, scopes, secret: "scrypt$n$r$p$salt$hash", created,
active}`` (a side collection of the store); the secret itself is shown once, at creation, and never stored.
No Flask here.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from fhirstore import FHIRStore
from security import scopes as smart

CLIENT_COLLECTION = "Client"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


@dataclass(frozen=True)
class Client:
    client_id: str
    scopes: frozenset[str]
    name: str = ""


def hash_secret(secret: str, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R,
                p: int = SCRYPT_P) -> str:
    """A self-describing scrypt hash of ``secret`` with a random 16-byte salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_secret(secret: str, stored: str) -> bool:
    """Constant-time comparison of ``secret`` with a ``hash_secret`` value."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = hash_secret(secret, base64.urlsafe_b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected.split("$")[-1], digest)


#: Compared against when the client id is unknown, so that a wrong id costs as much time as a wrong secret.
_DUMMY = hash_secret(secrets.token_urlsafe(16))


def create_client(store: FHIRStore, scopes: Iterable[str], name: str = "",
                  client_id: str | None = None) -> tuple[str, str]:
    """Register an API client; returns (client_id, secret). The secret is not stored and cannot be shown again.

    :raises ValueError: a scope this server does not understand, or no scope.
    """
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if not smart.is_valid(s)]
    if unknown or not wanted:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}" if unknown else "give at least one scope")
    client_id = client_id or f"codoc-{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    store.records(CLIENT_COLLECTION).insert({
        "_id": client_id, "name": name, "scopes": wanted, "secret": hash_secret(secret), "active": True,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return client_id, secret


#: Seconds a client's active state is trusted before it is read again (revocation takes effect within this).
ACTIVE_CACHE_SECONDS = 3.0
_active: dict[tuple[int, str], tuple[bool, float]] = {}


def is_active(store: FHIRStore, client_id: str) -> bool:
    """Whether the client exists and is active, read at most every ACTIVE_CACHE_SECONDS per process."""
    now = time.monotonic()
    cached = _active.get((id(store), client_id))
    if cached and now - cached[1] < ACTIVE_CACHE_SECONDS:
        return cached[0]
    document = store.records(CLIENT_COLLECTION).get(client_id)
    active = document is not None and document.get("active", True)
    if len(_active) > 10_000:
        _active.clear()
    _active[(id(store), client_id)] = (active, now)
    return active


def set_active(store: FHIRStore, client_id: str, active: bool) -> bool:
    """Enable or disable a client; returns whether it exists."""
    return store.records(CLIENT_COLLECTION).update(client_id, {"$set": {"active": active}})


def delete_client(store: FHIRStore, client_id: str) -> bool:
    return store.records(CLIENT_COLLECTION).delete(client_id)


def authenticate(store: FHIRStore, client_id: str, secret: str) -> Client | None:
    """The active client with this id and secret, else None."""
    document = store.records(CLIENT_COLLECTION).get(client_id) if client_id else None
    if document is None or not document.get("active", True):
        check_secret(secret or "", _DUMMY)
        return None
    if not check_secret(secret or "", document.get("secret", "")):
        return None
    return Client(document["_id"], frozenset(document.get("scopes", ())), document.get("name", ""))
