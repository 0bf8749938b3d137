"""The audit trail: one FHIR AuditEvent per access to patient data, appended to ``AuditEvent_4_3_0``."""
from __future__ import annotations

import uuid
from typing import Iterable

from fhirstore.base import FHIRStore
from fhirstore.mongo import now_instant
from handlers.context import RequestContext

AUDIT_COLLECTION = "AuditEvent_4_3_0"
ACTIONS = {"create": "C", "read": "R", "vread": "R", "history": "R", "search": "E", "update": "U", "delete": "D",
           "operation": "E"}
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"


def audit_event(ctx: RequestContext, interaction: str, entities: Iterable[str], outcome: str = "0",
                detail: str | None = None) -> dict:
    """An AuditEvent: who (token subject or anonymous + IP), what (references), action, outcome, when.

    ``outcome``: ``0`` success, ``4`` minor failure (4xx), ``8`` serious failure (5xx). ``detail`` must never hold
    patient data (no names, identifiers, birth dates, note text).
    """
    subject = getattr(ctx.principal, "subject", None) if ctx.principal else None
    event = {
        "resourceType": "AuditEvent",
        "id": str(uuid.uuid4()),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": INTERACTION_SYSTEM, "code": interaction}],
        "action": ACTIONS.get(interaction, "E"),
        "recorded": now_instant(),
        "outcome": outcome,
        "agent": [{"who": {"display": subject or "anonymous"}, "requestor": True,
                   **({"network": {"address": ctx.client_ip, "type": "2"}} if ctx.client_ip else {})}],
        "source": {"observer": {"display": "codoc-fhir-api"}},
        "entity": [{"what": {"reference": reference}} for reference in entities],
    }
    if detail:
        event["outcomeDesc"] = detail
    if ctx.request_id:
        event["agent"][0]["altId"] = ctx.request_id
    return event


def record(store: FHIRStore, ctx: RequestContext, interaction: str, entities: Iterable[str], outcome: str = "0",
           detail: str | None = None) -> dict:
    """Append an AuditEvent to the append-only audit collection; returns it."""
    event = audit_event(ctx, interaction, list(entities), outcome, detail)
    store.append(AUDIT_COLLECTION, {"_id": event["id"], **event})
    return event
