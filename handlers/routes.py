"""One blueprint serving both URL spellings (``/patient/123/`` and ``/Patient/123``) through the registry."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.utils import format_datetime
from datetime import datetime

import orjson
from flask import Blueprint, Response, current_app, g, request

from fhirstore.errors import (ForbiddenError, InvalidError, MethodNotAllowedError, NotFoundError,
                              NotImplementedFHIRError, PayloadTooLargeError, UnsupportedMediaTypeError)
from handlers import audit
from handlers.base import ResourceHandler
from handlers.capability import capability_statement
from handlers.context import RequestContext
from handlers.outcome import fhir_json, outcome_response, request_id
from handlers.registry import Registry, find_operation
from handlers.transaction import process as process_bundle
from schemas import check_id
from schemas.json import Limits, loads_answer, parse_body
from security import scopes as smart
from security.tokens import unauthorized

FHIR_VERSION = "4.3.0"
JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}

fhir = Blueprint("fhir", __name__, url_prefix=f"/v{FHIR_VERSION}")
future = Blueprint("future", __name__, url_prefix="/v5.0.0")
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
SAFE_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
PARAM_NAME = re.compile(r"^[A-Za-z0-9_\-:.]{1,64}$")
log = logging.getLogger("codoc")


def registry() -> Registry:
    return current_app.extensions["codoc.registry"]


def context() -> RequestContext:
    """The request as handlers see it."""
    if_match = request.headers.get("If-Match")
    version = None
    if if_match:
        version = if_match.strip().removeprefix("W/").strip('"')
    prefer = {}
    for part in request.headers.get("Prefer", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            prefer[key.lower()] = value.strip('"').lower()
    return RequestContext(base_url=request.url_root.rstrip("/") + fhir.url_prefix, request_id=request_id(),
                          if_match=version, prefer=prefer, client_ip=request.remote_addr,
                          principal=g.get("codoc_principal"))


def body() -> object:
    """The body as strict FHIR JSON (``schemas.json``). :raises UnsupportedMediaTypeError, PayloadTooLargeError,
    InvalidError:"""
    mimetype = (request.mimetype or "").lower()
    if mimetype not in JSON_TYPES:
        raise UnsupportedMediaTypeError(f"Content-Type must be application/fhir+json or application/json, "
                                        f"not {request.content_type or 'none'}")
    limit = current_app.config["CODOC_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body is over the {limit} bytes limit")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise PayloadTooLargeError(f"the body is over the {limit} bytes limit")
    return parse_body(raw, Limits.from_config(current_app.config))


def resource_response(resource: dict, status: int = 200, location: bool = False) -> Response:
    """A resource with its ETag, Last-Modified and (after a write) Location headers."""
    meta = resource.get("meta", {})
    headers = {}
    if "versionId" in meta:
        headers["ETag"] = f'W/"{meta["versionId"]}"'
    if "lastUpdated" in meta:
        when = datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00"))
        headers["Last-Modified"] = format_datetime(when, usegmt=True)
    if location:
        headers["Location"] = (f"{request.url_root.rstrip('/')}{fhir.url_prefix}/{resource['resourceType']}/"
                               f"{resource['id']}/_history/{meta.get('versionId')}")
    return fhir_json(resource, status, headers)


def _operation(handler: ResourceHandler, name: str, level: str, resource_id: str | None = None) -> Response:
    """Run a registered ``$operation``."""
    op = find_operation(handler, name.removeprefix("$"))
    if op is None or op.level != level:
        raise NotFoundError(f"{handler.name} has no {level}-level operation {name}")
    if request.method not in (op.method, "HEAD" if op.method == "GET" else op.method):
        raise MethodNotAllowedError(f"{name} is called with {op.method}", headers={"Allow": op.method})
    payload = body() if request.method == "POST" and (request.content_length or request.data) else None
    result = op.func(handler, context(), payload, check_id(resource_id) if resource_id else None)
    if isinstance(result, Response):
        return result
    status = 200
    if isinstance(result, tuple):
        result, status = result
    return fhir_json(result, status)


@dataclass(frozen=True)
class Access:
    """What a request does to which data: the gate checks it against the token, the audit trail records it."""

    interaction: str  # read vread history search create update delete operation transaction audit
    resource_type: str  # the stored type (a Phenotype is an Observation)
    resource_id: str | None = None
    operation: str | None = None


def describe_access() -> Access:
    """The interaction of a FHIR request, from its route and method alone. :raises NotFoundError: unknown type."""
    args, method = request.view_args or {}, request.method
    endpoint = (request.endpoint or "").rpartition(".")[2]
    if endpoint.startswith("audit_"):
        return Access("audit", audit.AUDIT_TYPE, args.get("event_id"))
    if "segment" not in args:
        return Access("transaction", "Bundle")
    resource_type = registry().get(args["segment"]).resource_type
    resource_id, action = args.get("resource_id"), args.get("action")
    if resource_id and resource_id.startswith("$"):
        return Access("operation", resource_type, None, resource_id[1:])
    if action and action.startswith("$"):
        return Access("operation", resource_type, resource_id, action[1:])
    if "version_id" in args:
        return Access("vread", resource_type, resource_id)
    if action == "_history":
        return Access("history", resource_type, resource_id)
    by_method = {"GET": "read", "HEAD": "read", "PUT": "update", "DELETE": "delete"} if resource_id else \
        {"GET": "search", "HEAD": "search", "POST": "create"}
    return Access(by_method.get(method, "update"), resource_type, resource_id)


@fhir.before_request
def gate():
    """Authentication and SMART scopes of every FHIR route but /metadata: one place, not one per route."""
    if request.endpoint == "fhir.metadata" or request.endpoint is None:
        return
    access = g.codoc_access = describe_access()
    error, principal = g.get("codoc_auth_error"), g.get("codoc_principal")
    if error is not None:
        raise error
    if principal is None and not current_app.config["CODOC_ALLOW_ANONYMOUS"]:
        raise unauthorized("a bearer token is required: POST /auth/token, then send 'Authorization: Bearer …'")
    if access.interaction == "audit":
        need = smart.Need((), "", admin=True)
    elif access.interaction == "transaction":
        need = smart.Need(tuple(registry().stored_types), smart.ALL)
    else:
        need = smart.need_for(access.interaction, access.resource_type, registry().stored_types,
                              access.operation, request.method)
    if not smart.allows(principal.scopes if principal else smart.ANONYMOUS_SCOPES, need):
        raise ForbiddenError(f"the token's scopes do not allow this: it needs {need.describe()}",
                             headers={"WWW-Authenticate": 'Bearer realm="codoc", error="insufficient_scope"'})


@fhir.after_request
def audit_trail(response: Response) -> Response:
    """One AuditEvent per FHIR interaction on patient data, failures included (not 429: no audit flood)."""
    access = g.pop("codoc_access", None)
    if access is None or access.interaction == "audit" or response.status_code == 429 \
            or not current_app.config["CODOC_AUDIT_ENABLED"]:
        return response
    status = response.status_code
    interaction = "operation" if access.interaction == "transaction" else access.interaction
    detail = f"${access.operation}" if access.operation else (
        "transaction" if access.interaction == "transaction" else None)
    if access.interaction == "search":  # parameter names only: values may be names or IPPs
        detail = "parameters: " + ", ".join(sorted(k for k in request.args if PARAM_NAME.match(k)))
    try:
        audit.record(registry().store, context(), interaction, _entities(access, response),
                     "0" if status < 400 else "4" if status < 500 else "8", detail)
    except Exception as exc:  # the audit store failing must not pass silently, nor disclose unaudited data
        log.error("audit trail not written (%s), request %s", type(exc).__name__, request_id())
        if status < 400 and request.method in ("GET", "HEAD"):
            return outcome_response(503, [{"severity": "error", "code": "transient",
                                           "diagnostics": "the audit trail is unavailable; retry later"}])
    return response


def _entities(access: Access, response: Response) -> list[str]:
    """References the request touched: the instance, a created id, or the resources a Bundle answer holds."""
    own = f"{access.resource_type}/{access.resource_id}" if access.resource_id and SAFE_ID.match(
        access.resource_id) else access.resource_type
    found = [] if access.interaction in ("search", "create", "transaction") else [own]
    if response.status_code < 300 and response.mimetype == "application/fhir+json" and (
            access.interaction in ("search", "create", "operation", "transaction")):
        try:
            answer = orjson.loads(response.get_data())
        except orjson.JSONDecodeError:  # a decimal beyond float64 (1e400): read it as written
            answer = loads_answer(response.get_data())
        if answer.get("resourceType") == "Bundle":
            for entry in answer.get("entry", ()):
                resource, location = entry.get("resource") or {}, (entry.get("response") or {}).get("location", "")
                if "id" in resource and resource.get("resourceType") != "OperationOutcome":
                    found.append(f"{resource['resourceType']}/{resource['id']}")
                elif location:  # transaction-response without bodies: Type/id/_history/n
                    found.append("/".join(location.split("/_history")[0].rstrip("/").split("/")[-2:]))
        elif access.interaction == "create" and "id" in answer:
            found.append(f"{answer['resourceType']}/{answer['id']}")
    return list(dict.fromkeys(found)) or [own]


@fhir.route("/", methods=["POST"], strict_slashes=False)
def transaction():
    """A batch or transaction Bundle."""
    return fhir_json(process_bundle(registry(), body(), context()))


@fhir.get("/metadata")
def metadata():
    return fhir_json(capability_statement(registry(), current_app.config, context().base_url))


@fhir.route("/<segment>/", methods=ALL_METHODS, strict_slashes=False)
def type_level(segment: str):
    handler = registry().get(segment)
    if request.method == "POST":
        stored = handler.create(body(), context())
        return resource_response(stored, 201, location=True)
    if request.method in ("GET", "HEAD"):
        return fhir_json(handler.search(list(request.args.items(multi=True)), context()))
    raise MethodNotAllowedError(f"{request.method} is not allowed on /{segment}", headers={"Allow": "GET, POST"})


@fhir.route("/<segment>/<resource_id>/", methods=ALL_METHODS, strict_slashes=False)
def instance_level(segment: str, resource_id: str):
    handler = registry().get(segment)
    if resource_id.startswith("$"):
        return _operation(handler, resource_id, "type")
    if request.method in ("GET", "HEAD"):
        return resource_response(handler.read(resource_id, context()))
    if request.method == "PUT":
        stored, created = handler.update(resource_id, body(), context())
        return resource_response(stored, 201 if created else 200, location=True)
    if request.method == "DELETE":
        version = handler.delete(resource_id, context())
        return Response(status=204, headers={"ETag": f'W/"{version}"'} if version else {})
    raise MethodNotAllowedError(f"{request.method} is not allowed on a {handler.name} instance",
                                headers={"Allow": "GET, PUT, DELETE"})


@fhir.route("/<segment>/<resource_id>/<action>/", methods=ALL_METHODS, strict_slashes=False)
def instance_action(segment: str, resource_id: str, action: str):
    handler = registry().get(segment)
    if action.startswith("$"):
        return _operation(handler, action, "instance", resource_id)
    if action != "_history":
        raise NotFoundError(f"no route for {request.method} {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowedError("history is read with GET", headers={"Allow": "GET"})
    count = request.args.get("_count")
    if count is not None and not (count.isascii() and count.isdigit()):
        raise InvalidError(f"_count must be a whole number, not {count!r}", expression="_count")
    return fhir_json(handler.history(resource_id, context(), int(count) if count else None))


@fhir.route("/<segment>/<resource_id>/_history/<version_id>/", methods=["GET", "HEAD"], strict_slashes=False)
def version_read(segment: str, resource_id: str, version_id: str):
    handler = registry().get(segment)
    return resource_response(handler.vread(resource_id, version_id, context()))


@fhir.route("/AuditEvent", methods=ALL_METHODS, strict_slashes=False, endpoint="audit_search")
@fhir.route("/auditevent/", methods=ALL_METHODS, strict_slashes=False, endpoint="audit_search")
def audit_search():
    """The audit trail, for administrators; append-only: no write of any kind."""
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowedError("the audit trail is append-only", headers={"Allow": "GET"})
    config = current_app.config
    return fhir_json(audit.search(registry().store, list(request.args.items(multi=True)), context(),
                                  config["CODOC_PAGE_SIZE"], config["CODOC_PAGE_MAX"]))


@fhir.route("/AuditEvent/<event_id>", methods=ALL_METHODS, strict_slashes=False, endpoint="audit_read")
@fhir.route("/auditevent/<event_id>/", methods=ALL_METHODS, strict_slashes=False, endpoint="audit_read")
def audit_read(event_id: str):
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowedError("the audit trail is append-only", headers={"Allow": "GET"})
    return resource_response(audit.read(registry().store, check_id(event_id)))


@future.route("/", defaults={"path": ""}, methods=ALL_METHODS)
@future.route("/<path:path>", methods=ALL_METHODS)
def fhir_r5(path: str):
    raise NotImplementedFHIRError("FHIR R5 (/v5.0.0/) is announced but not available yet; use /v4.3.0/")
