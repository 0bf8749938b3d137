"""Errors gunicorn answers itself (a request it cannot parse never reaches Flask): FHIR JSON, and never logged raw.

gunicorn writes an HTML page for a bad request line (400), a request line over ``limit_request_line`` (414) or too
many / too large headers (431), and logs the offending line, which may hold a patient's name in a search. Here the
page becomes an OperationOutcome and the log line keeps only the client address and the kind of error.
"""
from __future__ import annotations

import json
import logging
import re

#: The request line gunicorn accepts (its default is 4094 bytes); longer searches go by ``POST /{type}/_search``.
REQUEST_LINE_LIMIT = 8190
_INVALID = re.compile(r"^(Invalid request from ip=\S+): .*$", re.DOTALL)
_CODES = {400: "structure", 403: "forbidden", 414: "too-long", 417: "not-supported", 431: "too-long",
          500: "exception", 501: "not-supported"}


def outcome_response(status: int, reason: str) -> bytes:
    """A complete HTTP response carrying an OperationOutcome (the connection then closes)."""
    body = json.dumps({"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": _CODES.get(status, "processing"),
        "diagnostics": f"{reason}: the HTTP request could not be read (request line up to {REQUEST_LINE_LIMIT} "
                       f"bytes; use POST /{{type}}/_search for long searches)"}]}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/fhir+json; "
            f"charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    return head + body


class _WithoutRequestText(logging.Filter):
    """Drop the text of an invalid request (its line or header) from gunicorn's warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        match = _INVALID.match(record.getMessage())
        if match:
            record.msg, record.args = f"{match.group(1)}: request not logged (it may hold patient data)", ()
        return True


def install() -> None:
    """Patch gunicorn (in the process that serves): JSON error pages, redacted invalid-request warnings."""
    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):  # gunicorn's signature; ``mesg`` may echo the request
        util.write_nonblock(sock, outcome_response(int(status_int), reason))

    util.write_error = write_error
    logging.getLogger("gunicorn.error").addFilter(_WithoutRequestText())
