"""FHIR ``$operations``, one module each; every operation declares what it needs, and the gate reads that.

``func(handler, ctx, payload, resource_id)`` returns a body or ``(body, status)``; the payload of a GET is its query
string as a Parameters resource (``valueString`` each), None without one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from security.scopes import Need

#: ``writes``/``reads`` value meaning every stored type.
EVERY_TYPE = "*"


@dataclass(frozen=True)
class Operation:
    name: str
    on: str  # the handler name it is called on (``Patient``), or ``*`` for every type
    level: str  # "type" | "instance"
    method: str  # "GET" | "POST" | "GET|POST"
    func: Callable
    letters: str  # SMART permission letters it needs (c r u d s) on each type of ``types``
    types: tuple[str, ...] | str = ()  # the types it reads or writes besides its own; EVERY_TYPE for all
    admin: bool = False  # needs the administrator scope too
    or_admin: bool = False  # the administrator scope alone suffices too
    definition: str = ""  # its OperationDefinition's canonical URL, when not the core spec's

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.method.split("|"))

    @property
    def description(self) -> str:
        return (self.func.__doc__ or "").strip().split("\n\n")[0]

    def need(self, own_type: str, stored_types: Iterable[str]) -> Need:
        """What a token must grant to run this operation on ``own_type``."""
        types = sorted(stored_types) if self.types == EVERY_TYPE else sorted({own_type, *self.types})
        return Need(tuple(types), self.letters, self.admin, self.or_admin)
