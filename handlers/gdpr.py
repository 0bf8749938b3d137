"""GDPR: the right of access (``GET Patient/{id}/$everything``) and the right to erasure
(``POST Patient/{id}/$expunge``, administrators only: see security/scopes.py).

A patient's data is the patient and, transitively, every resource that references it or references one of its
resources (``_codoc.refs`` is indexed on every type): its Encounters, Observations, DocumentReferences, the
Phenotypes derived from those documents, … Resources that belong to another patient are never followed.
Resources that its resources reference are added when they are patient-specific and no other patient's
(e.g. an Encounter without a subject). ``$expunge`` also erases resources deleted before it whose former versions
referenced the patient's data (history versions keep their references). Known gap: a live resource that once
referenced the patient and was since reassigned keeps those former versions. Shared resources (Organization, CodeSystem) and other Patients (even
linked ones: expunge each) are neither served nor erased.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from fhirstore.errors import GoneError
from fhirstore.mongo import now_instant
from handlers import audit, bundles
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.references import local_references
from handlers.registry import operation

#: Types whose resources are not one patient's data.
SHARED_TYPES = frozenset({"Organization", "CodeSystem", "Patient"})
BATCH = 500


def _each(store, resource_type: str, query: dict) -> Iterable[dict]:
    """Every live resource matching ``query``, page by page (indexed queries only)."""
    offset = 0
    while True:
        page = store.search(resource_type, query, sort=[("_id", 1)], offset=offset, limit=BATCH, count_total=False)
        yield from page.resources
        if len(page.resources) < BATCH:
            return
        offset += BATCH


def _patients_of(resource: dict) -> set[str]:
    return {r for r in local_references(resource) if r.startswith("Patient/")}


def compartment(handler: ResourceHandler, patient_id: str, patient: dict | None) -> tuple[dict[str, dict], set[str]]:
    """(reference → resource) of the patient's data, and the references only reachable forward (see module doc)."""
    store, types = handler.store, [t for t in handler.registry.stored_types if t not in SHARED_TYPES]
    root = f"Patient/{patient_id}"
    found: dict[str, dict] = {root: patient} if patient else {}
    frontier = [root]
    while frontier:
        batch, frontier = frontier[:BATCH], frontier[BATCH:]
        for resource_type in types:
            for resource in _each(store, resource_type, {"_codoc.refs": {"$in": batch}}):
                reference = f"{resource_type}/{resource['id']}"
                if reference in found:
                    continue
                patients = _patients_of(resource)
                derived = {d.get("reference") for d in resource.get("derivedFrom") or () if isinstance(d, dict)}
                if patients and root not in patients and not derived & set(found):
                    continue  # another patient's resource pointing at one of ours: not this patient's data
                found[reference] = resource
                frontier.append(reference)
    forward: set[str] = set()
    wanted: dict[str, set[str]] = {}
    for resource in list(found.values()):
        for reference in local_references(resource):
            target_type, target_id = reference.split("/", 1)
            if reference not in found and target_type in types:
                wanted.setdefault(target_type, set()).add(target_id)
    for target_type, ids in wanted.items():
        for resource in _each(store, target_type, {"_id": {"$in": sorted(ids)}}):
            if _patients_of(resource) <= {root}:
                reference = f"{target_type}/{resource['id']}"
                found[reference] = resource
                forward.add(reference)
    return found, forward


def _deleted_former_referrers(handler: ResourceHandler, references: list[str]) -> set[str]:
    """Deleted resources whose former versions referenced one of ``references`` (indexed history lookup)."""
    found: set[str] = set()
    for resource_type in handler.registry.stored_types:
        if resource_type in SHARED_TYPES:
            continue
        ids: set[str] = set()
        for start in range(0, len(references), BATCH):
            ids |= handler.store.former_referrers(resource_type, references[start:start + BATCH])
        live = handler.store.existing_ids(resource_type, ids)
        found.update(f"{resource_type}/{i}" for i in ids - live)
    return found


@operation("Patient", "everything", level="instance", method="GET")
def everything(handler: ResourceHandler, ctx: RequestContext, payload, resource_id: str) -> dict:
    """Right of access: the patient and all its data in one searchset Bundle."""
    patient = handler.read(resource_id, ctx)
    found, _ = compartment(handler, resource_id, patient)
    ordered = sorted(found.items(), key=lambda item: (item[0] != f"Patient/{resource_id}", item[0]))
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": now_instant()},
            "type": "searchset", "total": len(ordered),
            "link": [{"relation": "self", "url": f"{ctx.base_url}/Patient/{resource_id}/$everything"}],
            "entry": [{"fullUrl": bundles.full_url(ctx.base_url, resource), "resource": resource,
                       "search": {"mode": "match"}} for _, resource in ordered]}


@operation("Patient", "expunge", level="instance", method="POST")
def expunge(handler: ResourceHandler, ctx: RequestContext, payload, resource_id: str) -> dict:
    """Right to erasure: the patient, all versions, everything of its data, its identifier claims; audited."""
    try:
        patient = handler.read(resource_id, ctx)
    except GoneError:  # deleted, but its versions still hold its data
        patient = None
    found, forward = compartment(handler, resource_id, patient)
    store = handler.store
    root = f"Patient/{resource_id}"
    found.setdefault(root, {})
    for reference in sorted(forward):  # keep what a resource outside this patient's data still points to
        outside = [r for t in handler.registry.stored_types for r in _each(store, t, {"_codoc.refs": reference})
                   if f"{t}/{r['id']}" not in found]
        if outside:
            del found[reference]
    erased = sorted(found, key=lambda r: (r == root, r))  # the patient last: a retry finds what is left
    erased[-1:-1] = sorted(_deleted_former_referrers(handler, list(found)) - set(found))
    documents = 0
    for reference in erased:
        resource_type, rid = reference.split("/", 1)
        documents += store.expunge(resource_type, rid)
    audit.record(store, ctx, "delete", erased, "0", "$expunge")
    return bundles.information(f"erased {len(erased)} resource(s), {documents} stored document(s): "
                               + ", ".join(erased))
