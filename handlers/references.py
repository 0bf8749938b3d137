"""Find the local references (``Type/id``) inside a FHIR resource."""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable, Iterator

from schemas import ID_CHARS

LOCAL_REFERENCE = re.compile(f"^([A-Z][A-Za-z]+)/({ID_CHARS})(?:/_history/{ID_CHARS})?$")
RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)[/?]")
#: Longest reference text :func:`split_local` memoises.
MEMO_CHARS = 256


def iter_references(node: Any) -> list[str]:
    """Every ``reference`` string in the resource, depth first (contained resources skipped): the walk of
    :func:`iter_reference_paths` without building the paths (every write runs it)."""
    found: list[str] = []
    _collect_references(node, found)
    return found


def _collect_references(node: Any, found: list[str]) -> None:
    """The walk of :func:`iter_references`; a list's objects are walked from its holder (one call less each)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if key == "reference":
                    found.append(value)
            elif key == "contained":
                continue
            elif isinstance(value, dict):
                _collect_references(value, found)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, (dict, list)):
                        _collect_references(item, found)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                _collect_references(item, found)


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
        local = split_local(reference)
        if local:
            found[local[0]] = None
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


def normalize_reference(reference: str, base_url: str = "") -> str:
    """``Patient/1/_history/2`` → ``Patient/1``; an absolute URL to this server becomes relative."""
    if base_url and reference.startswith(base_url.rstrip("/") + "/"):
        reference = reference[len(base_url.rstrip("/")) + 1:]
    local = split_local(reference)
    return local[0] if local else reference


def split_local(reference: str) -> tuple[str, str] | None:
    """``(Type/id, Type)`` of a relative reference ``Type/id[/_history/v]``; None for any other. Memoised up to
    MEMO_CHARS characters (a pure function of the text): a write reads the same references several times (the
    Phenotypes of a note, dozens), and no long text is kept."""
    return _split_local(reference) if len(reference) <= MEMO_CHARS else _split_local.__wrapped__(reference)


@functools.lru_cache(maxsize=4096)
def _split_local(reference: str) -> tuple[str, str] | None:
    match = LOCAL_REFERENCE.match(reference)
    return (f"{match.group(1)}/{match.group(2)}", match.group(1)) if match else None


def rewrite_references(node: Any, replace: Callable[[str], str], into_contained: bool = False) -> Any:
    """A copy of ``node`` with every ``reference`` string passed through ``replace``."""
    if isinstance(node, dict):
        return {key: (replace(value) if key == "reference" and isinstance(value, str) else
                      value if key == "contained" and not into_contained else
                      rewrite_references(value, replace, into_contained))
                for key, value in node.items()}
    if isinstance(node, list):
        return [rewrite_references(item, replace, into_contained) for item in node]
    return node


def repoint(node: Any, old: str, new: str) -> Any:
    """A copy of ``node`` where every reference to ``old`` (``Type/id``, any version) names ``new`` instead;
    contained resources are left as they are."""
    return rewrite_references(node, lambda reference: new if normalize_reference(reference) == old else reference)
