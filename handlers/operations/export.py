"""``$export`` (HL7 Bulk Data Access v2): system and Patient level kick-off, status, manifest, files, cancel.

The kick-off only records a job (``handlers/export.py`` runs it off the request path). Every answer here is one or
two reads or writes by ``_id``: status and files are read from the job and file records, never by a scan.
Status URL: ``{base}/$export-status/{job}``; files: ``{base}/$export-file/{job}/{n}.ndjson``. Only the client that
started a job (same token subject and issuer), or an administrator, may read or cancel it.
"""
from __future__ import annotations

from email.utils import formatdate
from urllib.parse import urlencode

from fhirstore.errors import FHIRError, ForbiddenError, InvalidError, NotFoundError
from handlers import bundles
from handlers.base import ResourceHandler, since_param
from handlers.context import RequestContext
from handlers.export import DONE, FAILED
from handlers.operations import EVERY_TYPE, Operation
from handlers.operations.compartment import SHARED_TYPES
from security.scopes import ADMIN_SCOPE

NDJSON = "application/fhir+ndjson"
#: ``_outputFormat`` values meaning NDJSON (``+`` unescaped in a query string reads as a space).
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/fhir ndjson", "application/ndjson", "ndjson"}
PARAMETERS = {"_type", "_since", "_outputFormat"}
#: Seconds a client is asked to wait between two status requests.
RETRY_AFTER = "2"
SYSTEM, PATIENT = "system", "patient"


def export_types(registry, level: str) -> list[str]:
    """What a level exports: every stored type, or the Patient compartment's types (shared ones aside)."""
    if level == SYSTEM:
        return list(registry.stored_types)
    return [t for t in registry.stored_types if t == "Patient" or t not in SHARED_TYPES]


def kick_off(registry, level: str, payload: dict | None, ctx: RequestContext) -> tuple[dict, int, dict]:
    """Check the request and record the job: 202 with the status URL in ``Content-Location``.

    :raises InvalidError: no ``Prefer: respond-async``, an unknown type, a bad ``_since`` or ``_outputFormat``, or
        a parameter this server does not support (ignored with ``Prefer: handling=lenient``).
    """
    if "respond-async" not in ctx.prefer:
        raise InvalidError("$export is asynchronous: send the header Prefer: respond-async")
    params = [(p["name"], p.get("valueString", "")) for p in (payload or {}).get("parameter", [])]
    unknown = sorted({name for name, _ in params if name not in PARAMETERS})
    if unknown and ctx.prefer.get("handling") != "lenient":
        raise InvalidError(f"$export does not support {', '.join(unknown)}; it takes {', '.join(sorted(PARAMETERS))} "
                           f"(Prefer: handling=lenient ignores the others)", expression=unknown[0])
    allowed = export_types(registry, level)
    wanted = [t.strip() for name, value in params if name == "_type" for t in value.split(",") if t.strip()]
    for resource_type in wanted:
        if resource_type not in allowed:
            raise InvalidError(f"_type {resource_type!r} is not exported here; {level}-level $export serves "
                               f"{', '.join(allowed)}", expression="_type")
    for name, value in params:
        if name == "_outputFormat" and value not in OUTPUT_FORMATS:
            raise InvalidError(f"_outputFormat {value!r} is not served; use application/fhir+ndjson",
                               expression="_outputFormat")
    since = since_param(params)
    types = [t for t in allowed if t in wanted] if wanted else allowed
    path = "/$export" if level == SYSTEM else "/Patient/$export"
    request_url = ctx.base_url + path + (f"?{urlencode(params)}" if params else "")
    requires_token = ctx.principal is not None or not registry.config.get("CODOC_ALLOW_ANONYMOUS")
    job = registry.exporter.kick_off(types, since, request_url, owner_of(ctx), requires_token)
    ctx.audit_detail = f"$export {level} kick-off: {', '.join(types)}"
    status_url = f"{ctx.base_url}/$export-status/{job['_id']}"
    return (bundles.information(f"export accepted; poll {status_url}"), 202, {"Content-Location": status_url})


def export_patients(handler: ResourceHandler, ctx: RequestContext, payload, resource_id: str | None):
    """Bulk Data export of every patient's data (the Patient compartment types) as NDJSON files, asynchronously:
    Prefer: respond-async; _type, _since, _outputFormat."""
    return kick_off(handler.registry, PATIENT, payload, ctx)


def export_system(registry, ctx: RequestContext, payload):
    """Bulk Data export of every stored resource as NDJSON files, asynchronously: Prefer: respond-async; _type,
    _since, _outputFormat."""
    return kick_off(registry, SYSTEM, payload, ctx)


def owner_of(ctx: RequestContext) -> str:
    return ctx.principal.key if ctx.principal else "anonymous"


def _owned(registry, job_id: str, ctx: RequestContext) -> dict:
    """The job, if the caller started it or is an administrator. :raises NotFoundError, ForbiddenError:"""
    job = registry.exporter.job(job_id)
    if job is None:
        raise NotFoundError(f"no export {job_id} (unknown, cancelled, or removed after its retention)")
    admin = ctx.principal is not None and ADMIN_SCOPE in ctx.principal.scopes
    if job["owner"] != owner_of(ctx) and not admin:
        raise ForbiddenError("this export belongs to another client")
    return job


def status(registry, ctx: RequestContext, job_id: str) -> tuple[dict, int, dict]:
    """202 with ``X-Progress`` while the job runs, then 200 and the manifest; a failed job answers 500."""
    job = _owned(registry, job_id, ctx)
    ctx.audit_detail = f"$export status {job_id}"
    if job["status"] == FAILED:
        raise FHIRError(f"the export failed: {job.get('reason', 'unknown reason')}; start a new one")
    if job["status"] != DONE:
        total = job.get("total")
        progress = f"{job['exported']} of ~{total} resources" if total else "queued"
        if total:
            progress = f"{min(99, 100 * job['exported'] // max(total, 1))}%: {progress}"
        return (bundles.information(f"export {job['status']}: {progress}"), 202,
                {"X-Progress": progress, "Retry-After": RETRY_AFTER})
    manifest = {
        "transactionTime": job["transactionTime"],
        "request": job["request"],
        "requiresAccessToken": job["requiresAccessToken"],
        "output": [{"type": f["type"], "url": f"{ctx.base_url}/$export-file/{job_id}/{f['n']}.ndjson",
                    "count": f["count"]} for f in job["output"]],
        "error": [],
    }
    return manifest, 200, {"Expires": formatdate(job["expires"], usegmt=True)}


def cancel(registry, ctx: RequestContext, job_id: str) -> tuple[dict, int]:
    """Stop the job and remove its files: 202; the status URL then answers 404."""
    _owned(registry, job_id, ctx)
    registry.exporter.cancel(job_id)
    ctx.audit_detail = f"$export cancel {job_id}"
    return bundles.information(f"export {job_id} cancelled; its files are removed"), 202


def export_file(registry, ctx: RequestContext, job_id: str, name: str) -> str:
    """One NDJSON file of a finished job, its resources recorded for the audit trail. :raises NotFoundError:"""
    job = _owned(registry, job_id, ctx)
    number = name.removesuffix(".ndjson")
    part = registry.exporter.file(job_id, int(number)) if job["status"] == DONE and number.isdigit() else None
    if part is None:
        raise NotFoundError(f"export {job_id} has no file {name}")
    ctx.touch(*(f"{part['type']}/{i}" for i in part["ids"]))
    ctx.audit_detail = f"$export file {job_id}/{number}: {part['count']} {part['type']}"
    return part["ndjson"]


OPERATION = Operation("export", "Patient", "type", "GET", export_patients, letters="r", types=EVERY_TYPE,
                      or_admin=True, definition="http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export")
SYSTEM_OPERATION = Operation("export", "", "system", "GET", export_system, letters="r", types=EVERY_TYPE,
                             or_admin=True, definition="http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export")
