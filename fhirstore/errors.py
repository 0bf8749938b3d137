"""The one exception family of the server. Each error knows its HTTP status and FHIR issue code; only
``handlers/http/errors.py`` turns them into OperationOutcome responses."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue."""

    code: str
    diagnostics: str
    severity: str = "error"
    expression: str | None = None

    def as_fhir(self) -> dict:
        issue = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class FHIRError(Exception):
    """Root of every error the server answers as an OperationOutcome."""

    status = 500
    code = "exception"

    def __init__(self, diagnostics: str, *, expression: str | None = None, issues: list[Issue] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.issues = issues or [Issue(self.code, diagnostics, expression=expression)]
        self.headers = headers or {}


class InvalidError(FHIRError):
    """The request or resource is malformed or breaks the FHIR structure (400)."""

    status, code = 400, "invalid"


class ValidationError(InvalidError):
    """The resource fails validation; ``issues`` carry FHIRPath expressions (400)."""

    status, code = 400, "invalid"


class UnauthorizedError(FHIRError):
    status, code = 401, "login"


class ForbiddenError(FHIRError):
    status, code = 403, "forbidden"


class NotFoundError(FHIRError):
    status, code = 404, "not-found"


class MethodNotAllowedError(FHIRError):
    status, code = 405, "not-supported"


class ConflictError(FHIRError):
    """The write clashes with stored data: duplicate IPP, resource still referenced (409)."""

    status, code = 409, "conflict"


class GoneError(FHIRError):
    """The resource was deleted (410)."""

    status, code = 410, "deleted"


class VersionConflictError(FHIRError):
    """``If-Match`` names a version that is not the current one (412)."""

    status, code = 412, "conflict"


class TooCostlyError(FHIRError):
    """The request asks more work than one request may do (sorting or counting too many matches) (422)."""

    status, code = 422, "too-costly"


class PayloadTooLargeError(FHIRError):
    status, code = 413, "too-long"


class UnsupportedMediaTypeError(FHIRError):
    status, code = 415, "not-supported"


class BusinessRuleError(FHIRError):
    """A hospital rule is broken: hierarchy level, dangling reference, movement outside its stay (422)."""

    status, code = 422, "business-rule"


class PatchFailedError(FHIRError):
    """A well-formed patch that cannot be applied to the resource as it is: a failed ``test``, a path to nothing
    (422)."""

    status, code = 422, "processing"


class NotImplementedFHIRError(FHIRError):
    status, code = 501, "not-supported"


class StoreUnavailableError(FHIRError):
    """The database cannot be reached (503)."""

    status, code = 503, "transient"
