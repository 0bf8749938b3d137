"""Concepts of the systems held here, wherever they live, and ``$lookup`` / ``$validate-code`` over them.

A CodeSystem held here is a stored CodeSystem resource (found by its ``url``). Its concepts are either

- in the resource (``content`` ``complete``, ``fragment`` …: a local system, its ``concept`` tree), or
- with ``content=not-present`` (the vocabularies of ``codoc load-terminology``), one record per concept in the side
  collection ``Concept_4_3_0``, ``_id`` = ``{system}|{code as keyed}`` (ICD-10 keyed without its dot), holding its
  display, designations, parent, children and properties: a lookup is one read by ``_id``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from config import VERSION_SUFFIX
from fhirstore import FHIRStore
from fhirstore.fields import SEARCH, path
from terminology.sources import normalize

CONCEPT_COLLECTION = f"Concept_{VERSION_SUFFIX}"


@dataclass
class Concept:
    """One concept as ``$lookup`` serves it."""

    code: str
    display: str | None = None
    designation: list[dict] = field(default_factory=list)
    parent: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    properties: dict = field(default_factory=dict)


def record_id(system: str, code: str) -> str:
    return f"{system}|{normalize(system, code)}"


def find_codesystems(store: FHIRStore, urls: list[str]) -> dict[str, dict]:
    """The live CodeSystem of each of ``urls`` held here (the most recently updated when several share a url)."""
    if not urls:
        return {}
    page = store.search("CodeSystem", {path(SEARCH, "url"): {"$in": sorted(set(urls))}},
                        sort=[("meta.lastUpdated", 1)], limit=1000, count_total=False)
    return {resource["url"]: resource for resource in page.resources}


def find_codesystem(store: FHIRStore, url: str, version: str | None = None) -> dict | None:
    """The CodeSystem of ``url`` (of ``version`` if given), or None."""
    if version:
        page = store.search("CodeSystem", {path(SEARCH, "url"): url, "version": version}, limit=1, count_total=False)
        return page.resources[0] if page.resources else None
    return find_codesystems(store, [url]).get(url)


def walk_concepts(concepts: list[dict], parent: str | None = None) -> Iterator[tuple[dict, str | None]]:
    """Every concept of a nested ``concept`` tree with its parent's code."""
    for concept in concepts or ():
        yield concept, parent
        yield from walk_concepts(concept.get("concept") or [], concept.get("code"))


def lookup(store: FHIRStore, codesystem: dict, code: str) -> Concept | None:
    """The concept ``code`` of a CodeSystem held here, or None."""
    if codesystem.get("content") == "not-present":
        record = store.records(CONCEPT_COLLECTION).get(record_id(codesystem["url"], code))
        if record is None:
            return None
        return Concept(record["code"], record.get("display"), record.get("designation") or [],
                       [record["parent"]] if record.get("parent") else [], record.get("children") or [],
                       record.get("properties") or {})
    for concept, parent in walk_concepts(codesystem.get("concept") or []):
        if concept.get("code") == code:
            properties = {}
            for prop in concept.get("property") or []:
                value = next((v for k, v in prop.items() if k.startswith("value")), None)
                properties[prop.get("code")] = value
            return Concept(code, concept.get("display"), concept.get("designation") or [],
                           [parent] if parent else [], [c.get("code") for c in concept.get("concept") or []],
                           properties)
    return None


def lookup_parameters(codesystem: dict, concept: Concept) -> dict:
    """The ``$lookup`` answer: a Parameters resource."""
    parameters = [{"name": "name", "valueString": codesystem.get("name") or codesystem.get("title") or
                   codesystem["url"]}]
    if codesystem.get("version"):
        parameters.append({"name": "version", "valueString": codesystem["version"]})
    parameters.append({"name": "code", "valueCode": concept.code})
    if concept.display:
        parameters.append({"name": "display", "valueString": concept.display})
    for designation in concept.designation:
        part = [{"name": "language", "valueCode": designation["language"]}] if designation.get("language") else []
        if designation.get("use"):
            part.append({"name": "use", "valueCoding": designation["use"]})
        part.append({"name": "value", "valueString": designation["value"]})
        parameters.append({"name": "designation", "part": part})
    for relation, codes in (("parent", concept.parent), ("child", concept.children)):
        for code in codes:
            parameters.append({"name": "property", "part": [{"name": "code", "valueCode": relation},
                                                            {"name": "value", "valueCode": code}]})
    for name, value in concept.properties.items():
        if value is None:
            continue
        typed = ("valueBoolean" if isinstance(value, bool) else "valueInteger" if isinstance(value, int)
                 else "valueCoding" if isinstance(value, dict) else "valueString")
        parameters.append({"name": "property", "part": [{"name": "code", "valueCode": name},
                                                        {"name": "value", typed: value}]})
    return {"resourceType": "Parameters", "parameter": parameters}


def display_matches(concept: Concept, display: str) -> bool:
    """``display`` is the concept's display or one of its designations (case and spaces aside)."""
    wanted = " ".join(display.split()).casefold()
    names = [concept.display or ""] + [d.get("value") or "" for d in concept.designation]
    return any(" ".join(name.split()).casefold() == wanted for name in names)


def validate_code(store: FHIRStore, codesystem: dict, code: str, display: str | None = None) -> dict:
    """The ``$validate-code`` answer: ``result`` (false for an unknown code, not an error), ``message``, ``display``."""
    concept = lookup(store, codesystem, code)
    url = codesystem["url"]
    if concept is None:
        return _result(False, f"the code {code!r} is not in {url}"
                              + (f" (version {codesystem['version']})" if codesystem.get("version") else ""))
    if display is not None and not display_matches(concept, display):
        return _result(False, f"the display {display!r} is not a display of {url}|{concept.code}"
                              f" (expected {concept.display!r})", concept.display)
    return _result(True, None, concept.display)


def _result(result: bool, message: str | None, display: str | None = None) -> dict:
    parameters = [{"name": "result", "valueBoolean": result}]
    if message:
        parameters.append({"name": "message", "valueString": message})
    if display:
        parameters.append({"name": "display", "valueString": display})
    return {"resourceType": "Parameters", "parameter": parameters}
