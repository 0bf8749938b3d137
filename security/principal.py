"""Who is calling: the authenticated principal of a request. No Flask here."""
from __future__ import annotations

from dataclasses import dataclass


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
