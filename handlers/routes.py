"""One blueprint serving both URL spellings (``/patient/123/`` and ``/Patient/123``) through the registry."""
from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime

import orjson
from flask import Blueprint, Response, current_app, request

from fhirstore.errors import (InvalidError, MethodNotAllowedError, NotFoundError, NotImplementedFHIRError,
                              PayloadTooLargeError, UnsupportedMediaTypeError)
from handlers.base import ResourceHandler
from handlers.capability import capability_statement
from handlers.context import RequestContext
from handlers.outcome import fhir_json, request_id
from handlers.registry import Registry, find_operation
from schemas import check_id

FHIR_VERSION = "4.3.0"
JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}

fhir = Blueprint("fhir", __name__, url_prefix=f"/v{FHIR_VERSION}")
future = Blueprint("future", __name__, url_prefix="/v5.0.0")
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


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
                          principal=getattr(request, "codoc_principal", None))


def body() -> object:
    """The parsed JSON body. :raises UnsupportedMediaTypeError, PayloadTooLargeError, InvalidError:"""
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
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidError(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") \
            from None


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
    if count is not None and not count.isdigit():
        raise InvalidError(f"_count must be a whole number, not {count!r}", expression="_count")
    return fhir_json(handler.history(resource_id, context(), int(count) if count else None))


@fhir.route("/<segment>/<resource_id>/_history/<version_id>/", methods=["GET", "HEAD"], strict_slashes=False)
def version_read(segment: str, resource_id: str, version_id: str):
    handler = registry().get(segment)
    return resource_response(handler.vread(resource_id, version_id, context()))


@future.route("/", defaults={"path": ""}, methods=ALL_METHODS)
@future.route("/<path:path>", methods=ALL_METHODS)
def fhir_r5(path: str):
    raise NotImplementedFHIRError("FHIR R5 (/v5.0.0/) is announced but not available yet; use /v4.3.0/")
