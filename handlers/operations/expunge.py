"""``Patient/{id}/$expunge``: the right to erasure, administrators only (and delete on every type)."""
from __future__ import annotations

from fhirstore.errors import GoneError
from handlers import bundles
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import EVERY_TYPE, Operation
from handlers.operations.compartment import MAX_REFERRERS, compartment, deleted_former_referrers


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
        outside = [r for r in store.referrers([reference], MAX_REFERRERS) if r not in found]
        if outside:
            del found[reference]
    erased = sorted(found, key=lambda r: (r == root, r))  # the patient last: a retry finds what is left
    erased[-1:-1] = sorted(deleted_former_referrers(handler, list(found)) - set(found))
    documents = 0
    for reference in erased:
        resource_type, rid = reference.split("/", 1)
        documents += handler.registry.get(resource_type).erase(rid, ctx)
    ctx.touch(*erased)
    return bundles.information(f"erased {len(erased)} resource(s), {documents} stored document(s): "
                               + ", ".join(erased))


OPERATION = Operation("expunge", "Patient", "instance", "POST", expunge, letters="d", types=EVERY_TYPE, admin=True)
