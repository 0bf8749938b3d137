"""What a handler needs to know about the request, without importing Flask."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    """The caller and the HTTP details that shape an interaction."""

    base_url: str  # e.g. http://localhost:8000/v4.3.0
    request_id: str = "-"
    if_match: str | None = None  # version id from ``If-Match: W/"n"``
    prefer: dict[str, str] = field(default_factory=dict)  # Prefer header, e.g. {"handling": "lenient"}
    principal: Any = None  # the authenticated caller (security), None when anonymous
    client_ip: str | None = None
