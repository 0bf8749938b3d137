"""The handler registry: which resource types this server hosts, which handler serves each, which operations exist.

Explicit lists, read by ``create_app``: importing a module registers nothing.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from fhirstore import FHIRStore
from fhirstore.errors import NotFoundError
from handlers.base import REFERENCE_INDEX, ResourceHandler
from handlers.enrichment import STATUS_COLLECTION, Enricher
from handlers.export import Exporter
from handlers.operations import (Operation, enrich, enrichment_status, everything, export, expunge, hierarchy, lastn,
                                 lookup, merge, validate, validate_code)
from handlers.resources.codesystem import CodeSystemHandler
from handlers.resources.documentreference import DocumentReferenceHandler
from handlers.resources.encounter import EncounterHandler
from handlers.resources.observation import ObservationHandler, PhenotypeHandler
from handlers.resources.organization import OrganizationHandler
from handlers.resources.patient import PatientHandler


def plain(resource_type: str) -> type[ResourceHandler]:
    """A handler with no rules of its own."""
    return type(f"{resource_type}Handler", (ResourceHandler,), {"resource_type": resource_type, "name": resource_type})


HANDLERS: tuple[type[ResourceHandler], ...] = (
    PatientHandler, OrganizationHandler, EncounterHandler, DocumentReferenceHandler, ObservationHandler,
    PhenotypeHandler, plain("Procedure"), plain("MedicationRequest"), plain("DiagnosticReport"), CodeSystemHandler,
)
OPERATIONS: tuple[Operation, ...] = tuple(module.OPERATION for module in (
    validate, merge, everything, expunge, hierarchy, enrich, enrichment_status, lookup, validate_code, lastn, export))
#: Operations on the whole server (``GET /$export``), by name.
SYSTEM_OPERATIONS: tuple[Operation, ...] = (export.SYSTEM_OPERATION,)


class Registry:
    """The handlers and operations of one app; handlers are reachable by FHIR name or lowercase route segment."""

    def __init__(self, store: FHIRStore, config: dict[str, Any],
                 handlers: Iterable[type[ResourceHandler]] = HANDLERS, operations: Iterable[Operation] = OPERATIONS):
        self.store = store
        self.config = config
        self.handlers = {cls.name: cls(store, config, self) for cls in handlers}
        self._by_segment = {}
        for name, handler in self.handlers.items():
            self._by_segment[name] = handler
            self._by_segment[name.lower()] = handler
        self.stored_types = sorted({h.resource_type for h in self.handlers.values()})
        for stored_type in self.stored_types:
            stored_by = [h for h in self.handlers.values() if h.resource_type == stored_type]
            inline = {p for h in stored_by for p in h.inline_keys}
            store.keep_inline(stored_type, sorted(inline), sorted(
                {p.key for h in stored_by for p in h.search_params if p.key in inline and p.type == "token"}))
        self.operations = {(op.on, op.name): op for op in operations}
        self.system_operations = {op.name: op for op in SYSTEM_OPERATIONS}
        self.enricher = Enricher(store, config, lambda resource: self.get("Phenotype").index_fields(resource))
        self.exporter = Exporter(store, config)

    def get(self, segment: str) -> ResourceHandler:
        """:raises NotFoundError: no such type here."""
        try:
            return self._by_segment[segment]
        except KeyError:
            raise NotFoundError(f"unknown resource type {segment!r}; this server hosts "
                                f"{', '.join(sorted(self.handlers))}") from None

    def __iter__(self):
        return iter(self.handlers.values())

    def operation(self, handler: ResourceHandler, name: str) -> Operation | None:
        return self.operations.get((handler.name, name)) or self.operations.get(("*", name))

    def operations_of(self, handler: ResourceHandler) -> list[Operation]:
        return [op for (on, _), op in sorted(self.operations.items()) if on in (handler.name, "*")]

    def reindex(self, progress_for: Callable[[str, int], Callable[[int], None] | None] = lambda t, n: None
                ) -> dict[str, int]:
        """Recompute every stored resource's search helpers; ``progress_for(type, total)`` may give a callback."""
        changed = {}
        for stored_type in self.stored_types:
            handler = self.handlers[stored_type]
            progress = progress_for(stored_type, self.store.count(stored_type))
            changed[stored_type] = self.store.reindex(stored_type, handler.index_fields, progress)
        return changed

    def ensure_indexes(self) -> dict[str, list[str]]:
        """Create every declared index of every stored type (idempotent)."""
        created: dict[str, list[str]] = {}
        for stored_type in self.stored_types:
            specs = {REFERENCE_INDEX}
            for handler in self:
                if handler.resource_type == stored_type:
                    specs.update(handler.index_specs)
            created[stored_type] = self.store.ensure_indexes(stored_type, sorted(specs, key=lambda s: s.name))
        created[STATUS_COLLECTION] = [self.enricher.statuses.ensure_index("status")]  # the sweep of pending jobs
        return created
