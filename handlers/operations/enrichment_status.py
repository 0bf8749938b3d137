"""``DocumentReference/{id}/$enrichment-status``: whether its enrichment is pending, done, failed or skipped."""
from __future__ import annotations

from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.operations.enrich import parameters
from handlers.resources.documentreference import DocumentReferenceHandler


def enrichment_status(handler: DocumentReferenceHandler, ctx: RequestContext, payload, resource_id: str):
    """Whether the enrichment of a document is pending, done, failed or skipped (and why)."""
    handler.read(resource_id, ctx)
    return parameters(resource_id, handler.enricher.status(resource_id))


OPERATION = Operation("enrichment-status", "DocumentReference", "instance", "GET", enrichment_status, letters="r")
