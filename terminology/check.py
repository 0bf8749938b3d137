"""The write-time check of coded fields: every Coding whose system is a CodeSystem held here must carry one of its
codes (``CODOC_TERMINOLOGY_CHECK``); Codings of other systems are not checked."""
from __future__ import annotations

import time
import weakref
from typing import Any, Iterator

from fhirstore import FHIRStore
from fhirstore.errors import Issue
from terminology import concepts

MODES = ("strict", "warn", "off")
#: Seconds a system found not held here is taken as absent without asking the store again: a CodeSystem written
#: through this process is enforced at once (see :func:`forget_absent`), one written through another within this.
ABSENT_SECONDS = 5.0
ABSENT_MAX = 1024
#: per store: system → until when it is taken as absent
_absent: "weakref.WeakKeyDictionary[FHIRStore, dict[str, float]]" = weakref.WeakKeyDictionary()


def forget_absent() -> None:
    """A CodeSystem was written: every system may be held now."""
    _absent.clear()


def _held_systems(store: FHIRStore, systems: list[str]) -> dict[str, dict]:
    """The CodeSystems held here among ``systems``, without a lookup for those recently found absent."""
    now = time.monotonic()
    absent = _absent.setdefault(store, {})
    unknown = [s for s in systems if absent.get(s, 0.0) <= now]
    held = concepts.find_codesystems(store, unknown) if unknown else {}
    if len(absent) > ABSENT_MAX:
        absent.clear()
    absent.update({s: now + ABSENT_SECONDS for s in unknown if s not in held})
    return held


def codings(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """``(FHIRPath, system, code)`` of every Coding (an object with a string ``system`` and ``code``) in ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and isinstance(node.get("code"), str):
            yield where, node["system"], node["code"]
        for key, value in node.items():
            if key not in ("meta", "contained", "text"):
                yield from codings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from codings(item, f"{where}[{index}]")


def unknown_codes(store: FHIRStore, resource: dict) -> list[Issue]:
    """An issue per Coding of a system held here whose code is not in it (one lookup per distinct code)."""
    return unknown_codes_many(store, [resource])[0]


def unknown_codes_many(store: FHIRStore, resources: list[dict]) -> list[list[Issue]]:
    """:func:`unknown_codes` of each resource, with one CodeSystem search for all and one lookup per distinct code
    (bulk writes)."""
    found = [list(codings(r, r.get("resourceType", ""))) for r in resources]
    systems = sorted({system for each in found for _, system, _ in each})
    held = _held_systems(store, systems) if systems else {}
    known: dict[tuple[str, str], bool] = {}
    return [_unknown(store, each, held, known) for each in found]


def _unknown(store: FHIRStore, found: list[tuple[str, str, str]], held: dict[str, dict],
             known: dict[tuple[str, str], bool]) -> list[Issue]:
    issues = []
    for where, system, code in found:
        if system not in held or held[system].get("content") in ("example", "fragment"):
            continue  # an example or a fragment does not list every code of its system
        if (system, code) not in known:
            known[system, code] = concepts.lookup(store, held[system], code) is not None
        if not known[system, code]:
            issues.append(Issue("code-invalid", f"{where}: the code {code!r} is not in {system}", expression=where))
    return issues
