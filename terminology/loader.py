"""``codoc load-terminology``: ICD-10 and ATC as CodeSystems (``content=not-present``) with their concepts as records.

Idempotent: a system whose CodeSystem already holds this version and count is skipped (``force`` reloads). The
source file is read and checked whole before anything is written; concepts are written first (upserts of the same
records), the CodeSystem last: until it is written the system is not held here, so an interrupted load is never
half-visible and running the command again completes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from fhirstore.errors import GoneError, NotFoundError
from handlers.context import internal
from terminology.concepts import CONCEPT_COLLECTION
from terminology.sources import SOURCES, Source, TerminologyFileError, lexicon_supplement

if TYPE_CHECKING:
    from handlers.registry import Registry

ProgressFor = Callable[[str, int], Callable[[int], None] | None]


@dataclass
class Loaded:
    key: str
    url: str
    version: str
    concepts: int
    skipped: bool  # already loaded with this version and count
    rejected: list[str]  # entries of the file left out (malformed codes)


def codesystem_of(source: Source, version: str, concepts: list[dict]) -> dict:
    """The CodeSystem resource standing for a loaded vocabulary: its concepts are not in it (``not-present``)."""
    measure = ({"code": "kind", "description": "chapter, category or subcategory", "type": "string"}
               if source.key == "icd-10" else {"code": "level", "description": "ATC level 1–5", "type": "integer"})
    return {
        "resourceType": "CodeSystem", "id": source.key, "url": source.url, "version": version, "name": source.name,
        "title": source.title, "status": "active", "publisher": source.publisher,
        "description": f"Loaded by `codoc load-terminology` from {source.file} (edsnlp). The {len(concepts)} "
                       "concepts are not in this resource: look them up with CodeSystem/$lookup and "
                       "CodeSystem/$validate-code.",
        "caseSensitive": False, "hierarchyMeaning": "is-a", "content": "not-present", "count": len(concepts),
        "property": [
            {"code": "parent", "uri": "http://hl7.org/fhir/concept-properties#parent", "type": "code"},
            {"code": "child", "uri": "http://hl7.org/fhir/concept-properties#child", "type": "code"},
            measure,
        ],
    }


def records_of(source: Source, version: str, concepts: list[dict]) -> list[dict]:
    """One record per concept, with its children; :raises TerminologyFileError: a parent that is not a concept."""
    codes = {c["code"] for c in concepts}
    children: dict[str, list[str]] = {}
    for concept in concepts:
        parent = concept.get("parent")
        if parent is not None:
            if parent not in codes:
                raise TerminologyFileError(f"{source.key}: {concept['code']} has the unknown parent {parent}")
            children.setdefault(parent, []).append(concept["code"])
    return [{"_id": f"{source.url}|{source.normalize(c['code'])}", "system": source.url, "version": version,
             "code": c["code"], "display": c.get("display"), "designation": c.get("designation") or [],
             "parent": c.get("parent"), "children": children.get(c["code"], []),
             "properties": c.get("properties") or {}} for c in concepts]


def load(registry: "Registry", keys: list[str] | None = None, folder: Path | None = None, force: bool = False,
         progress_for: ProgressFor = lambda key, total: None) -> list[Loaded]:
    """Load the vocabularies ``keys`` (default all) from ``folder`` (default the edsnlp resources).

    :raises TerminologyFileError: a file is missing or corrupt (nothing of that system written).
    """
    unknown = sorted(set(keys or ()) - set(SOURCES))
    if unknown:
        raise TerminologyFileError(f"unknown vocabulary {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    sources = [SOURCES[k] for k in (keys or SOURCES)]
    read = []
    for source in sources:  # every file checked before any write
        file = source.path(folder)
        if not file.is_file():
            raise TerminologyFileError(f"{file}: no such file")
        version = source.version_of()
        concepts, rejected = source.read(file)
        if source.supplemented:
            concepts += lexicon_supplement(source, concepts)
        read.append((source, version, records_of(source, version, concepts), concepts, rejected))
    handler, records, done = registry.get("CodeSystem"), registry.store.records(CONCEPT_COLLECTION), []
    for source, version, rows, concepts, rejected in read:
        try:
            current = handler.read(source.key, internal())
        except (NotFoundError, GoneError):
            current = None
        if current and not force and current.get("version") == version and current.get("count") == len(rows):
            done.append(Loaded(source.key, source.url, version, len(rows), True, rejected))
            continue
        progress = progress_for(source.key, len(rows))
        for start in range(0, len(rows), 500):
            for row in rows[start:start + 500]:
                records.replace(row, upsert=True)
            if progress:
                progress(len(rows[start:start + 500]))
        keep = {row["_id"] for row in rows}
        while True:  # concepts of an earlier version that this one dropped
            stale = [r["_id"] for r in records.find({"system": source.url, "version": {"$ne": version}}, 1000)
                     if r["_id"] not in keep]
            if not stale:
                break
            for record_id in stale:
                records.delete(record_id)
        handler.update(source.key, codesystem_of(source, version, concepts), internal())
        done.append(Loaded(source.key, source.url, version, len(rows), False, rejected))
    return done
