"""What an import reads: NDJSON files (``.ndjson``, ``.ndjson.gz``: one resource a line, the FHIR Bulk Data format),
Bundle JSON files (transaction, batch, collection: Synthea's output), single-resource JSON files, and folders of them.

NDJSON is read one line at a time, so a file of any size costs the memory of its longest line; a JSON file (a
Bundle) is parsed whole, one file at a time, and handed on one entry at a time.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from fhirstore.errors import FHIRError, InvalidError
from handlers.references import rewrite_references
from schemas import ID_PATTERN, Limits, check_bundle_shape, parse_body

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl")
JSON_SUFFIXES = (".json",)
#: A file is one body: the limits of a request body, but any number of entries.
FILE_LIMITS = Limits(max_array_items=10_000_000, max_bundle_entries=10_000_000)
URN_UUID = re.compile(r"^urn:uuid:([0-9a-fA-F-]{36})$")
#: Types in the order their files are read: the referenced before those referencing them.
TYPE_ORDER = ("CodeSystem", "Organization", "Patient", "Encounter", "Procedure", "MedicationRequest",
              "DocumentReference", "Observation", "DiagnosticReport")
BUNDLE_TYPES = ("transaction", "batch", "collection", "searchset", "history", "document", "message")


@dataclass
class Item:
    """One resource to import and where it came from (``where``: ``("line", 12)`` or ``("entry", 3)``).

    ``resource`` is the parsed JSON, or ``error`` says why it could not be read; ``criteria`` is the search of a
    conditional update (``PUT Patient?identifier=…``); ``skip`` says why an entry is left aside (``DELETE``, ``GET``).
    """

    source: str
    where: tuple[str, int]
    resource: Any = None
    error: FHIRError | None = None
    criteria: str | None = None
    skip: str | None = None


def files_of(paths: list[str]) -> Iterator[Path]:
    """The files to import: each path given, folders walked recursively in name order (other suffixes ignored).

    :raises FileNotFoundError: a path does not exist.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted((p for p in path.rglob("*") if p.is_file() and readable(p)), key=file_order)
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(given)


def file_order(path: Path) -> tuple:
    """Files of a folder, referenced ones first (fewer deferred resources): Synthea's ``hospitalInformation*`` and
    ``practitionerInformation*``, then files named by type (``Patient.ndjson``, ``Patient.001.ndjson``) in the
    order of ``TYPE_ORDER``, then the rest; by name within each."""
    name = path.name
    if name.startswith(("hospitalInformation", "practitionerInformation")):
        return 0, 0, str(path)
    stem = re.split(r"[._-]", name, maxsplit=1)[0]
    rank = TYPE_ORDER.index(stem) if stem in TYPE_ORDER else len(TYPE_ORDER)
    return 1, rank, str(path)


def readable(path: Path) -> bool:
    return path.name.endswith(NDJSON_SUFFIXES + JSON_SUFFIXES)


def is_ndjson(path: Path) -> bool:
    return path.name.endswith(NDJSON_SUFFIXES)


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def count_lines(path: Path) -> int:
    """Lines of an NDJSON file (read in blocks: fast, flat), for the progress bar's total."""
    count, last = 0, b"\n"
    with _open(path) as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def ndjson_items(path: Path) -> Iterator[Item]:
    """One item a non-blank line; a line that is not strict FHIR JSON is an item with its error."""
    with _open(path) as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield Item(str(path), ("line", number), parse_body(line.rstrip(b"\r\n"), FILE_LIMITS))
            except FHIRError as error:
                yield Item(str(path), ("line", number), error=error)


def json_items(path: Path, match: Callable[[str, str], str | None]) -> list[Item]:
    """The items of a JSON file: a Bundle's entries (``urn:uuid:`` references resolved within it) or the one
    resource it holds. ``match(type, criteria)`` is the id of the resource an ``ifNoneExist`` finds, or None."""
    try:
        with _open(path) as stream:
            body = parse_body(stream.read(), FILE_LIMITS)
        if isinstance(body, dict) and body.get("resourceType") == "Bundle":
            check_bundle_shape(body)
    except FHIRError as error:
        return [Item(str(path), ("line", 1), error=error)]
    if not (isinstance(body, dict) and body.get("resourceType") == "Bundle" and body.get("type") in BUNDLE_TYPES):
        return [Item(str(path), ("line", 1), body)]
    return bundle_items(str(path), body.get("entry") or [], match)


def bundle_items(source: str, entries: list[dict], match: Callable[[str, str], str | None]) -> list[Item]:
    """Each entry as an item with its id by the import rule (see ``entry_id``), its ``urn:uuid:`` references
    rewritten to the ``Type/id`` of the entry they name (an entry that ``ifNoneExist`` matches names the match)."""
    items, names = [], {}
    for index, entry in enumerate(entries):
        item = Item(source, ("entry", index), entry.get("resource"))
        request = entry.get("request") or {}
        method = (request.get("method") or "").upper()
        resource = item.resource if isinstance(item.resource, dict) else {}
        resource_type = resource.get("resourceType")
        if method in ("GET", "DELETE", "HEAD", "PATCH"):
            item.skip = f"Bundle entries of method {method}"
        elif not isinstance(item.resource, dict) or not isinstance(resource_type, str):
            item.error = InvalidError("the entry holds no resource", expression=f"Bundle.entry[{index}].resource")
        else:
            url = urlsplit(request.get("url") or "")
            if method == "PUT" and url.query:
                item.criteria = url.query
            resource_id = entry_id(entry, method, url.path)
            found = match(resource_type, request["ifNoneExist"]) \
                if method == "POST" and isinstance(request.get("ifNoneExist"), str) else None
            if found:
                resource_id, item.skip = found, "unchanged"
            if resource_id:
                item.resource = {**item.resource, "id": resource_id}
                if isinstance(entry.get("fullUrl"), str):
                    names[entry["fullUrl"]] = f"{resource_type}/{resource_id}"
        items.append(item)
    if names or any(isinstance(e.get("fullUrl"), str) for e in entries):
        for item in items:
            if isinstance(item.resource, dict) and item.error is None:
                _rewrite(item, names)
    return items


def entry_id(entry: dict, method: str, url_path: str) -> str | None:
    """The id an entry is imported under: a ``PUT``'s ``Type/id``, else the uuid of a ``urn:uuid:`` fullUrl, else
    the resource's own id (None: the importer derives one from the content)."""
    parts = [p for p in url_path.split("/") if p]
    if method == "PUT" and len(parts) == 2:
        return parts[1]
    named = URN_UUID.match(entry.get("fullUrl") or "")
    if named:
        return named.group(1).lower()
    own = entry["resource"].get("id")
    return own if isinstance(own, str) and ID_PATTERN.match(own) else None


def _rewrite(item: Item, names: dict[str, str]) -> None:
    unknown = []

    def replace(reference: str) -> str:
        if reference in names:
            return names[reference]
        if reference.startswith("urn:uuid:"):
            unknown.append(reference)
        return reference

    item.resource = rewrite_references(item.resource, replace, into_contained=True)
    if unknown:
        item.error = InvalidError(f"{unknown[0]} names no entry of this Bundle (urn:uuid: references resolve "
                                  f"within their Bundle)", expression=f"Bundle.entry[{item.where[1]}].resource")
