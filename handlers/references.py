"""Find the local references (``Type/id``) inside a FHIR resource."""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

LOCAL_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)[/?]")


def iter_references(node: Any) -> Iterator[str]:
    """Every ``reference`` string in the resource, depth first (contained resources skipped)."""
    for reference, _ in iter_reference_paths(node):
        yield reference


def iter_reference_paths(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(reference, FHIRPath below the resource)`` of every ``reference`` string, contained resources skipped."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value, path
            elif key != "contained":
                yield from iter_reference_paths(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_reference_paths(item, f"{path}[{index}]")


def local_references(resource: dict) -> list[str]:
    """Distinct relative ``Type/id`` references (version suffix dropped), in order of appearance."""
    found: dict[str, None] = {}
    for reference in iter_references(resource):
        match = LOCAL_REFERENCE.match(reference)
        if match:
            found[f"{match.group(1)}/{match.group(2)}"] = None
    return list(found)


def dangling_candidates(resource: dict, hosted_types: Iterable[str]) -> list[tuple[str, str]]:
    """``(Type/id, path)`` of the relative references to hosted types, which must resolve here.

    A relative reference to a hosted type that is not ``Type/id`` (an illegal id, a conditional ``Patient?…``)
    can never resolve, so it is returned as it is written. Absolute URLs, ``urn:``, contained (``#…``)
    references and references to types this server does not host are not candidates.
    """
    hosted = set(hosted_types)
    candidates = []
    for reference, path in iter_reference_paths(resource):
        match = LOCAL_REFERENCE.match(reference)
        if match and match.group(1) in hosted:
            candidates.append((f"{match.group(1)}/{match.group(2)}", path))
        elif not match:
            relative = RELATIVE.match(reference)
            if relative and relative.group(1) in hosted:
                candidates.append((reference, path))
    return candidates


def repoint(node: Any, old: str, new: str) -> Any:
    """A copy of ``node`` where every reference to ``old`` (``Type/id``, any version) names ``new`` instead."""
    if isinstance(node, dict):
        copy = {}
        for key, value in node.items():
            if key == "reference" and isinstance(value, str) and _refers_to(value, old):
                copy[key] = new
            elif key == "contained":
                copy[key] = value
            else:
                copy[key] = repoint(value, old, new)
        return copy
    if isinstance(node, list):
        return [repoint(item, old, new) for item in node]
    return node


def _refers_to(reference: str, target: str) -> bool:
    match = LOCAL_REFERENCE.match(reference)
    return bool(match) and f"{match.group(1)}/{match.group(2)}" == target
