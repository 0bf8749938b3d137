"""The audit trail: one FHIR AuditEvent per request on patient data, appended to ``AuditEvent_4_3_0``.

Events hold references (``Patient/123``: what the handlers recorded as served or written), the caller's subject and
IP, never patient data. They are written by the HTTP layer's audit seam (handlers/http/gate.py), once per request,
and read by administrators through ``GET /AuditEvent?entity=``.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from config import VERSION_SUFFIX
from fhirstore import FHIRStore, IndexSpec, now_instant
from fhirstore.errors import InvalidError, MethodNotAllowedError
from handlers import bundles
from handlers.context import RequestContext
from handlers.search.plan import int_param

AUDIT_TYPE = "AuditEvent"
AUDIT_COLLECTION = f"{AUDIT_TYPE}_{VERSION_SUFFIX}"
ACTIONS = {"create": "C", "read": "R", "vread": "R", "history": "R", "search": "E", "update": "U", "delete": "D",
           "operation": "E"}
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
#: Search parameters of the audit trail → the AuditEvent paths they match.
SEARCH_PATHS = {"entity": "entity.what.reference", "agent": "agent.who.display"}
INDEXES = (IndexSpec((("entity.what.reference", 1), ("recorded", -1))),
           IndexSpec((("agent.who.display", 1), ("recorded", -1))))


def audit_event(ctx: RequestContext, interaction: str, entities: Iterable[str], outcome: str = "0",
                detail: str | None = None) -> dict:
    """An AuditEvent: who (token subject or anonymous + IP), what (references), action, outcome, when.

    ``outcome``: ``0`` success, ``4`` minor failure (4xx), ``8`` serious failure (5xx). ``detail`` must never hold
    patient data (no names, identifiers, birth dates, note text).
    """
    principal = ctx.principal
    who = {"display": principal.subject if principal else "anonymous"}
    if principal and principal.issuer:
        who["identifier"] = {"system": principal.issuer, "value": principal.subject}
    event = {
        "resourceType": "AuditEvent",
        "id": str(uuid.uuid4()),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": INTERACTION_SYSTEM, "code": interaction}],
        "action": ACTIONS.get(interaction, "E"),
        "recorded": now_instant(),
        "outcome": outcome,
        "agent": [{"who": who, "requestor": True,
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


def ensure_indexes(store: FHIRStore) -> list[str]:
    """Indexes of the audit searches (idempotent)."""
    return store.ensure_indexes(AUDIT_TYPE, INDEXES)


def read(store: FHIRStore, event_id: str) -> dict:
    """:raises NotFoundError:"""
    return store.read(AUDIT_TYPE, event_id)


def search(store: FHIRStore, params: list[tuple[str, str]], ctx: RequestContext, page_size: int = 20,
           page_max: int = 100) -> dict:
    """``GET /AuditEvent?entity=Patient/123`` (or ``agent=``), newest first, paged like every search.

    :raises MethodNotAllowedError: no selective parameter. :raises InvalidError: unknown parameter.
    """
    clauses = []
    for key, value in params:
        if key in ("_count", "_offset", "_format", "_pretty"):
            continue
        if key not in SEARCH_PATHS:
            raise InvalidError(f"unknown search parameter {key!r} for AuditEvent; supported: "
                               f"{', '.join(sorted(SEARCH_PATHS))}", expression=key)
        if key == "entity" and value.count("/") > 1:  # an absolute reference: keep Type/id
            value = "/".join(value.rstrip("/").split("/")[-2:])
        values = value.split(",")  # $or of equalities: the embedded store misses $in through arrays of objects
        clauses.append({"$or": [{SEARCH_PATHS[key]: v} for v in values]} if len(values) > 1
                       else {SEARCH_PATHS[key]: values[0]})
    if not clauses:
        raise MethodNotAllowedError("give entity= or agent= to read the audit trail", headers={"Allow": "GET"})
    count = int_param(params, "_count", page_size, page_max)
    offset = int_param(params, "_offset", 0, 10_000_000)
    query = {"$and": clauses} if len(clauses) > 1 else clauses[0]
    page = store.search(AUDIT_TYPE, query, sort=[("recorded", -1)], offset=offset, limit=count)
    return bundles.searchset(ctx.base_url, AUDIT_TYPE, page.resources, page.total, params, offset, count)
