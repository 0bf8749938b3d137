"""DocumentReference: storing a note with text enriches it into Phenotypes (see handlers/enrichment.py)."""
from __future__ import annotations

import nlp
from fhirstore.errors import InvalidError
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.enrichment import Enricher
from handlers.registry import operation, register


def enricher_of(handler: ResourceHandler) -> Enricher:
    """The app's one Enricher (kept on the registry, created on first use)."""
    registry = handler.registry
    if getattr(registry, "enricher", None) is None:
        registry.enricher = Enricher(handler.store, handler.config, registry.get("Phenotype").index_fields)
    return registry.enricher


@register
class DocumentReferenceHandler(ResourceHandler):
    """Enriches on create/update, erases the document's Phenotypes on delete, serves the enrichment status."""

    resource_type = name = "DocumentReference"

    def __init__(self, store, config, registry):
        super().__init__(store, config, registry)
        if config.get("CODOC_NLP") == "on":
            nlp.start_loading()  # in a background thread: the web process answers at once

    def after_write(self, stored: dict, ctx: RequestContext) -> dict:
        return self.with_status(stored, enricher_of(self).submit(stored))

    def after_delete(self, resource_id: str, ctx: RequestContext) -> None:
        enricher_of(self).forget(resource_id)

    def referrers(self, resource_id: str, limit: int = 20) -> list[str]:
        """Resources referencing the document, except its own Phenotypes (deleted with it)."""
        derived = self.store.search("Observation", {"_codoc.src": resource_id}, limit=100_000, count_total=False)
        own = {f"Observation/{p['id']}" for p in derived.resources}
        return [r for r in super().referrers(resource_id, limit + len(own)) if r not in own][:limit]

    def read(self, resource_id: str, ctx: RequestContext) -> dict:
        resource = super().read(resource_id, ctx)
        if ctx.base_url:  # an HTTP read, not an internal one
            status = enricher_of(self).status(resource_id)
            if status.get("reason") != "never enriched":
                resource = self.with_status(resource, status)
        return resource

    def with_status(self, resource: dict, status: dict) -> dict:
        """The resource as served: with an extension saying whether enrichment is pending, done, failed or skipped.

        The extension is computed, never stored: it is not part of the document's versions.
        """
        if status.get("reason", "").startswith("enrichment is off") or status.get("reason") == "never enriched":
            return resource
        enricher = enricher_of(self)
        parts = [{"url": "status", "valueCode": status["status"]}]
        if status.get("reason"):
            parts.append({"url": "reason", "valueString": status["reason"]})
        if "count" in status:
            parts.append({"url": "phenotypes", "valueInteger": status["count"]})
        extensions = [e for e in resource.get("extension") or [] if e.get("url") != enricher.status_url]
        return {**resource, "extension": extensions + [{"url": enricher.status_url, "extension": parts}]}


@operation("DocumentReference", "enrich", level="instance", method="POST")
def enrich(handler: DocumentReferenceHandler, ctx: RequestContext, payload, resource_id: str):
    """Re-run the NLP enrichment of a document now; answers its status as Parameters."""
    document = handler.read(resource_id, ctx)
    enricher = enricher_of(handler)
    if enricher.mode == "off":
        raise InvalidError("enrichment is off on this server (CODOC_NLP=off)")
    status = enricher.submit(document) if enricher.mode == "async" else enricher.enrich(resource_id)
    return _parameters(resource_id, status)


@operation("DocumentReference", "enrichment-status", level="instance", method="GET")
def enrichment_status(handler: DocumentReferenceHandler, ctx: RequestContext, payload, resource_id: str):
    """Whether the enrichment of a document is pending, done, failed or skipped (and why)."""
    handler.read(resource_id, ctx)
    return _parameters(resource_id, enricher_of(handler).status(resource_id))


def _parameters(resource_id: str, status: dict) -> dict:
    parameters = [{"name": "document", "valueReference": {"reference": f"DocumentReference/{resource_id}"}},
                  {"name": "status", "valueCode": status["status"]}]
    if status.get("reason"):
        parameters.append({"name": "reason", "valueString": status["reason"]})
    if "count" in status:
        parameters.append({"name": "phenotypes", "valueInteger": status["count"]})
    return {"resourceType": "Parameters", "parameter": parameters}
