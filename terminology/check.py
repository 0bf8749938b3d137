"""The write-time check of coded fields: every Coding whose system is a CodeSystem held here must carry one of its
codes (``CODOC_TERMINOLOGY_CHECK``); Codings of other systems are not checked."""
from __future__ import annotations

from typing import Any, Iterator

from fhirstore import FHIRStore
from fhirstore.errors import Issue
from terminology import concepts

MODES = ("strict", "warn", "off")


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
    found = list(codings(resource, resource.get("resourceType", "")))
    held = concepts.find_codesystems(store, sorted({system for _, system, _ in found})) if found else {}
    issues, known = [], {}
    for where, system, code in found:
        if system not in held or held[system].get("content") in ("example", "fragment"):
            continue  # an example or a fragment does not list every code of its system
        if (system, code) not in known:
            known[system, code] = concepts.lookup(store, held[system], code) is not None
        if not known[system, code]:
            issues.append(Issue("code-invalid", f"{where}: the code {code!r} is not in {system}", expression=where))
    return issues
