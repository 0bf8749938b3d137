"""The OpenAPI 3.1 document of the FHIR API, generated from the registry so it never drifts from what is served.

Paths use the FHIR spelling (``/Patient/{id}``); the seed spelling (``/patient/{id}/``) reaches the same handler and
is named in each operation's description and in ``x-seed-path``, not repeated as paths: two copies of every
operation would double what SDK generators emit and what fuzzers test, for one handler.
"""
from __future__ import annotations

from typing import Any

from config import FHIR_VERSION
from handlers import audit
from handlers.search import COMMON_PARAMS
from handlers.search.plan import CONTROL
from handlers.system.capability import SOFTWARE_VERSION, security_section
from schemas import ID_PATTERN

OPENAPI_VERSION = "3.1.0"
FHIR_JSON = "application/fhir+json"
REQUEST_TYPES = (FHIR_JSON, "application/json")
JSON_PATCH = "application/json-patch+json"

#: The error statuses of API.md, each answered with an OperationOutcome.
ERRORS = {
    400: "Invalid request: malformed JSON, invalid resource, illegal id, unknown search parameter (OperationOutcome "
         "`invalid`/`structure`)",
    401: "Missing, bad or expired bearer token (OperationOutcome `login`)",
    403: "The token's scopes do not allow this (OperationOutcome `forbidden`)",
    404: "Unknown resource type, id or route (OperationOutcome `not-found`)",
    405: "Method not allowed here, or a type searched with no parameter (OperationOutcome `not-supported`, `Allow` "
         "header)",
    409: "Conflict: duplicate identifier (IPP), resource still referenced or with children (OperationOutcome "
         "`conflict`)",
    410: "The resource is deleted (OperationOutcome `deleted`)",
    412: "`If-Match` version mismatch (OperationOutcome `conflict`)",
    413: "Body, Bundle or array over the configured limits (OperationOutcome `too-long`)",
    415: "Content-Type is not application/fhir+json or application/json (nor, for PATCH, "
         "application/json-patch+json) (OperationOutcome `not-supported`)",
    422: "Business rule broken: organization hierarchy, dangling reference, terminology; a patch that cannot be "
         "applied (OperationOutcome `business-rule`/`processing`)",
    429: "Rate limit reached (OperationOutcome `throttled`, `Retry-After` header)",
    500: "Unexpected error, logged with a request id; no internals (OperationOutcome `exception`)",
    503: "Transient: database or audit trail unavailable (OperationOutcome `transient`, `Retry-After` header)",
}
#: Errors any FHIR route may answer.
COMMON_ERRORS = (400, 401, 403, 404, 405, 429, 500, 503)
#: Errors of a route reading a body.
BODY_ERRORS = (413, 415)

CONTROL_DESCRIPTIONS = {
    "_count": "Page size (default and maximum set by the server: 20 and 100 unless configured)",
    "_offset": "Index of the first match of the page (paging links carry it)",
    "_format": "`json` (the only format)",
    "_pretty": "`true` indents the answer",
    "_summary": "`count` answers the total only; other values return full resources (with a warning)",
    "_elements": "Accepted; full resources are returned (with a warning)",
    "_total": "`none`, `estimate` or `accurate` (default)",
    "_sort": "A search parameter of the type, `-` before it for descending",
    "_include": "`Type:param[:Target]`: add the resources that matches refer to",
    "_revinclude": "`Type:param`: add the resources of that type that refer to the matches",
    "_include:iterate": "`Type:param[:Target]`: like `_include`, also from the resources includes add (at most 3 "
                        "more rounds and 1,000 included resources, then a warning in the Bundle)",
    "_revinclude:iterate": "`Type:param`: like `_revinclude`, also to the resources includes add (same bounds)",
}
SEARCH_TYPE_HINTS = {
    "token": "`[system|]code`",
    "reference": "`Type/id` (or id)",
    "date": "a FHIR date with an optional prefix `eq ne lt gt le ge sa eb ap`",
    "string": "starts with, case and accents ignored (`:exact`, `:contains`)",
    "uri": "exact URI",
    "special": "comma-separated values",
}


def openapi_document(registry, config: dict[str, Any], base_url: str) -> dict:
    """An OpenAPI 3.1 document: one path set per registered handler, its search parameters and operations."""
    paths: dict[str, dict] = {
        "/": {"post": _transaction()},
        "/metadata": {"get": _metadata()},
        "/openapi.json": {"get": _openapi()},
    }
    tags = []
    schemas = _common_schemas()
    for handler in sorted(registry, key=lambda h: h.name):
        name = handler.name
        schemas[name] = _resource_schema(handler)
        tags.append({"name": name, "description": _tag_description(handler)})
        paths.update(_handler_paths(registry, handler))
        paths[f"/{name}"].update(_conditional_operations(handler))
        paths.update(_type_search_paths(handler))
    paths.update(_audit_paths())
    paths.update(_export_paths())
    paths["/_history"] = _server_history()
    tags.append({"name": "System", "description": "Capabilities, this document, batch and transaction Bundles, "
                                                  "server history, Bulk Data $export"})
    tags.append({"name": "AuditEvent", "description": "The audit trail of accesses to patient data (administrators; "
                                                      "append-only)"})
    anonymous = bool(config.get("CODOC_ALLOW_ANONYMOUS"))  # what the gate reads (handlers/http/gate.py)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Codoc FHIR API",
            "version": SOFTWARE_VERSION,
            "summary": f"FHIR R4B ({FHIR_VERSION}) REST API for hospital clinical data",
            "description": (
                "Generated from the server's handler registry, like `GET /metadata`. Paths use the FHIR spelling "
                "(`/Patient/{id}`); every one is also served in the seed spelling, lowercase with a trailing slash "
                "(`/patient/{id}/`, given as `x-seed-path`). Every error is an OperationOutcome served as "
                "`application/fhir+json`. `/v5.0.0/…` answers 501.\n\n" + security_section(config)["description"]),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": base_url, "description": f"FHIR {FHIR_VERSION}"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A token from `POST /auth/token` (client_credentials) or the identity provider; "
                               "SMART scopes such as `system/Patient.read`, `system/*.write`."}},
            "schemas": schemas,
            "parameters": _component_parameters(),
            "headers": _component_headers(),
            "responses": {str(status): _error_response(status) for status in ERRORS},
        },
        # Anonymous access (development profile): the token is optional, hence the empty requirement.
        "security": [{"bearer": []}, {}] if anonymous else [{"bearer": []}],
    }


# -- paths ------------------------------------------------------------------------------------------------------
def _handler_paths(registry, handler) -> dict[str, dict]:
    name, seed = handler.name, handler.name.lower()
    id_param = {"$ref": "#/components/parameters/id"}
    paths: dict[str, dict] = {
        f"/{name}": {
            "x-seed-path": f"/{seed}/",
            "get": _op(f"search{name}", name, f"Search {name}", (
                f"Search {name} (seed route `GET /{seed}/?…`). At least one search parameter is required: with none "
                f"the answer is 405 (no listing). Modifiers `:missing` (all), `:exact`/`:contains` (string), `:not` "
                f"(token), chaining and `_has` apply; `:not`, `:contains` and `:missing=true` narrow a selective "
                f"parameter (alone: 400); an unknown parameter or modifier is a 400."),
                {"200": _fhir_response("Bundle searchset, paged (`next` link)", "Bundle")},
                COMMON_ERRORS, parameters=_search_parameters(handler)),
            "post": _op(f"create{name}", name, f"Create {name}", (
                f"Create a {name} (seed route `POST /{seed}/`); the server assigns the id (an `id` in the body is "
                f"ignored) and `meta`."),
                {"201": {**_fhir_response(f"The stored {name}", name, _write_headers()),
                         "links": _links(registry, handler)}},
                (*COMMON_ERRORS, *BODY_ERRORS, 409, 422), body=_body(name, f"The {name} to create")),
            "patch": _patch_op(f"conditionalPatch{name}", name, (
                f"Conditional patch (seed route `PATCH /{seed}/?…`): patch the one {name} the search parameters "
                f"match; none → 404, several → 412."), parameters=_search_parameters(handler)),
        },
        f"/{name}/{{id}}": {
            "x-seed-path": f"/{seed}/{{id}}/",
            "parameters": [id_param],
            "get": _op(f"read{name}", name, f"Read {name}", f"Read a {name} (seed route `GET /{seed}/{{id}}/`).",
                       {"200": _fhir_response(f"The current {name}", name, _read_headers())},
                       (*COMMON_ERRORS, 410)),
            "put": _put(f"update{name}", name, f"Update {name}", (
                f"Update a {name} (seed route `PUT /{seed}/{{id}}/`): 200, or 201 when it creates it with the "
                f"client's id. The body `id` must equal the URL id. `If-Match: W/\"n\"` guards against lost updates."),
                f"The {name} created with the client's id", [{"$ref": "#/components/parameters/If-Match"}]),
            "patch": _patch_op(f"patch{name}", name, (
                f"Patch a {name} (seed route `PATCH /{seed}/{{id}}/`) with a JSON Patch "
                f"(`application/json-patch+json`) or a FHIRPath Patch (a Parameters): the result is validated and "
                f"ruled like an update. A malformed patch or one changing `id`, `resourceType` or `meta.versionId` "
                f"→ 400; a failed JSON Patch `test` or a path to nothing → 422."),
                parameters=[{"$ref": "#/components/parameters/If-Match"}]),
            "delete": _op(f"delete{name}", name, f"Delete {name}", (
                f"Delete a {name} (seed route `DELETE /{seed}/{{id}}/`); idempotent, a later read answers 410. A "
                f"resource still referenced answers 409 naming who refers to it."),
                {"204": {"description": "Deleted (or already deleted or never existed)",
                         "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}},
                (*COMMON_ERRORS, 409, 412),
                parameters=[{"$ref": "#/components/parameters/If-Match"}]),
        },
        f"/{name}/{{id}}/_history": {
            "x-seed-path": f"/{seed}/{{id}}/_history/",
            "parameters": [id_param],
            "get": _op(f"history{name}", name, f"History of a {name}", (
                f"Every version of a {name}, newest first, deletions included (seed route "
                f"`GET /{seed}/{{id}}/_history/`)."),
                {"200": _fhir_response("Bundle history", "Bundle")}, COMMON_ERRORS,
                parameters=[_query("_count", "Keep the newest n versions")]),
        },
        f"/{name}/{{id}}/_history/{{vid}}": {
            "x-seed-path": f"/{seed}/{{id}}/_history/{{vid}}/",
            "parameters": [id_param, {"$ref": "#/components/parameters/vid"}],
            "get": _op(f"vread{name}", name, f"Read a version of a {name}",
                       f"One version of a {name} (seed route `GET /{seed}/{{id}}/_history/{{vid}}/`).",
                       {"200": _fhir_response(f"That version of the {name}", name, _read_headers())},
                       (*COMMON_ERRORS, 410)),
        },
    }
    for op in registry.operations_of(handler):
        path = f"/{name}/${op.name}" if op.level == "type" else f"/{name}/{{id}}/${op.name}"
        seed_path = f"/{seed}/${op.name}/" if op.level == "type" else f"/{seed}/{{id}}/${op.name}/"
        paths[path] = {"x-seed-path": seed_path, **({} if op.level == "type" else {"parameters": [id_param]}),
                       **{method.lower(): _operation(handler, op, seed_path, method) for method in op.methods}}
    return paths


def _conditional_operations(handler) -> dict[str, dict]:
    """``PUT /{type}?search`` and ``DELETE /{type}?search``: the one match, found by the search in the query."""
    name, seed = handler.name, handler.name.lower()
    criteria = _search_parameters(handler, controls=False)
    return {
        "put": _put(f"conditionalUpdate{name}", name, f"Conditional update of a {name}", (
            f"Update the one {name} the search in the query matches (seed route `PUT /{seed}/?…`): 200; none "
            f"matches: created (201, with the body's id if it has one); several: 412."), f"The {name} created",
            criteria),
        "delete": _op(f"conditionalDelete{name}", name, f"Conditional delete of a {name}", (
            f"Delete the one {name} the search in the query matches (seed route `DELETE /{seed}/?…`): 204, also "
            f"when none matches; several: 412."),
            {"204": {"description": "Deleted, or nothing matched",
                     "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}},
            (*COMMON_ERRORS, 409, 412), parameters=criteria),
    }


def _put(operation_id: str, name: str, summary: str, description: str, created: str, parameters: list) -> dict:
    """A PUT of a whole resource: 200 updated, 201 created."""
    return _op(operation_id, name, summary, description,
               {"200": _fhir_response(f"The updated {name}", name, _write_headers()),
                "201": _fhir_response(created, name, _write_headers())},
               (*COMMON_ERRORS, *BODY_ERRORS, 409, 412, 422), body=_body(name, f"The whole {name}"),
               parameters=parameters)


def _type_search_paths(handler) -> dict[str, dict]:
    """``POST /{type}/_search`` (the search as a form body) and ``GET /{type}/_history``."""
    name, seed = handler.name, handler.name.lower()
    form = {"description": "The search parameters, as in a GET query string", "required": False, "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": {
            "type": "string"}}}}}
    return {
        f"/{name}/_search": {"x-seed-path": f"/{seed}/_search/", "post": _op(
            f"search{name}Post", name, f"Search {name} by POST", (
                f"The search of `GET /{name}?…` with its parameters in a form body (seed route "
                f"`POST /{seed}/_search/`): the same rules and answers."),
            {"200": _fhir_response("Bundle searchset, paged (`next` link)", "Bundle")}, (*COMMON_ERRORS, 415),
            body=form)},
        f"/{name}/_history": {"x-seed-path": f"/{seed}/_history/", "get": _op(
            f"typeHistory{name}", name, f"History of every {name}", (
                f"The latest versions of {name} resources, newest first, deletions included (seed route "
                f"`GET /{seed}/_history/`)."),
            {"200": _fhir_response("Bundle history", "Bundle")}, COMMON_ERRORS, parameters=_history_parameters())},
    }


def _server_history() -> dict:
    return {"x-seed-path": "/_history/", "get": _op(
        "serverHistory", "System", "History of every type",
        "The latest versions of every type, newest first, deletions included.",
        {"200": _fhir_response("Bundle history", "Bundle")}, COMMON_ERRORS, parameters=_history_parameters())}


def _history_parameters() -> list[dict]:
    return [_query("_since", "Versions written at or after this instant"),
            _query("_at", "Versions current at some moment of this date or instant"),
            _query("_count", "Keep the newest n versions")]


def _links(registry, handler) -> dict[str, dict]:
    """What a client can do next with a created resource: its id (and version) from the answer's body."""
    name, by_id = handler.name, {"id": "$response.body#/id"}
    links = {
        f"read{name}": {"operationId": f"read{name}", "parameters": by_id},
        f"update{name}": {"operationId": f"update{name}", "parameters": by_id, "requestBody": "$response.body",
                          "description": "Write it back as it was served (a new version)"},
        f"history{name}": {"operationId": f"history{name}", "parameters": by_id},
        f"vread{name}": {"operationId": f"vread{name}",
                         "parameters": {**by_id, "vid": "$response.body#/meta/versionId"}},
        f"delete{name}": {"operationId": f"delete{name}", "parameters": by_id},
    }
    for op in registry.operations_of(handler):
        if op.level == "instance":
            links[_operation_id(handler, op)] = {"operationId": _operation_id(handler, op), "parameters": by_id}
    return links


def _operation_id(handler, op) -> str:
    return f"{op.name.replace('-', '_')}{handler.name}"


def _operation(handler, op, seed_path: str, method: str) -> dict:
    """One method of an operation (``$lookup`` is served by GET and POST: two, the POST one's id ending in Post)."""
    name = handler.name
    result, schema = OPERATION_RESULTS.get(op.name, ("Parameters", "Parameters"))
    body = None
    errors: tuple[int, ...] = COMMON_ERRORS if op.level == "type" else (*COMMON_ERRORS, 410)
    if method == "POST":
        errors = (*errors, *BODY_ERRORS, 409, 422)
        if op.name == "validate":
            body = {"description": f"The {name} to validate, or Parameters with a `resource` parameter",
                    "required": True, "content": {t: {"schema": {"oneOf": [
                        {"$ref": f"#/components/schemas/{name}"}, {"$ref": "#/components/schemas/Parameters"}]}}
                        for t in REQUEST_TYPES}}
        elif op.name == "merge":
            body = _body("Parameters", "Parameters `source-patient`/`target-patient` (valueReference) or "
                                       "`source-patient-identifier`/`target-patient-identifier` (valueIdentifier)")
        else:
            body = _body("Parameters", "Optional Parameters", required=False)
    description = f"{' '.join(op.description.split()).rstrip('.')} (seed route `{method} {seed_path}`)."
    operation_id = _operation_id(handler, op) + ("Post" if method == "POST" and len(op.methods) > 1 else "")
    if op.name == "export":
        return _op(operation_id, name, f"${op.name} on {name}", description, _export_accepted(), errors,
                   parameters=_export_parameters())
    return _op(operation_id, name, f"${op.name} on {name}", description,
               {"200": _fhir_response(result, schema)}, errors, body=body)


#: What each operation answers (description, schema); the others answer Parameters.
OPERATION_RESULTS = {
    "validate": ("OperationOutcome listing the issues (information when valid)", "OperationOutcome"),
    "everything": ("Bundle searchset of the patient and all its data", "Bundle"),
    "hierarchy": ("Bundle collection of the organization and its descendants", "Bundle"),
    "expunge": ("Parameters or OperationOutcome saying what was erased", "Resource"),
    "merge": ("Parameters or OperationOutcome describing the merge", "Resource"),
}


def _transaction() -> dict:
    return _op("transaction", "System", "Batch or transaction", (
        "A Bundle of type `batch` (each entry on its own) or `transaction` (all or nothing, atomic and isolated); "
        "`ifNoneExist` and conditional references resolve inside it."),
        {"200": _fhir_response("Bundle batch-response or transaction-response", "Bundle")},
        (*COMMON_ERRORS, *BODY_ERRORS, 409, 412, 422), body=_body("Bundle", "A Bundle batch or transaction"))


def _metadata() -> dict:
    return _op("capabilities", "System", "CapabilityStatement",
               "What this server does, generated from the handler registry. Anonymous.",
               {"200": _fhir_response("CapabilityStatement", "CapabilityStatement")}, (429, 500, 503), security=[])


def _openapi() -> dict:
    return _op("openapi", "System", "This OpenAPI document", "This document, generated from the registry. Anonymous.",
               {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {
                   "type": "object", "required": ["openapi", "paths"]}}}}}, (429, 500, 503), security=[])


def _audit_paths() -> dict[str, dict]:
    params = [_query(key, f"AuditEvent {key} (`{path}`); comma-separated values mean any of them")
              for key, path in sorted(audit.SEARCH_PATHS.items())]
    params += [_query(key, CONTROL_DESCRIPTIONS[key]) for key in ("_count", "_offset")]
    return {
        "/AuditEvent": {"x-seed-path": "/auditevent/", "get": _op(
            "searchAuditEvent", "AuditEvent", "Search the audit trail",
            "Newest first, paged; needs `entity=` or `agent=` (else 405) and the administrator scope `codoc/admin`.",
            {"200": _fhir_response("Bundle searchset of AuditEvents", "Bundle")}, COMMON_ERRORS,
            parameters=params)},
        "/AuditEvent/{id}": {"x-seed-path": "/auditevent/{id}/", "parameters": [
            {"$ref": "#/components/parameters/id"}], "get": _op(
            "readAuditEvent", "AuditEvent", "Read an AuditEvent", "Needs the administrator scope `codoc/admin`.",
            {"200": _fhir_response("The AuditEvent", "AuditEvent")}, COMMON_ERRORS)},
    }


def _export_parameters() -> list[dict]:
    return [{"name": "Prefer", "in": "header", "required": True, "description": "`respond-async` (else 400)",
             "schema": {"type": "string"}, "examples": {"async": {"value": "respond-async"}}},
            _query("_type", "Comma-separated resource types to export (default: all of the level's)"),
            _query("_since", "Only resources last updated at or after this instant"),
            _query("_outputFormat", "`application/fhir+ndjson` (default), `application/ndjson` or `ndjson`")]


def _export_accepted() -> dict:
    return {"202": {**_fhir_response("Accepted: poll the status URL of `Content-Location`", "OperationOutcome"),
                    "headers": {"Content-Location": {"description": "The status URL `…/$export-status/{job}`",
                                                     "schema": {"type": "string"}}}}}


def _export_paths() -> dict[str, dict]:
    """Bulk Data $export (system level), its status URL and its files (docs/guides/bulk-export.md)."""
    job = {"name": "job", "in": "path", "required": True, "description": "The export job id",
           "schema": {"type": "string", "pattern": ID_PATTERN.pattern}}
    file = {"name": "file", "in": "path", "required": True, "description": "`{n}.ndjson`, as the manifest names it",
            "schema": {"type": "string"}}
    manifest = {"type": "object", "required": ["transactionTime", "request", "requiresAccessToken", "output", "error"],
                "properties": {"transactionTime": {"type": "string"}, "request": {"type": "string"},
                               "requiresAccessToken": {"type": "boolean"},
                               "output": {"type": "array", "items": {"type": "object", "required": ["type", "url"]}},
                               "error": {"type": "array"}}}
    return {
        "/$export": {"get": _op(
            "exportSystem", "System", "Bulk Data $export of every stored type",
            "HL7 Bulk Data Access v2, system level: records an export job and answers 202 with its status URL in "
            "`Content-Location`. Needs read on every type (`system/*.read`) or `codoc/admin`.",
            _export_accepted(), COMMON_ERRORS, parameters=_export_parameters())},
        "/$export-status/{job}": {"parameters": [job], "get": _op(
            "exportStatus", "System", "Status of an export",
            "202 with `X-Progress` and `Retry-After` while it runs, then 200 with the manifest (plain JSON). Only "
            "the client that started it, or an administrator.",
            {"200": {"description": "The manifest", "content": {"application/json": {"schema": manifest}}},
             "202": {**_fhir_response("In progress", "OperationOutcome"), "headers": {
                 "X-Progress": {"description": "How far it is", "schema": {"type": "string"}},
                 "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}}},
            COMMON_ERRORS), "delete": _op(
            "exportCancel", "System", "Cancel an export", "Stops it and removes its files; the status URL then "
                                                          "answers 404.",
            {"202": _fhir_response("Cancelled", "OperationOutcome")}, COMMON_ERRORS)},
        "/$export-file/{job}/{file}": {"parameters": [job, file], "get": _op(
            "exportFile", "System", "One NDJSON file of a finished export",
            "One resource per line, as the manifest lists it; the same token as the kick-off.",
            {"200": {"description": "NDJSON", "content": {"application/fhir+ndjson": {"schema": {
                "type": "string"}}}}}, COMMON_ERRORS)},
    }


# -- pieces ------------------------------------------------------------------------------------------------------
def _op(operation_id: str, tag: str, summary: str, description: str, responses: dict, errors, *,
        parameters: list | None = None, body: dict | None = None, security: list | None = None) -> dict:
    operation = {"operationId": operation_id, "tags": [tag], "summary": summary, "description": description,
                 "parameters": [*(parameters or []), {"$ref": "#/components/parameters/_format"},
                                {"$ref": "#/components/parameters/_pretty"}]}
    if body is not None:
        operation["requestBody"] = body
    operation["responses"] = {**responses,
                              **{str(s): {"$ref": f"#/components/responses/{s}"} for s in sorted(set(errors))}}
    if security is not None:
        operation["security"] = security
    return operation


def _search_parameters(handler, controls: bool = True) -> list[dict]:
    params, seen = [], set()
    for param in (*COMMON_PARAMS, *handler.search_params):
        if param.name in seen:
            continue
        seen.add(param.name)
        hint = SEARCH_TYPE_HINTS.get(param.type, "")
        params.append(_query(param.name, f"{param.description or param.name} ({param.type}: {hint})",
                             {"x-fhir-search-type": param.type}))
    for name in sorted(CONTROL - {"_format", "_pretty"}) if controls else ():
        params.append(_query(name, CONTROL_DESCRIPTIONS.get(name, name)))
    return params


def _query(name: str, description: str, extra: dict | None = None) -> dict:
    schema = {"type": "string", "pattern": r"^[0-9]+$"} if name in ("_count", "_offset") else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            **(extra or {})}


def _patch_op(operation_id: str, name: str, description: str, parameters: list) -> dict:
    """A PATCH: JSON Patch or FHIRPath Patch in, the patched resource out."""
    body = {"description": "A JSON Patch (RFC 6902) or a FHIRPath Patch (Parameters of `operation` parts)",
            "required": True, "content": {
                JSON_PATCH: {"schema": {"$ref": "#/components/schemas/JSONPatch"}},
                **{t: {"schema": {"$ref": "#/components/schemas/Parameters"}} for t in REQUEST_TYPES}}}
    return _op(operation_id, name, f"Patch {name}", description,
               {"200": _fhir_response(f"The patched {name}", name, _write_headers())},
               (*COMMON_ERRORS, *BODY_ERRORS, 409, 410, 412, 422), parameters=parameters, body=body)


def _body(schema: str, description: str, required: bool = True) -> dict:
    return {"description": description, "required": required,
            "content": {t: {"schema": {"$ref": f"#/components/schemas/{schema}"}} for t in REQUEST_TYPES}}


def _fhir_response(description: str, schema: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if headers:
        response["headers"] = headers
    return response


def _read_headers() -> dict:
    return {"ETag": {"$ref": "#/components/headers/ETag"}, "Last-Modified": {"$ref": "#/components/headers/"
                                                                                    "Last-Modified"}}


def _write_headers() -> dict:
    return {**_read_headers(), "Location": {"$ref": "#/components/headers/Location"}}


def _error_response(status: int) -> dict:
    return {"description": ERRORS[status],
            "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}


def _resource_schema(handler) -> dict:
    """A light schema: the right ``resourceType`` (the full FHIR R4B model is enforced by the server)."""
    schema = {"type": "object", "required": ["resourceType"],
              "properties": {"resourceType": {"const": handler.resource_type},
                             "id": {"type": "string", "pattern": ID_PATTERN.pattern}},
              "description": f"A FHIR R4B {handler.resource_type}"}
    if handler.profile:
        schema["description"] += f" with the profile {handler.profile} (set by the server on writes)"
    return schema


def _tag_description(handler) -> str:
    if handler.profile:
        return (f"{handler.name}: {handler.resource_type} with the profile {handler.profile}, "
                f"also readable at /{handler.resource_type}/{{id}}")
    return f"FHIR R4B {handler.resource_type}"


def _common_schemas() -> dict[str, dict]:
    def resource(resource_type: str, **properties) -> dict:
        return {"type": "object", "required": ["resourceType", *properties.pop("required", ())],
                "properties": {"resourceType": {"const": resource_type}, **properties}}

    return {
        "Resource": {"type": "object", "required": ["resourceType"],
                     "properties": {"resourceType": {"type": "string"}}},
        "OperationOutcome": resource("OperationOutcome", required=("issue",), issue={
            "type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["severity", "code"],
                "properties": {"severity": {"enum": ["fatal", "error", "warning", "information"]},
                               "code": {"type": "string"}, "diagnostics": {"type": "string"},
                               "expression": {"type": "array", "items": {"type": "string"}}}}}),
        "Bundle": resource("Bundle", required=("type",), type={"enum": [
            "document", "message", "transaction", "transaction-response", "batch", "batch-response", "history",
            "searchset", "collection"]}, entry={"type": "array", "items": {"type": "object"}}),
        "Parameters": resource("Parameters", parameter={"type": "array", "items": {
            "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}),
        "JSONPatch": {"type": "array", "description": "RFC 6902 operations", "items": {
            "type": "object", "required": ["op", "path"],
            "properties": {"op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
                           "path": {"type": "string"}, "from": {"type": "string"}, "value": {}}}},
        "CapabilityStatement": resource("CapabilityStatement", required=("fhirVersion",),
                                        fhirVersion={"const": FHIR_VERSION}),
        "AuditEvent": resource("AuditEvent"),
    }


def _component_parameters() -> dict[str, dict]:
    return {
        "id": {"name": "id", "in": "path", "required": True, "description": "Logical id",
               "schema": {"type": "string", "pattern": ID_PATTERN.pattern}},
        "vid": {"name": "vid", "in": "path", "required": True, "description": "Version id (1, 2, …)",
                "schema": {"type": "string", "pattern": r"^[0-9]{1,10}$"}},
        # Lenient as the server is: the version of If-Match is read with or without W/ and quotes; _format and
        # _pretty never fail a request (the answer is JSON, indented only for _pretty=true).
        "If-Match": {"name": "If-Match", "in": "header", "required": False,
                     "description": "`W/\"n\"`: write only if the current version is n, else 412",
                     "schema": {"type": "string"}, "examples": {"version": {"value": 'W/"1"'}}},
        "_format": {"name": "_format", "in": "query", "required": False,
                    "description": "`json` (the only format: any other value still answers JSON)",
                    "schema": {"type": "string"}, "examples": {"json": {"value": "json"}}},
        "_pretty": {"name": "_pretty", "in": "query", "required": False,
                    "description": "`true` indents the answer (other values do not)",
                    "schema": {"type": "string"}, "examples": {"pretty": {"value": "true"}}},
    }


def _component_headers() -> dict[str, dict]:
    return {
        "ETag": {"description": "`W/\"n\"`, the version id", "schema": {"type": "string"}},
        "Last-Modified": {"description": "When the version was written (HTTP date)", "schema": {"type": "string"}},
        "Location": {"description": "`…/{Type}/{id}/_history/{vid}`", "schema": {"type": "string"}},
    }
