"""The handler registry: which resource types this server hosts and which handler serves each."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Callable

from fhirstore.base import FHIRStore
from fhirstore.errors import NotFoundError
from handlers.base import REFERENCE_INDEX, ResourceHandler

HANDLER_CLASSES: dict[str, type[ResourceHandler]] = {}


@dataclass(frozen=True)
class Operation:
    """A FHIR ``$operation``: ``func(handler, ctx, payload, resource_id)`` returns a body or (body, status)."""

    name: str
    level: str  # "type" | "instance"
    method: str  # "GET" | "POST"
    func: Callable
    description: str = ""


#: (handler name or "*", operation name) → Operation
OPERATIONS: dict[tuple[str, str], Operation] = {}


def operation(on: str, name: str, level: str = "instance", method: str = "POST", description: str = ""):
    """Decorator registering ``$name`` on handler ``on`` (``"*"`` = every type)."""
    def decorate(func: Callable) -> Callable:
        OPERATIONS[(on, name)] = Operation(name, level, method, func, description or (func.__doc__ or "").strip())
        return func
    return decorate


def find_operation(handler: ResourceHandler, name: str) -> Operation | None:
    return OPERATIONS.get((handler.name, name)) or OPERATIONS.get(("*", name))


def operations_of(handler: ResourceHandler) -> list[Operation]:
    return [op for (on, _), op in sorted(OPERATIONS.items()) if on in (handler.name, "*")]


def register(cls: type[ResourceHandler]) -> type[ResourceHandler]:
    """Class decorator: serve ``cls.name`` with ``cls``."""
    HANDLER_CLASSES[cls.name] = cls
    return cls


def plain(resource_type: str) -> type[ResourceHandler]:
    """A handler with no rules of its own."""
    return register(type(f"{resource_type}Handler", (ResourceHandler,),
                         {"resource_type": resource_type, "name": resource_type}))


for _type in ("Patient", "Organization", "Encounter", "DocumentReference", "Observation", "Procedure",
              "MedicationRequest", "DiagnosticReport", "CodeSystem"):
    plain(_type)


@operation("*", "validate", level="type")
def validate(handler: ResourceHandler, ctx, payload, resource_id=None):
    """Validate a resource (all checks of a create) without storing it."""
    return handler.validate(payload, ctx)


# Modules with rules of their own: they register handlers (replacing the plain ones) and operations.
RULE_MODULES = ("handlers.phenotype", "handlers.patient", "handlers.organization", "handlers.encounter",
                "handlers.documentreference", "handlers.gdpr")
for _module in RULE_MODULES:
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)


class Registry:
    """The handlers of one app, keyed by name, reachable by FHIR name or lowercase route segment."""

    def __init__(self, store: FHIRStore, config: dict[str, Any]):
        self.handlers = {name: cls(store, config, self) for name, cls in HANDLER_CLASSES.items()}
        self._by_segment = {}
        for name, handler in self.handlers.items():
            self._by_segment[name] = handler
            self._by_segment[name.lower()] = handler
        self.stored_types = sorted({h.resource_type for h in self.handlers.values()})
        self.store = store

    def get(self, segment: str) -> ResourceHandler:
        """:raises NotFoundError: no such type here."""
        try:
            return self._by_segment[segment]
        except KeyError:
            raise NotFoundError(f"unknown resource type {segment!r}; this server hosts "
                                f"{', '.join(sorted(self.handlers))}") from None

    def __iter__(self):
        return iter(self.handlers.values())

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
        return created
