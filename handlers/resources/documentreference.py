"""DocumentReference: storing a note with text enriches it into Phenotypes (see handlers/enrichment.py)."""
from __future__ import annotations

import nlp
from fhirstore.fields import SOURCE, path
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.enrichment import Enricher


#: Most referrers looked at when deleting a document (its own Phenotypes, deleted with it, among them).
DERIVED_MAX = 10_000


class DocumentReferenceHandler(ResourceHandler):
    """Enriches on create/update, erases the document's Phenotypes on delete, serves the enrichment status."""

    resource_type = name = "DocumentReference"

    def __init__(self, store, config, registry):
        super().__init__(store, config, registry)
        if config.get("CODOC_NLP") == "on":
            nlp.start_loading()  # in a background thread: the web process answers at once

    @property
    def enricher(self) -> Enricher:
        return self.registry.enricher

    def after_write(self, stored: dict, ctx: RequestContext) -> dict:
        return self.with_status(stored, self.enricher.submit(stored))

    def after_delete(self, resource_id: str, ctx: RequestContext) -> None:
        self.enricher.forget(resource_id)

    def after_erase(self, resource_id: str, ctx: RequestContext) -> None:
        self.enricher.purge(resource_id)

    def referrers(self, resource_id: str, limit: int = 20) -> list[str]:
        """Resources referencing the document, except its own Phenotypes (deleted with it)."""
        found = super().referrers(resource_id, DERIVED_MAX)
        if not any(r.startswith("Observation/") for r in found):
            return found[:limit]
        own = {f"Observation/{p['id']}" for p in self.store.scan("Observation", {path(SOURCE): resource_id})}
        return [r for r in found if r not in own][:limit]

    def read(self, resource_id: str, ctx: RequestContext) -> dict:
        resource = super().read(resource_id, ctx)
        if ctx.base_url:  # an HTTP read, not an internal one
            status = self.enricher.status(resource_id)
            if status.get("reason") != "never enriched":
                resource = self.with_status(resource, status)
        return resource

    def with_status(self, resource: dict, status: dict) -> dict:
        """The resource as served: with an extension saying whether enrichment is pending, done, failed or skipped.

        The extension is computed, never stored: it is not part of the document's versions.
        """
        if status.get("reason", "").startswith("enrichment is off") or status.get("reason") == "never enriched":
            return resource
        parts = [{"url": "status", "valueCode": status["status"]}]
        if status.get("reason"):
            parts.append({"url": "reason", "valueString": status["reason"]})
        if "count" in status:
            parts.append({"url": "phenotypes", "valueInteger": status["count"]})
        extensions = [e for e in resource.get("extension") or [] if e.get("url") != self.enricher.status_url]
        return {**resource, "extension": extensions + [{"url": self.enricher.status_url, "extension": parts}]}
