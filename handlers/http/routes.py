"""One blueprint serving both URL spellings (``/patient/123/`` and ``/Patient/123``) through the registry."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from fhirstore.errors import MethodNotAllowedError, NotFoundError, NotImplementedFHIRError, UnsupportedMediaTypeError
from handlers import audit, bundles
from handlers.base import ResourceHandler, changes
from handlers.http import gate
from handlers.http.io import BASE_PATH, body, context, fhir_json, patch_body, resource_response, unchanged, written
from handlers.operations import export
from handlers.subset import requested, subset
from handlers.system.capability import capability_statement
from handlers.system.openapi import openapi_document
from handlers.system.transaction import process as process_bundle
from schemas import check_id

fhir = Blueprint("fhir", __name__, url_prefix=BASE_PATH)
future = Blueprint("future", __name__, url_prefix="/v5.0.0")
gate.install(fhir)
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
registry = gate.registry


def query_parameters() -> dict | None:
    """The query string of a GET operation as a Parameters resource (``_pretty`` and ``_format`` aside)."""
    parameter = [{"name": name, "valueString": value} for name, value in request.args.items(multi=True)
                 if name not in ("_pretty", "_format")]
    return {"resourceType": "Parameters", "parameter": parameter} if parameter else None


def _operation(handler: ResourceHandler, name: str, level: str, resource_id: str | None = None) -> Response:
    """Run a registered ``$operation``."""
    op = registry().operation(handler, name.removeprefix("$"))
    if op is None or op.level != level:
        raise NotFoundError(f"{handler.name} has no {level}-level operation {name}")
    if request.method not in (*op.methods, *(("HEAD",) if "GET" in op.methods else ())):
        allowed = ", ".join(op.methods)
        raise MethodNotAllowedError(f"{name} is called with {allowed}", headers={"Allow": allowed})
    if request.method == "POST":
        payload = body() if request.content_length or request.data else None
    else:
        payload = query_parameters()
    return _answer(op.func(handler, context(), payload, check_id(resource_id) if resource_id else None))


def _answer(result) -> Response:
    """An operation's result: a body, or ``(body, status)``, or ``(body, status, headers)``."""
    if not isinstance(result, tuple):
        return fhir_json(result)
    body, status, *headers = result
    return fhir_json(body, status, headers[0] if headers else None)


@fhir.route("/", methods=["POST"], strict_slashes=False)
def transaction():
    """A batch or transaction Bundle."""
    return fhir_json(process_bundle(registry(), body(), context()))


@fhir.route("/_history", methods=["GET", "HEAD"], strict_slashes=False, endpoint="server_history")
def server_history():
    """``GET /_history``: the latest versions of every type, newest first."""
    store, params = registry().store, list(request.args.items(multi=True))
    versions = changes(store, registry().stored_types, params, current_app.config)
    context().touch_resources([v for v in versions if not v.get("deleted")])
    return fhir_json(bundles.history_bundle(context().base_url, "", versions))


@fhir.route("/$export", methods=ALL_METHODS, strict_slashes=False, endpoint="export")
def system_export():
    """``GET /$export`` (Bulk Data, system level): records an export job; 202 + the status URL."""
    if request.method != "GET":
        raise MethodNotAllowedError("$export is called with GET", headers={"Allow": "GET"})
    return _answer(registry().system_operations["export"].func(registry(), context(), query_parameters()))


@fhir.route("/$export-status/<job_id>", methods=ALL_METHODS, strict_slashes=False, endpoint="export_status")
def export_status(job_id: str):
    """An export's status (202 + X-Progress, then 200 + the manifest); ``DELETE`` cancels it."""
    if request.method == "DELETE":
        return _answer(export.cancel(registry(), context(), check_id(job_id)))
    if request.method != "GET":
        raise MethodNotAllowedError("an export's status is read with GET, cancelled with DELETE",
                                    headers={"Allow": "GET, DELETE"})
    body, status, headers = export.status(registry(), context(), check_id(job_id))
    response = fhir_json(body, status, headers)
    if "Retry-After" in headers:
        g.codoc_retry_after = headers["Retry-After"]  # kept by the security headers hook, on this 202 only
    if status == 200:
        response.content_type = "application/json"  # the manifest is plain JSON (Bulk Data IG)
    return response


@fhir.route("/$export-file/<job_id>/<name>", methods=ALL_METHODS, strict_slashes=False, endpoint="export_file")
def export_file(job_id: str, name: str):
    """One NDJSON file of a finished export."""
    if request.method != "GET":
        raise MethodNotAllowedError("an export file is read with GET", headers={"Allow": "GET"})
    return Response(export.export_file(registry(), context(), check_id(job_id), name),
                    content_type=export.NDJSON)


@fhir.get("/metadata")
def metadata():
    return fhir_json(capability_statement(registry(), current_app.config, context().base_url))


@fhir.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from the registry like /metadata; plain JSON for OpenAPI tools."""
    response = fhir_json(openapi_document(registry(), current_app.config, context().base_url))
    response.content_type = "application/json"
    return response


@fhir.route("/<segment>/", methods=ALL_METHODS, strict_slashes=False)
def type_level(segment: str):
    handler = registry().get(segment)
    req = request._get_current_object()
    method = req.method
    if method == "POST":
        criteria = req.headers.get("If-None-Exist")
        if criteria is not None:
            resource, created = handler.conditional_create(body(), criteria, context())
            return written(resource, 201) if created else resource_response(resource)
        return written(handler.create(body(), context()), 201)
    if method in ("GET", "HEAD"):
        return fhir_json(handler.search(list(req.args.items(multi=True)), context()))
    if method == "PUT":
        stored, created = handler.conditional_update(list(req.args.items(multi=True)), body(), context())
        return written(stored, 201 if created else 200)
    if method == "DELETE":
        version = handler.conditional_delete(list(req.args.items(multi=True)), context())
        return Response(status=204, headers={"ETag": bundles.etag(version)} if version else {})
    if method == "PATCH":
        return written(handler.conditional_patch(list(req.args.items(multi=True)), *patch_body(), context()), 200)
    raise MethodNotAllowedError(f"{method} is not allowed on /{segment}",
                                headers={"Allow": "GET, POST, PUT, PATCH, DELETE"})


@fhir.route("/<segment>/<resource_id>/", methods=ALL_METHODS, strict_slashes=False)
def instance_level(segment: str, resource_id: str):
    handler = registry().get(segment)
    if resource_id.startswith("$"):
        return _operation(handler, resource_id, "type")
    if resource_id == "_search":
        if request.method != "POST":
            raise MethodNotAllowedError("_search is called with POST and a form body", headers={"Allow": "POST"})
        if (request.mimetype or "") != "application/x-www-form-urlencoded":
            raise UnsupportedMediaTypeError("POST _search takes a form body (application/x-www-form-urlencoded)")
        params = list(request.args.items(multi=True)) + list(request.form.items(multi=True))
        return fhir_json(handler.search(params, context()))
    if resource_id == "_history":
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowedError("history is read with GET", headers={"Allow": "GET"})
        return fhir_json(handler.type_history(list(request.args.items(multi=True)), context()))
    method = request.method
    if method in ("GET", "HEAD"):
        resource = handler.read(resource_id, context())
        args = request.args
        summary, elements = requested(list(args.items(multi=True))) if args else (None, None)
        return unchanged(resource) or resource_response(subset(resource, summary, elements))
    if method == "PUT":
        stored, created = handler.update(resource_id, body(), context())
        return written(stored, 201 if created else 200)
    if request.method == "DELETE":
        version = handler.delete(resource_id, context())
        return Response(status=204, headers={"ETag": bundles.etag(version)} if version else {})
    if request.method == "PATCH":
        return written(handler.patch(resource_id, *patch_body(), context()), 200)
    raise MethodNotAllowedError(f"{request.method} is not allowed on a {handler.name} instance",
                                headers={"Allow": "GET, PUT, PATCH, DELETE"})


@fhir.route("/<segment>/<resource_id>/<action>/", methods=ALL_METHODS, strict_slashes=False)
def instance_action(segment: str, resource_id: str, action: str):
    handler = registry().get(segment)
    if action.startswith("$"):
        return _operation(handler, action, "instance", resource_id)
    if action != "_history":
        raise NotFoundError(f"no route for {request.method} {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowedError("history is read with GET", headers={"Allow": "GET"})
    return fhir_json(handler.history(resource_id, list(request.args.items(multi=True)), context()))


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
    raise NotImplementedFHIRError(f"FHIR R5 (/v5.0.0/) is announced but not available yet; use {BASE_PATH}/")


def init_app(app) -> None:
    """The FHIR routes (with their gate and audit seams), the R5 placeholder and the one error mapping."""
    from handlers.http.errors import register_error_handlers

    from handlers.http.health import health

    app.register_blueprint(fhir)
    app.register_blueprint(future)
    app.register_blueprint(health)
    register_error_handlers(app)
