"""Find the local references (``Type/id``) inside a FHIR resource."""
from __future__ import annotations

import re
from typing import Any, Iterator

LOCAL_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def iter_references(node: Any) -> Iterator[str]:
    """Every ``reference`` string in the resource, depth first (contained resources skipped)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            elif key != "contained":
                yield from iter_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_references(item)


def local_references(resource: dict) -> list[str]:
    """Distinct relative ``Type/id`` references (version suffix dropped), in order of appearance."""
    found: dict[str, None] = {}
    for reference in iter_references(resource):
        match = LOCAL_REFERENCE.match(reference)
        if match:
            found[f"{match.group(1)}/{match.group(2)}"] = None
    return list(found)
