"""Request and response I/O: the parsed body, the request as handlers see it, FHIR JSON answers with headers."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from email.utils import format_datetime, parsedate_to_datetime

import orjson
from flask import Response, current_app, g, request

from config import FHIR_VERSION
from fhirstore.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from handlers import bundles
from handlers.context import RequestContext
from handlers.ids import random_hex
from schemas.json import Limits, json_default, parse_body

FHIR_JSON = "application/fhir+json; charset=utf-8"
JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}
JSON_PATCH = "application/json-patch+json"
BASE_PATH = f"/v{FHIR_VERSION}"
#: The header carrying, as one line of JSON, the OperationOutcome of warnings of a successful write.
WARNING_HEADER = "X-Codoc-OperationOutcome"


def request_id() -> str:
    flask_g = g._get_current_object()
    found = flask_g.get("request_id")
    if found is None:
        found = flask_g.request_id = request.headers.get("X-Request-ID", "")[:64] or random_hex()
    return found


#: ``request.url_root`` of each (scheme, host, root path) seen, computed once (werkzeug rebuilds and re-decodes it
#: per request): a few host names in practice, bounded anyway since the Host header is the client's.
_URL_ROOTS: dict[tuple[str, str, str], str] = {}
_URL_ROOTS_MAX = 256


def _url_root(req) -> str:
    key = (req.scheme, req.host, req.root_path)
    root = _URL_ROOTS.get(key)
    if root is None:
        root = req.url_root
        if len(_URL_ROOTS) >= _URL_ROOTS_MAX:
            _URL_ROOTS.clear()
        _URL_ROOTS[key] = root
    return root


def _prefer(header: str) -> dict[str, str]:
    prefer = {}
    for part in re.split(r"[;,]", header):
        key, _, value = part.strip().partition("=")
        if key:
            prefer[key.lower()] = value.strip('"').lower()
    return prefer


def context() -> RequestContext:
    """The request as handlers see it, built once per request (the audit reads what handlers recorded in it)."""
    flask_g = g._get_current_object()
    ctx = flask_g.get("codoc_context")
    if ctx is not None:
        return ctx
    req = request._get_current_object()
    headers = req.headers
    if_match = headers.get("If-Match")
    version = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    prefer = headers.get("Prefer")
    public = current_app.config.get("CODOC_BASE_URL") or _url_root(req)  # never the client's Host when set
    ctx = flask_g.codoc_context = RequestContext(base_url=public.rstrip("/") + BASE_PATH, request_id=request_id(),
                                                 if_match=version, prefer=_prefer(prefer) if prefer else {},
                                                 client_ip=req.remote_addr, principal=flask_g.get("codoc_principal"))
    return ctx


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


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: A UTC instant as the server writes ``meta.lastUpdated`` (milliseconds, ``Z``).
_UTC_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{3})?Z$")


def http_date(instant: str) -> str:
    """A FHIR instant as an HTTP date (``Last-Modified``): what ``email.utils.format_datetime(…, usegmt=True)``
    gives, written directly for the server's own UTC instants."""
    match = _UTC_INSTANT.match(instant)
    if match is None:
        return format_datetime(datetime.fromisoformat(instant.replace("Z", "+00:00")), usegmt=True)
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        weekday = date(year, month, day).weekday()
    except ValueError:
        weekday = None
    if weekday is None or hour > 23 or minute > 59 or second > 59:  # not a valid time: the same error as ever
        return format_datetime(datetime.fromisoformat(instant.replace("Z", "+00:00")), usegmt=True)
    return f"{_DAYS[weekday]}, {day:02d} {_MONTHS[month - 1]} {year:04d} {hour:02d}:{minute:02d}:{second:02d} GMT"


def fhir_json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A FHIR JSON response (indented when ``_pretty=true``)."""
    args = request.args if request else None
    option = orjson.OPT_INDENT_2 if args and args.get("_pretty") == "true" else 0
    return Response(orjson.dumps(body, default=json_default, option=option), status=status, headers=headers or {},
                    content_type=FHIR_JSON)


def outcome_response(status: int, issues: list[dict], headers: dict | None = None) -> Response:
    return fhir_json(bundles.operation_outcome(issues), status, headers)


def unchanged(resource: dict) -> Response | None:
    """304 when the client's copy is current (``If-None-Match: W/"n"``, or ``If-Modified-Since`` not older than
    ``meta.lastUpdated``), else None."""
    meta = resource.get("meta", {})
    headers = request.headers
    tags = headers.get("If-None-Match")
    since = headers.get("If-Modified-Since") if tags is None else None
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
        headers["Last-Modified"] = http_date(meta["lastUpdated"])
    ctx = context()
    if location:
        headers["Location"] = bundles.version_location(resource, ctx.base_url)
    warnings = [issue.as_fhir() for issue in ctx.warnings]
    if warnings:  # the write succeeded with warnings (CODOC_TERMINOLOGY_CHECK=warn)
        outcome = bundles.operation_outcome(warnings)
        headers[WARNING_HEADER] = json.dumps(outcome, ensure_ascii=True, separators=(",", ":"))
    return fhir_json(resource, status, headers)
