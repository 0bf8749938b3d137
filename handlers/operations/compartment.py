"""A patient's data (its compartment), for the right of access (``$everything``) and the right to erasure
(``$expunge``).

A patient's data is the patient and, transitively, every resource that references it or references one of its
resources (``_codoc.refs`` is indexed on every type): its Encounters, Observations, DocumentReferences, the
Phenotypes derived from those documents, … Resources that belong to another patient are never followed.
Resources that its resources reference are added when they are patient-specific and no other patient's
(e.g. an Encounter without a subject). ``$expunge`` also erases resources deleted before it whose former versions
referenced the patient's data (history versions keep their references). Known gap: a live resource that once
referenced the patient and was since reassigned keeps those former versions. Shared resources (Organization,
CodeSystem) and other Patients (even linked ones: expunge each) are neither served nor erased."""
from __future__ import annotations

from handlers.base import ResourceHandler
from handlers.references import local_references

#: Types whose resources are not one patient's data.
SHARED_TYPES = frozenset({"Organization", "CodeSystem", "Patient"})
BATCH = 500
#: Most resources referencing one resource that a compartment walk follows.
MAX_REFERRERS = 100_000


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
        referring: dict[str, list[str]] = {}
        for owner in store.referrers(batch, MAX_REFERRERS):
            kind, _, owner_id = owner.partition("/")
            if kind in types and owner not in found:
                referring.setdefault(kind, []).append(owner_id)
        for resource_type, ids in sorted(referring.items()):
            for resource in store.scan(resource_type, {"_id": {"$in": sorted(ids)}}):
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
        for resource in store.scan(target_type, {"_id": {"$in": sorted(ids)}}):
            if _patients_of(resource) <= {root}:
                reference = f"{target_type}/{resource['id']}"
                found[reference] = resource
                forward.add(reference)
    return found, forward


def deleted_former_referrers(handler: ResourceHandler, references: list[str]) -> set[str]:
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
