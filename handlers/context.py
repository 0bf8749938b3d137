"""What a handler needs to know about the request, without importing Flask."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the token's subject and SMART scopes."""

    subject: str  # ``sub`` of the token: the client id of /auth/token clients, the user or service of an IdP
    scopes: frozenset[str] = frozenset()
    issuer: str = ""

    @property
    def key(self) -> str:
        """Who to rate-limit and audit: subjects of different issuers never share a counter."""
        return f"{self.issuer}|{self.subject}"


@dataclass
class RequestContext:
    """The caller and the HTTP details that shape an interaction."""

    base_url: str  # e.g. http://localhost:8000/v4.3.0
    request_id: str = "-"
    if_match: str | None = None  # version id from ``If-Match: W/"n"``
    prefer: dict[str, str] = field(default_factory=dict)  # Prefer header, e.g. {"handling": "lenient"}
    principal: Principal | None = None  # the authenticated caller (security), None when anonymous
    client_ip: str | None = None
