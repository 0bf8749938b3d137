"""The one place where errors become OperationOutcome responses."""
from __future__ import annotations

import logging
import traceback

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from fhirstore.errors import FHIRError
from handlers.http.io import outcome_response, request_id

log = logging.getLogger("codoc")
#: Seconds a client is told to wait after a 503.
TRANSIENT_RETRY_AFTER = "2"
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HTTP_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              409: "conflict", 410: "deleted", 412: "conflict", 413: "too-long", 415: "not-supported",
              422: "business-rule", 429: "throttled", 501: "not-supported", 503: "transient"}


def register_error_handlers(app: Flask) -> None:
    """Every error, expected or not, answers an OperationOutcome; never HTML, never a stack trace."""

    @app.errorhandler(FHIRError)
    def fhir_error(error: FHIRError):
        headers = dict(error.headers)
        if error.status == 503:  # a transient failure: retry soon (the rate limiter's window must not leak in)
            g.codoc_retry_after = headers.setdefault("Retry-After", TRANSIENT_RETRY_AFTER)
        return outcome_response(error.status, [i.as_fhir() for i in error.issues], headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        headers = {}
        if status == 404 and request.method not in KNOWN_METHODS:  # TRACE, PROPFIND…: the method, not the path
            return outcome_response(405, [{"severity": "error", "code": "not-supported",
                                           "diagnostics": f"{request.method} is not a method of this API"}],
                                    {"Allow": ", ".join(KNOWN_METHODS)})
        if status == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        description = {404: f"no route for {request.method} {request.path}",
                       413: "the request body is larger than this server accepts"}.get(status, error.description)
        retry_after = getattr(error, "retry_after", None)
        if status == 429 and error.response is not None:
            headers.update({k: v for k, v in error.response.headers.items()
                            if k.lower().startswith(("retry", "x-rate"))})
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
