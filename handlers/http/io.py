"""Request and response I/O: the parsed body, the request as handlers see it, FHIR JSON answers with headers."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

import orjson
from flask import Response, current_app, g, request

from config import FHIR_VERSION
from fhirstore.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from handlers import bundles
from handlers.context import RequestContext
from schemas.json import Limits, json_default, parse_body

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}
JSON_PATCH = "application/json-patch+json"
BASE_PATH = f"/v{FHIR_VERSION}"
#: The header carrying, as one line of JSON, the OperationOutcome of warnings of a successful write.
WARNING_HEADER = "X-Codoc-OperationOutcome"


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
    return g.request_id


def context() -> RequestContext:
    """The request as handlers see it, built once per request (the audit reads what handlers recorded in it)."""
    if "codoc_context" in g:
        return g.codoc_context
    if_match = request.headers.get("If-Match")
    version = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    prefer = {}
    for part in re.split(r"[;,]", request.headers.get("Prefer", "")):
        key, _, value = part.strip().partition("=")
        if key:
            prefer[key.lower()] = value.strip('"').lower()
    public = current_app.config.get("CODOC_BASE_URL") or request.url_root  # never the client's Host when set
    g.codoc_context = RequestContext(base_url=public.rstrip("/") + BASE_PATH, request_id=request_id(),
                                     if_match=version, prefer=prefer, client_ip=request.remote_addr,
                                     principal=g.get("codoc_principal"))
    return g.codoc_context


def body() -> object:
    """The body as strict FHIR JSON (``schemas.json``). :raises UnsupportedMediaTypeError, PayloadTooLargeError,
    InvalidError:"""
    mimetype = (request.mimetype or "").lower()
    if mimetype not in JSON_TYPES:
        raise UnsupportedMediaTypeError(f"Content-Type must be application/fhir+json or application/json, "
                                        f"not {request.content_type or 'none'}")
    return _parsed()


def patch_body() -> tuple[object, str]:
    """``(document, media type)`` of a PATCH: JSON Patch (``application/json-patch+json``) or FHIRPath Patch (a
    Parameters in FHIR JSON). :raises UnsupportedMediaTypeError, PayloadTooLargeError, InvalidError:"""
    mimetype = (request.mimetype or "").lower()
    if mimetype not in (*JSON_TYPES, JSON_PATCH):
        raise UnsupportedMediaTypeError(f"PATCH takes Content-Type {JSON_PATCH} (JSON Patch) or application/fhir+json "
                                        f"(FHIRPath Patch), not {request.content_type or 'none'}")
    return _parsed(), mimetype


def _parsed() -> object:
    limit = current_app.config["CODOC_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body is over the {limit} bytes limit")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise PayloadTooLargeError(f"the body is over the {limit} bytes limit")
    return parse_body(raw, Limits.from_config(current_app.config))


def fhir_json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A FHIR JSON response (indented when ``_pretty=true``)."""
    option = orjson.OPT_INDENT_2 if request and request.args.get("_pretty") == "true" else 0
    return Response(orjson.dumps(body, default=json_default, option=option), status=status, headers=headers or {},
                    content_type=FHIR_JSON)


def outcome_response(status: int, issues: list[dict], headers: dict | None = None) -> Response:
    return fhir_json(bundles.operation_outcome(issues), status, headers)


def unchanged(resource: dict) -> Response | None:
    """304 when the client's copy is current (``If-None-Match: W/"n"``, or ``If-Modified-Since`` not older than
    ``meta.lastUpdated``), else None."""
    meta = resource.get("meta", {})
    tags = request.headers.get("If-None-Match")
    since = request.headers.get("If-Modified-Since")
    fresh = False
    if tags is not None:
        fresh = "*" in tags or any(t.strip().removeprefix("W/").strip('"') == meta.get("versionId")
                                   for t in tags.split(","))
    elif since and meta.get("lastUpdated"):
        try:
            modified = datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00")).replace(microsecond=0)
            fresh = modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            fresh = False
    if not fresh:
        return None
    return Response(status=304, headers={"ETag": bundles.etag(meta.get("versionId", ""))})


def written(resource: dict, status: int) -> Response:
    """The answer to a write, as ``Prefer: return=`` asks: ``representation`` (default), ``minimal`` (headers
    only) or ``OperationOutcome``."""
    response = resource_response(resource, status, location=True)
    wanted = context().prefer.get("return")
    if wanted == "minimal":
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
    elif wanted == "operationoutcome":
        verb = "created" if status == 201 else "updated"
        outcome = bundles.information(
            f"{resource['resourceType']}/{resource['id']} {verb} (version {resource['meta']['versionId']})")
        outcome["issue"] = [issue.as_fhir() for issue in context().warnings] + outcome["issue"]  # warnings first
        response.set_data(orjson.dumps(outcome))
    return response


def resource_response(resource: dict, status: int = 200, location: bool = False) -> Response:
    """A resource with its ETag, Last-Modified and (after a write) Location headers."""
    meta = resource.get("meta", {})
    headers = {}
    if "versionId" in meta:
        headers["ETag"] = bundles.etag(meta["versionId"])
    if "lastUpdated" in meta:
        when = datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00"))
        headers["Last-Modified"] = format_datetime(when, usegmt=True)
    if location:
        headers["Location"] = bundles.version_location(resource, context().base_url)
    warnings = [issue.as_fhir() for issue in context().warnings]
    if warnings:  # the write succeeded with warnings (CODOC_TERMINOLOGY_CHECK=warn)
        outcome = bundles.operation_outcome(warnings)
        headers[WARNING_HEADER] = json.dumps(outcome, ensure_ascii=True, separators=(",", ":"))
    return fhir_json(resource, status, headers)
