"""``POST /`` with a Bundle: ``batch`` (entries independent) or ``transaction`` (all or nothing)."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fhirstore.errors import FHIRError, InvalidError, Issue, NotFoundError
from handlers import bundles, patching
from handlers.context import RequestContext
from handlers.references import iter_references, rewrite_references
from schemas import check_bundle_shape

METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3}


def process(registry, bundle: Any, ctx: RequestContext) -> dict:
    """Run a batch or transaction Bundle; returns the ``batch-response``/``transaction-response`` Bundle.

    A transaction is checked whole first (every entry validated, ``urn:uuid:`` references resolved to the ids the
    server assigns), then applied in FHIR order (DELETE, POST, PUT, GET) inside one store transaction
    (``FHIRStore.atomic``): invisible to others until its end, then all visible — or none if a write fails or the
    process dies (settled at the next start or sweep).
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
        responses = _run_batch(registry, requests, ctx)
    else:
        responses = _run_transaction(registry, requests, ctx)
    return bundles.bundle(f"{kind}-response", responses)


def _request(index: int, entry: dict) -> dict:
    request = entry.get("request") or {}
    method, url = (request.get("method") or "").upper(), request.get("url") or ""
    if method not in METHOD_ORDER:
        raise InvalidError(f"entry {index}: request.method must be GET, POST, PUT, PATCH or DELETE",
                           expression=f"Bundle.entry[{index}].request.method")
    parts = urlsplit(url)
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2:
        raise InvalidError(f"entry {index}: request.url must be Type or Type/id", expression=f"Bundle.entry[{index}]")
    return {"index": index, "method": method, "type": path[0], "id": path[1] if len(path) > 1 else None,
            "query": parse_qsl(parts.query), "resource": entry.get("resource"), "fullUrl": entry.get("fullUrl"),
            "ifNoneExist": request.get("ifNoneExist") if isinstance(request.get("ifNoneExist"), str) else None}


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
        if rid:
            handler.delete(rid, ctx)
        else:
            handler.conditional_delete(request["query"], ctx)
        return {"status": "204 No Content"}, None
    if method == "POST" and request.get("ifNoneExist"):
        resource, created = handler.conditional_create(request["resource"], request["ifNoneExist"], ctx)
        return bundles.entry_response("201 Created" if created else "200 OK", resource, location=created), resource
    if method == "POST":
        if request.get("assigned_id"):
            stored, _ = handler.update(request["assigned_id"], {**request["resource"], "id": request["assigned_id"]},
                                       ctx)
        else:
            stored = handler.create(request["resource"], ctx)
        return bundles.entry_response("201 Created", stored, location=True), stored
    if method == "PATCH":
        document, media_type = patching.from_bundle_entry(request["resource"])
        stored = handler.patch(rid, document, media_type, ctx) if rid else \
            handler.conditional_patch(request["query"], document, media_type, ctx)
        return bundles.entry_response("200 OK", stored, location=True), stored
    if rid:
        stored, created = handler.update(rid, request["resource"], ctx)
    else:
        stored, created = handler.conditional_update(request["query"], request["resource"], ctx)
    return bundles.entry_response("201 Created" if created else "200 OK", stored, location=True), stored


def _run_batch(registry, requests: list[dict], ctx: RequestContext) -> list[dict]:
    """Entries independent, in order; consecutive creations of one type are written in bulk."""
    responses: list[dict] = []
    for group in _runs_of_creations(requests):
        if len(group) > 1:
            results = registry.get(group[0]["type"]).create_many([r["resource"] for r in group], ctx)
            responses += [_failed(r) if isinstance(r, FHIRError) else
                          {"response": bundles.entry_response("201 Created", r, location=True), "resource": r}
                          for r in results]
        else:
            responses.append(_run_isolated(registry, group[0], ctx))
    return responses


def _runs_of_creations(requests: list[dict]) -> list[list[dict]]:
    """The entries cut into runs: consecutive POSTs of one type together, any other entry alone."""
    runs: list[list[dict]] = []
    for request in requests:
        if runs and request["method"] == "POST" and runs[-1][-1]["method"] == "POST" \
                and runs[-1][-1]["type"] == request["type"] and not request.get("ifNoneExist") \
                and not runs[-1][-1].get("ifNoneExist"):
            runs[-1].append(request)
        else:
            runs.append([request])
    return runs


def _failed(error: FHIRError) -> dict:
    return {"response": {"status": str(error.status),
                         "outcome": bundles.operation_outcome([i.as_fhir() for i in error.issues])}}


def _run_isolated(registry, request: dict, ctx: RequestContext) -> dict:
    try:
        response, resource = _apply(registry, request, ctx)
    except FHIRError as error:
        return _failed(error)
    return {"response": response, **({"resource": resource} if resource else {})}


def _run_transaction(registry, requests: list[dict], ctx: RequestContext) -> list[dict]:
    for request in requests:  # conditional updates and deletes act on their match, known before anything is written
        if request["method"] in ("PUT", "PATCH", "DELETE") and not request["id"] and request["query"]:
            handler = registry.get(request["type"])
            found = handler._matches(handler._criteria(request["query"]), ctx)
            if found is None and request["method"] == "PATCH":
                raise NotFoundError(f"no {request['type']} matches the conditional patch of "
                                    f"Bundle.entry[{request['index']}]; nothing was applied")
            if found is not None:
                request["id"], request["query"] = found["id"], []
                if request["method"] == "PUT" and isinstance(request.get("resource"), dict):
                    request["resource"] = {**request["resource"], "id": found["id"]}
    for request in requests:  # a conditional create that matches is the existing resource: its fullUrl names it
        if request["method"] == "POST" and request.get("ifNoneExist"):
            params = sorted(parse_qsl(request["ifNoneExist"].lstrip("?"), keep_blank_values=True))
            try:
                request["matched"] = registry.get(request["type"])._matches(params, ctx)
            except FHIRError as error:
                error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}] (ifNoneExist); "
                                                     f"nothing was applied")]
                raise
    _assign_ids(requests)
    for request in requests:  # check every entry before writing anything
        if request["method"] == "PATCH":
            try:
                patching.from_bundle_entry(request["resource"])
            except FHIRError as error:
                error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}]; nothing was applied")]
                raise
        if request["method"] in ("POST", "PUT"):
            handler = registry.get(request["type"])
            try:
                prepared = handler._prepare(request["resource"])
            except FHIRError as error:
                error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}]; nothing was applied")]
                raise
            if request["method"] == "POST" and not request.get("matched"):
                request["prepared"] = {**prepared, "id": request["assigned_id"]}
    results: dict[int, dict] = {}
    for request in requests:
        if request.get("matched"):
            results[request["index"]] = {"resource": request["matched"],
                                         "response": bundles.entry_response("200 OK", request["matched"])}
    requests_to_apply = [r for r in requests if not r.get("matched")]
    _refuse_duplicates(requests_to_apply)
    created = {f"{r['type']}/{r['assigned_id']}" for r in requests_to_apply if r.get("assigned_id")}
    ordered = sorted(requests_to_apply, key=lambda r: (METHOD_ORDER[r["method"]], r.get("rank", 0), r["type"],
                                                       r["index"]))
    request = ordered[0] if ordered else None
    try:
        with registry.store.atomic():  # all or nothing, also if the process dies: see fhirstore/journal.py
            for group in _runs_of_creations(ordered):
                if group[0]["method"] == "POST":  # creations of one type at one depth of the reference graph
                    handler = registry.get(group[0]["type"])
                    stored = handler.create_many([r["prepared"] for r in group], ctx, prepared=True,
                                                 resolving=created)
                    for request, resource in zip(group, stored):
                        if isinstance(resource, FHIRError):
                            raise resource
                        results[request["index"]] = {"resource": resource, "response": bundles.entry_response(
                            "201 Created", resource, location=True)}
                    continue
                request = group[0]
                response, resource = _apply(registry, request, ctx)
                results[request["index"]] = {"response": response, **({"resource": resource} if resource else {})}
    except FHIRError as error:
        error.issues = [*error.issues, _note(f"in Bundle.entry[{request['index']}]; the transaction was rolled back")]
        raise
    return [results[r["index"]] for r in requests]


def _refuse_duplicates(requests: list[dict]) -> None:
    """FHIR: a resource appears at most once among a transaction's writes."""
    seen: dict[str, int] = {}
    for request in requests:
        target = request.get("assigned_id") or request["id"]
        if request["method"] == "GET" or not target:
            continue
        key = f"{request['type']}/{target}"
        if key in seen:
            raise InvalidError(f"entries {seen[key]} and {request['index']} both write {key}; nothing was applied",
                               expression=f"Bundle.entry[{request['index']}]")
        seen[key] = request["index"]


def _note(text: str) -> Issue:
    return Issue("informational", text, severity="information")


def _assign_ids(requests: list[dict]) -> None:
    """Give each POST its id now and rewrite ``urn:uuid:`` references; order creations so targets come first."""
    mapping = {}
    for request in requests:
        if request["method"] == "POST":
            request["assigned_id"] = request["matched"]["id"] if request.get("matched") else str(uuid.uuid4())
            if request.get("fullUrl"):
                mapping[request["fullUrl"]] = f"{request['type']}/{request['assigned_id']}"
    for request in requests:
        if isinstance(request.get("resource"), dict) and mapping:
            request["resource"] = rewrite_references(request["resource"], lambda r: mapping.get(r, r),
                                                     into_contained=True)
    created = {f"{r['type']}/{r['assigned_id']}": r for r in requests if r.get("assigned_id")}
    targets = {key: [created[ref] for ref in dict.fromkeys(iter_references(r["resource"])) if ref in created
                     and created[ref] is not r] for key, r in created.items()}
    for key in created:  # rank = depth in the graph of references between new resources, in linear time
        _rank(key, created, targets, set())


def _rank(key: str, created: dict, targets: dict, visiting: set) -> int:
    """Depth of a new resource: 0 without targets among the new ones, else 1 + its deepest target's (a cycle
    counts as 0 where it closes); each resource ranked once."""
    request = created[key]
    if "rank" in request:
        return request["rank"]
    visiting.add(key)
    stack = [(key, iter(targets[key]))]
    while stack:  # iterative depth-first walk: no recursion limit on long chains
        current, following = stack[-1]
        target = next(following, None)
        if target is None:
            stack.pop()
            done = created[current]
            done["rank"] = max((t.get("rank", 0) + 1 for t in targets[current]), default=0)
            visiting.discard(current)
            continue
        target_key = f"{target['type']}/{target['assigned_id']}"
        if "rank" in target or target_key in visiting:
            continue
        visiting.add(target_key)
        stack.append((target_key, iter(targets[target_key])))
    return request["rank"]
