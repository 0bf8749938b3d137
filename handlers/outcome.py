"""The one place where errors become OperationOutcome responses."""
from __future__ import annotations

import logging
import traceback
import uuid

import orjson
from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from fhirstore.errors import FHIRError
from schemas.json import json_default

log = logging.getLogger("codoc")

FHIR_JSON = "application/fhir+json; charset=utf-8"
HTTP_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              409: "conflict", 410: "deleted", 412: "conflict", 413: "too-long", 415: "not-supported",
              422: "business-rule", 429: "throttled", 501: "not-supported", 503: "transient"}


def fhir_json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A FHIR JSON response (indented when ``_pretty=true``)."""
    option = orjson.OPT_INDENT_2 if request and request.args.get("_pretty") == "true" else 0
    return Response(orjson.dumps(body, default=json_default, option=option), status=status, headers=headers or {},
                    content_type=FHIR_JSON)


def outcome_response(status: int, issues: list[dict], headers: dict | None = None) -> Response:
    return fhir_json({"resourceType": "OperationOutcome", "issue": issues}, status, headers)


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
    return g.request_id


def register_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers an OperationOutcome; never HTML, never a stack trace."""

    @app.errorhandler(FHIRError)
    def fhir_error(error: FHIRError):
        return outcome_response(error.status, [i.as_fhir() for i in error.issues], error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        headers = {}
        if status == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        description = {404: f"no route for {request.method} {request.path}",
                       413: "the request body is larger than this server accepts"}.get(status, error.description)
        retry_after = getattr(error, "retry_after", None)
        if status == 429 and error.response is not None:
            headers.update({k: v for k, v in error.response.headers.items() if k.lower().startswith(("retry", "x-rate"))})
        elif retry_after:
            headers["Retry-After"] = str(retry_after)
        return outcome_response(status, [{"severity": "error", "code": HTTP_CODES.get(status, "exception"),
                                          "diagnostics": description}], headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Type and stack only: an exception's message may quote patient data (a name, an IPP, note text).
        # One line per failure at ERROR; the stack only at DEBUG, so a flood of bad requests cannot flood the log.
        log.error("unexpected %s, request %s", type(error).__name__, request_id())
        if log.isEnabledFor(logging.DEBUG):
            log.debug("stack of request %s\n%s", request_id(),
                      "".join(traceback.format_tb(error.__traceback__)).rstrip())
        return outcome_response(500, [{"severity": "fatal", "code": "exception",
                                       "diagnostics": f"unexpected server error; request id {request_id()}"}])
