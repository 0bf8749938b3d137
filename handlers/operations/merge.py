"""``Patient/$merge``: two records of one person become one; needs write on every type it repoints."""
from __future__ import annotations

import copy
from typing import Any

from fhirstore.errors import BusinessRuleError, ConflictError, GoneError, InvalidError, NotFoundError, \
    VersionConflictError
from handlers import bundles
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import EVERY_TYPE, Operation
from handlers.references import repoint
from handlers.resources.patient import PatientHandler, find_by_identifier, identifier_key
from schemas import validate_resource

MAX_ATTEMPTS = 5
#: Most resources a merge repoints.
MAX_REFERRERS = 100_000


def merge(handler: PatientHandler, ctx: RequestContext, payload: Any, resource_id=None):
    """Merge two records of one person: the source's identifiers move to the target as old IPPs, the source becomes
    inactive and replaced-by the target, and every resource referencing the source references the target."""
    source_id, target_id = _merge_inputs(handler, payload)
    store = handler.store
    source, target = _live(store, source_id, "source-patient"), _live(store, target_id, "target-patient")
    for role, patient in (("source", source), ("target", target)):
        replaced_by = [link for link in patient.get("link") or [] if link.get("type") == "replaced-by"]
        if replaced_by:
            raise BusinessRuleError(f"the {role} Patient/{patient['id']} was already merged into "
                                    f"{replaced_by[0]['other'].get('reference')}",
                                    expression=f"Parameters.parameter('{role}-patient')")

    moved = [{**copy.deepcopy(ident), "use": "old"} for ident in source.get("identifier") or []]
    new_source = {k: v for k, v in source.items() if k not in ("identifier", "meta")}
    new_source["active"] = False
    new_source["link"] = [link for link in source.get("link") or [] if _other(link) != f"Patient/{target_id}"] + [
        {"other": {"reference": f"Patient/{target_id}"}, "type": "replaced-by"}]
    new_target = {k: v for k, v in target.items() if k != "meta"}
    new_target["identifier"] = list(target.get("identifier") or []) + moved
    new_target["link"] = [link for link in target.get("link") or [] if _other(link) != f"Patient/{source_id}"] + [
        {"other": {"reference": f"Patient/{source_id}"}, "type": "replaces"}]

    # Release the source's identifiers first: the store would refuse them to the target while the source holds them.
    stored_source, _ = store.update("Patient", new_source, source["meta"]["versionId"],
                                    handler.index_fields(new_source))
    try:
        stored_target, _ = store.update("Patient", new_target, target["meta"]["versionId"],
                                        handler.index_fields(new_target))
    except (ConflictError, VersionConflictError):
        restored = {k: v for k, v in source.items() if k != "meta"}
        store.update("Patient", restored, stored_source["meta"]["versionId"], handler.index_fields(restored))
        raise
    repointed = _repoint_all(handler, f"Patient/{source_id}", f"Patient/{target_id}")
    ctx.touch(f"Patient/{source_id}", f"Patient/{target_id}", *repointed)
    outcome = bundles.information(f"Patient/{source_id} merged into Patient/{target_id}: {len(moved)} identifier(s) "
                                  f"moved as old, {len(repointed)} resource(s) now reference the target")
    return {"resourceType": "Parameters", "parameter": [
        {"name": "outcome", "resource": outcome},
        {"name": "result", "resource": stored_target},
    ]}


def _merge_inputs(handler: PatientHandler, payload: Any) -> tuple[str, str]:
    """Source and target ids from Parameters ``source-patient``/``target-patient`` (valueReference) or
    ``source-patient-identifier``/``target-patient-identifier`` (valueIdentifier). :raises InvalidError:"""
    if not isinstance(payload, dict) or payload.get("resourceType") != "Parameters":
        raise InvalidError("$merge takes a Parameters resource with source-patient and target-patient")
    payload = validate_resource(payload, "Parameters")
    found: dict[str, str] = {}
    for parameter in payload.get("parameter") or []:
        name = parameter.get("name")
        for role in ("source", "target"):
            if name == f"{role}-patient":
                reference = (parameter.get("valueReference") or {}).get("reference") or ""
                kind, _, rid = reference.partition("/")
                if kind != "Patient" or not rid or "/" in rid:
                    raise InvalidError(f"{name} must be a valueReference to Patient/{{id}}, not {reference!r}",
                                       expression=f"Parameters.parameter('{name}')")
                found[role] = rid
            elif name == f"{role}-patient-identifier":
                found[role] = _by_identifier(handler, parameter.get("valueIdentifier") or {}, name)
    for role in ("source", "target"):
        if role not in found:
            raise InvalidError(f"$merge needs {role}-patient (a Patient reference)",
                               expression=f"Parameters.parameter('{role}-patient')")
    if found["source"] == found["target"]:
        raise BusinessRuleError("a patient cannot be merged into itself", expression="Parameters.parameter")
    return found["source"], found["target"]


def _by_identifier(handler: PatientHandler, identifier: dict, name: str) -> str:
    if not identifier_key(identifier):
        raise InvalidError(f"{name} must be a valueIdentifier with a value",
                           expression=f"Parameters.parameter('{name}')")
    found = find_by_identifier(handler.store, identifier)
    if found is None:
        raise BusinessRuleError(f"{name}: no patient holds that identifier",
                                expression=f"Parameters.parameter('{name}')")
    return found


def _live(store, patient_id: str, name: str) -> dict:
    try:
        return store.read("Patient", patient_id)
    except (NotFoundError, GoneError):
        raise BusinessRuleError(f"{name}: Patient/{patient_id} is not a live patient",
                                expression=f"Parameters.parameter('{name}')") from None


def _other(link: dict) -> str | None:
    return (link.get("other") or {}).get("reference")


def _repoint_all(handler: PatientHandler, old: str, new: str) -> list[str]:
    """Make every live resource that references ``old`` reference ``new`` (a new version of each, history kept).

    The two patients of the merge are left alone: their links name each other on purpose.
    """
    registry, store = handler.registry, handler.store
    referring = store.referrers([old], MAX_REFERRERS)
    changed = []
    for stored_type in registry.stored_types:
        writer = registry.get(stored_type)
        ids = [r.split("/", 1)[1] for r in referring if r.startswith(f"{stored_type}/")]
        for resource_id in ids:
            reference = f"{stored_type}/{resource_id}"
            if reference in (old, new):
                continue
            if _repoint_one(store, writer, stored_type, resource_id, old, new):
                changed.append(reference)
    return changed


def _repoint_one(store, writer: ResourceHandler, stored_type: str, resource_id: str, old: str, new: str) -> bool:
    for _ in range(MAX_ATTEMPTS):
        try:
            current = store.read(stored_type, resource_id)
        except (NotFoundError, GoneError):
            return False
        updated = repoint(current, old, new)
        try:
            store.update(stored_type, updated, current["meta"]["versionId"], writer.index_fields(updated))
            return True
        except VersionConflictError:
            continue
    raise ConflictError(f"{stored_type}/{resource_id} changed too often while repointing it; retry the merge")


OPERATION = Operation("merge", "Patient", "type", "POST", merge, letters="ru", types=EVERY_TYPE)
