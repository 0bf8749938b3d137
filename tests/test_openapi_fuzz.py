"""Schemathesis fuzzes every operation of openapi.json against the app (WSGI, mongomock, no rate limit, no NLP):
no 5xx, every error an OperationOutcome served as application/fhir+json, every answer as the document says.

Requests carry an administrator token with every scope, so that each operation runs its handler ($expunge and the
audit trail included) instead of stopping at the gate (tests/test_auth.py covers the gate)."""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from flask_jwt_extended import create_access_token
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)
from schemathesis.checks import not_a_server_error

from app import create_app
from security.clients import CLIENT_COLLECTION

pytestmark = pytest.mark.fuzz

#: Examples per operation and mode; the whole run (about 90 operations) stays within a couple of minutes.
MAX_EXAMPLES = 12
SETTINGS = {"CODOC_ENV": "testing", "CODOC_MONGO_URI": "mongomock://", "CODOC_MONGO_DB": "fuzz",
            "CODOC_RATELIMIT_ENABLED": False, "CODOC_NLP": "off", "CODOC_ALLOW_ANONYMOUS": False}


def errors_are_operation_outcomes(ctx, response, case) -> None:
    """API.md: every error body is an OperationOutcome served as application/fhir+json."""
    if response.status_code < 400:
        return
    content_type = next((v[0] for k, v in response.headers.items() if k.lower() == "content-type"), "")
    assert content_type.startswith("application/fhir+json"), f"{response.status_code} served as {content_type!r}"
    body = response.json()
    assert body.get("resourceType") == "OperationOutcome", body
    assert body.get("issue") and all({"severity", "code", "diagnostics"} <= set(i) for i in body["issue"]), body


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, errors_are_operation_outcomes]


#: One app for the module, built at collection (cheap: mongomock), because schemathesis makes one test per
#: operation from the document it serves.
APP = create_app(dict(SETTINGS))
APP.extensions["codoc.store"].records(CLIENT_COLLECTION).replace(  # an active client: its tokens are accepted
    {"_id": "fuzz", "name": "fuzz", "scopes": ["system/*.*", "codoc/admin"], "active": True}, upsert=True)
with APP.app_context():
    AUTHORIZATION = {"Authorization": "Bearer " + create_access_token(
        "fuzz", additional_claims={"scope": "system/*.* codoc/admin"})}
schema = schemathesis.openapi.from_wsgi("/v4.3.0/openapi.json", APP)


#: Cases run, by answer status: the total goes to the terminal summary (the issue's closing note quotes it).
STATUSES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def case_count(request):
    yield STATUSES
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter and capture and STATUSES:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nschemathesis: {sum(STATUSES.values())} cases, by status "
                                f"{dict(sorted(STATUSES.items()))}")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    response = case.call_and_validate(checks=CHECKS, headers=AUTHORIZATION)
    STATUSES[response.status_code] += 1


class Workflow(schema.as_state_machine()):
    """Stateful: the document's links chain a create to the read, update, history, vread, delete and operations of
    the created resource, so the fuzzing reaches stored resources, not only unknown ids."""

    def get_call_kwargs(self, case):
        return {"headers": AUTHORIZATION}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        STATUSES[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)


TestWorkflow = Workflow.TestCase
TestWorkflow.settings = settings(max_examples=60, stateful_step_count=8, deadline=None, derandomize=True,
                                 database=None, suppress_health_check=list(HealthCheck))


def test_fuzzing_reached_the_handlers():
    """Most cases get past the gate (a token refused wholesale would make every case a harmless 401)."""
    total = sum(STATUSES.values())
    assert total > 1000 and STATUSES[401] < total / 4, dict(STATUSES)
