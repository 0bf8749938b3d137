"""What a handler needs to know about the request, without importing Flask, and what it touched (for the audit)."""
from __future__ import annotations

from dataclasses import dataclass, field

from security.principal import Principal


@dataclass
class RequestContext:
    """The caller and the HTTP details that shape an interaction.

    Handlers add to ``touched`` the ``Type/id`` of every resource they served or wrote: the request's one
    AuditEvent records them (``audit_detail`` may say more, never patient data).
    """

    base_url: str  # e.g. http://localhost:8000/v4.3.0; empty for internal calls
    request_id: str = "-"
    if_match: str | None = None  # version id from ``If-Match: W/"n"``
    prefer: dict[str, str] = field(default_factory=dict)  # Prefer header, e.g. {"handling": "lenient"}
    principal: Principal | None = None  # the authenticated caller (security), None when anonymous
    client_ip: str | None = None
    touched: list[str] = field(default_factory=list)
    audit_detail: str | None = None

    def touch(self, *references: str) -> None:
        """Record resources this request served or wrote (``Type/id``)."""
        self.touched.extend(references)

    def touch_resources(self, resources) -> None:
        self.touched.extend(f"{r['resourceType']}/{r['id']}" for r in resources if "id" in r)


def internal_of(ctx: RequestContext) -> RequestContext:
    """A context for the server's own lookups on behalf of ``ctx`` (same base URL, nothing audited from it)."""
    return RequestContext(base_url=ctx.base_url, request_id=ctx.request_id, principal=ctx.principal)


def internal() -> RequestContext:
    """The context of a read the server makes for itself (rules, rollbacks): not a client's access."""
    return RequestContext(base_url="")
