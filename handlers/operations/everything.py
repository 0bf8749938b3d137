"""``Patient/{id}/$everything``: the right of access, the patient and all its data in one Bundle."""
from __future__ import annotations

from handlers import bundles
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import EVERY_TYPE, Operation
from handlers.operations.compartment import compartment


def everything(handler: ResourceHandler, ctx: RequestContext, payload, resource_id: str) -> dict:
    """Right of access: the patient and all its data in one searchset Bundle."""
    patient = handler.read(resource_id, ctx)
    found, _ = compartment(handler, resource_id, patient)
    ordered = [resource for _, resource in sorted(found.items(), key=lambda item: (
        item[0] != f"Patient/{resource_id}", item[0]))]
    ctx.touch_resources(ordered)
    return bundles.bundle("searchset", bundles.match_entries(ctx.base_url, ordered), len(ordered), [
        {"relation": "self", "url": f"{ctx.base_url}/Patient/{resource_id}/$everything"}])


OPERATION = Operation("everything", "Patient", "instance", "GET", everything, letters="rs", types=EVERY_TYPE)
