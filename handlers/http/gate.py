"""The two seams of every FHIR route: the security gate (token, SMART scopes) before it, the audit trail after."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, request

from fhirstore.errors import ForbiddenError
from handlers import audit
from handlers.http.io import context, outcome_response, request_id
from handlers.registry import Registry
from schemas import ID_PATTERN
from security import scopes as smart
from security.tokens import unauthorized

PARAM_NAME = re.compile(r"^[A-Za-z0-9_\-:.]{1,64}$")
log = logging.getLogger("codoc")


def registry() -> Registry:
    return current_app.extensions["codoc.registry"]


def auditor() -> audit.AuditWriter:
    return current_app.extensions["codoc.audit"]


@dataclass(frozen=True)
class Access:
    """What a request does to which data: the gate checks it against the token, the audit trail records it."""

    interaction: str  # read vread history search create update delete operation transaction audit
    resource_type: str  # the stored type (a Phenotype is an Observation)
    resource_id: str | None = None
    operation: str | None = None
    need: smart.Need | None = None


_BY_METHOD_INSTANCE = {"GET": "read", "HEAD": "read", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_BY_METHOD_TYPE = {"GET": "search", "HEAD": "search", "POST": "create", "PUT": "update", "PATCH": "patch",
                   "DELETE": "delete"}


def describe_access(req=None, reg: Registry | None = None) -> Access:
    """The interaction of a FHIR request and what it needs, from its route and method alone.

    :raises NotFoundError: unknown type.
    """
    req = req if req is not None else request._get_current_object()
    reg = reg if reg is not None else registry()
    args, method = req.view_args or {}, req.method
    endpoint = (req.endpoint or "").rpartition(".")[2]
    stored_types = reg.stored_types
    if endpoint.startswith("audit_"):
        return Access("audit", audit.AUDIT_TYPE, args.get("event_id"), need=smart.Need((), "", admin=True))
    if endpoint.startswith("export"):  # kick-off, status, files, cancel: what the system $export needs
        need = reg.system_operations["export"].need("", stored_types)
        return Access("operation", "Binary", None, "export", need)
    if endpoint == "server_history":
        return Access("history", "Bundle", need=smart.Need(tuple(stored_types), "r"))
    if "segment" not in args:
        return Access("transaction", "Bundle", need=smart.Need(tuple(stored_types), smart.ALL))
    handler = reg.get(args["segment"])
    resource_type = handler.resource_type
    resource_id, action = args.get("resource_id"), args.get("action")
    name = resource_id if resource_id and resource_id.startswith("$") else action \
        if action and action.startswith("$") else None
    if name:
        operation = reg.operation(handler, name[1:])
        if operation is None:  # the route answers 404; ask for what the method implies meanwhile
            need = smart.Need((resource_type,), "rs" if method in ("GET", "HEAD") else "cu")
        else:
            need = operation.need(resource_type, stored_types)
        return Access("operation", resource_type, None if name == resource_id else resource_id, name[1:], need)
    if resource_id == "_search":
        interaction = "search"
    elif "version_id" in args:
        interaction = "vread"
    elif action == "_history" or resource_id == "_history":
        interaction = "history"
    else:
        interaction = (_BY_METHOD_INSTANCE if resource_id else _BY_METHOD_TYPE).get(method, "update")
    return Access(interaction, resource_type, resource_id, need=smart.need_for(interaction, resource_type))


def gate():
    """Authentication and SMART scopes of every FHIR route but /metadata and /openapi.json, in one place."""
    req = request._get_current_object()
    if req.endpoint in ("fhir.metadata", "fhir.openapi") or req.endpoint is None:
        return
    app, flask_g = current_app._get_current_object(), g._get_current_object()
    extensions, config = app.extensions, app.config
    access = flask_g.codoc_access = describe_access(req, extensions["codoc.registry"])
    error, principal = flask_g.get("codoc_auth_error"), flask_g.get("codoc_principal")
    if error is not None:
        raise error
    if principal is None and not config["CODOC_ALLOW_ANONYMOUS"]:
        raise unauthorized("a bearer token is required: POST /auth/token, then send 'Authorization: Bearer …'")
    if not smart.allows(principal.scopes if principal else smart.ANONYMOUS_SCOPES, access.need):
        raise ForbiddenError(f"the token's scopes do not allow this: it needs {access.need.describe()}",
                             headers={"WWW-Authenticate": 'Bearer realm="codoc", error="insufficient_scope"'})
    if config["CODOC_AUDIT_ENABLED"] and not extensions["codoc.audit"].healthy():
        raise audit.AuditUnavailableError("the audit trail is not being written; retry later",
                                          headers={"Retry-After": "2"})


def audit_trail(response: Response) -> Response:
    """One AuditEvent per FHIR interaction on patient data, failures included (not 429: no audit flood), naming
    what the handlers recorded as served or written in the request context."""
    access = g.pop("codoc_access", None)
    if access is None or access.interaction == "audit" or response.status_code == 429:
        return response
    app = current_app._get_current_object()
    if not app.config["CODOC_AUDIT_ENABLED"]:
        return response
    status = response.status_code
    ctx = context()
    interaction = "operation" if access.interaction == "transaction" else access.interaction
    detail = ctx.audit_detail or (f"${access.operation}" if access.operation else (
        "transaction" if access.interaction == "transaction" else None))
    req = request._get_current_object()
    if access.interaction == "search":  # parameter names only: values may be names or IPPs
        names = {*req.args, *(req.form if req.method == "POST" else ())}
        detail = "parameters: " + ", ".join(sorted(k for k in names if PARAM_NAME.match(k)))
    try:
        app.extensions["codoc.audit"].record(ctx, interaction, entities(access, ctx.touched),
                                             "0" if status < 400 else "4" if status < 500 else "8", detail)
    except Exception as exc:  # the audit store failing must not pass silently, nor disclose unaudited data
        log.error("audit trail not written (%s), request %s", type(exc).__name__, request_id())
        if status < 400 and req.method in ("GET", "HEAD"):
            return outcome_response(503, [{"severity": "error", "code": "transient",
                                           "diagnostics": "the audit trail is unavailable; retry later"}])
    return response


def entities(access: Access, touched: list[str]) -> list[str]:
    """The instance the route names (when it names one), then every resource the handlers served or wrote."""
    own = f"{access.resource_type}/{access.resource_id}" if access.resource_id and ID_PATTERN.match(
        access.resource_id) else access.resource_type
    found = [] if access.interaction in ("search", "create", "transaction") else [own]
    return list(dict.fromkeys([*found, *touched])) or [own]


def install(blueprint: Blueprint) -> None:
    """The gate before every route of ``blueprint``, the audit trail after."""
    blueprint.before_request(gate)
    blueprint.after_request(audit_trail)
