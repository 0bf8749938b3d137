"""``POST /`` with a Bundle: ``batch`` (entries independent) or ``transaction`` (all or nothing)."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fhirstore.errors import FHIRError, InvalidError, Issue
from handlers import bundles
from handlers.context import RequestContext, internal
from handlers.references import iter_references, rewrite_references
from schemas import check_bundle_shape

METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}


def process(registry, bundle: Any, ctx: RequestContext) -> dict:
    """Run a batch or transaction Bundle; returns the ``batch-response``/``transaction-response`` Bundle.

    A transaction is checked whole first (every entry validated, ``urn:uuid:`` references resolved to the ids the
    server assigns), then applied in FHIR order (DELETE, POST, PUT, GET); if a write still fails, the writes already
    applied are undone (creations erased, updates and deletions restored as new versions) and the error is answered.
    """
    check_bundle_shape(bundle)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidError("POST / takes a Bundle of type batch or transaction", expression="Bundle")
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise InvalidError(f"Bundle.type must be batch or transaction, not {kind!r}", expression="Bundle.type")
    entries = bundle.get("entry") or []
    requests = [_request(i, entry) for i, entry in enumerate(entries)]
    if kind == "batch":
        responses = [_run_isolated(registry, r, ctx) for r in requests]
    else:
        responses = _run_transaction(registry, requests, ctx)
    return bundles.bundle(f"{kind}-response", responses)


def _request(index: int, entry: dict) -> dict:
    request = entry.get("request") or {}
    method, url = (request.get("method") or "").upper(), request.get("url") or ""
    if method not in METHOD_ORDER:
        raise InvalidError(f"entry {index}: request.method must be GET, POST, PUT or DELETE",
                           expression=f"Bundle.entry[{index}].request.method")
    parts = urlsplit(url)
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2:
        raise InvalidError(f"entry {index}: request.url must be Type or Type/id", expression=f"Bundle.entry[{index}]")
    return {"index": index, "method": method, "type": path[0], "id": path[1] if len(path) > 1 else None,
            "query": parse_qsl(parts.query), "resource": entry.get("resource"), "fullUrl": entry.get("fullUrl")}


def _apply(registry, request: dict, ctx: RequestContext) -> tuple[dict, dict | None]:
    """One entry → (response element, resource to return)."""
    handler = registry.get(request["type"])
    method, rid = request["method"], request["id"]
    if method == "GET":
        if rid:
            resource = handler.read(rid, ctx)
            return bundles.entry_response("200 OK", resource), resource
        result = handler.search(request["query"], ctx)
        return {"status": "200 OK"}, result
    if method == "DELETE":
        if not rid:
            raise InvalidError("conditional delete is not supported; give Type/id")
        handler.delete(rid, ctx)
        return {"status": "204 No Content"}, None
    if method == "POST":
        if request.get("assigned_id"):
            stored, _ = handler.update(request["assigned_id"], {**request["resource"], "id": request["assigned_id"]},
                                       ctx)
        else:
            stored = handler.create(request["resource"], ctx)
        return bundles.entry_response("201 Created", stored, location=True), stored
    if not rid:
        raise InvalidError("PUT needs Type/id")
    stored, created = handler.update(rid, request["resource"], ctx)
    return bundles.entry_response("201 Created" if created else "200 OK", stored, location=True), stored


def _run_isolated(registry, request: dict, ctx: RequestContext) -> dict:
    try:
        response, resource = _apply(registry, request, ctx)
    except FHIRError as error:
        return {"response": {"status": str(error.status),
                             "outcome": bundles.operation_outcome([i.as_fhir() for i in error.issues])}}
    return {"response": response, **({"resource": resource} if resource else {})}


def _run_transaction(registry, requests: list[dict], ctx: RequestContext) -> list[dict]:
    _assign_ids(requests)
    for request in requests:  # check every entry before writing anything
        if request["method"] in ("POST", "PUT"):
            handler = registry.get(request["type"])
            try:
                handler._prepare(request["resource"])
            except FHIRError as error:
                error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}]; nothing was applied")]
                raise
    ordered = sorted(requests, key=lambda r: (METHOD_ORDER[r["method"]], r.get("rank", 0), r["index"]))
    undo: list[tuple[str, str, str, dict | None]] = []
    results: dict[int, dict] = {}
    try:
        for request in ordered:
            before = _before(registry, request, ctx)
            response, resource = _apply(registry, request, ctx)
            if request["method"] != "GET" and not (request["method"] == "DELETE" and before is None):
                target_id = resource["id"] if resource else request["id"]
                undo.append((request["type"], target_id, request["method"], before))
            results[request["index"]] = {"response": response, **({"resource": resource} if resource else {})}
    except FHIRError as error:
        _undo(registry, undo, ctx)
        error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}]; the transaction was rolled back")]
        raise
    return [results[r["index"]] for r in requests]


def _note(text: str) -> Issue:
    return Issue("informational", text, severity="information")


def _assign_ids(requests: list[dict]) -> None:
    """Give each POST its id now and rewrite ``urn:uuid:`` references; order creations so targets come first."""
    mapping = {}
    for request in requests:
        if request["method"] == "POST":
            request["assigned_id"] = str(uuid.uuid4())
            if request.get("fullUrl"):
                mapping[request["fullUrl"]] = f"{request['type']}/{request['assigned_id']}"
    for request in requests:
        if isinstance(request.get("resource"), dict) and mapping:
            request["resource"] = rewrite_references(request["resource"], lambda r: mapping.get(r, r),
                                                     into_contained=True)
    created = {f"{r['type']}/{r['assigned_id']}": r for r in requests if r.get("assigned_id")}
    for _ in range(len(created)):  # rank = depth in the graph of references between new resources
        for request in created.values():
            targets = [created[ref] for ref in iter_references(request["resource"]) if ref in created]
            request["rank"] = max([t.get("rank", 0) + 1 for t in targets if t is not request], default=0)


def _before(registry, request: dict, ctx: RequestContext) -> dict | None:
    if request["method"] in ("PUT", "DELETE") and request["id"]:
        return registry.get(request["type"])._current_or_none(request["id"])
    return None


def _undo(registry, undo: list, ctx: RequestContext) -> None:
    """Compensate applied writes, newest first, through the handlers (so their side effects are undone too:
    a rolled-back DocumentReference takes its Phenotypes with it)."""
    for resource_type, resource_id, method, before in reversed(undo):
        handler = registry.get(resource_type)
        if before is None:
            handler.erase(resource_id, internal())
        else:
            handler.restore(before, internal())
