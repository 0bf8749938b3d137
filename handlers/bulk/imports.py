"""``codoc import``: files of resources written through the handlers, as the API writes them, in batches.

Each resource goes through its handler's own steps (strict validation, hospital rules, search keys, claims,
history, NLP after the write): new ones in bulk by ``create_many``, changed ones by ``update``, unchanged ones not at
all. Ids: a resource keeps its id; a Bundle entry takes its ``PUT`` url's id, else its ``urn:uuid:`` fullUrl's uuid;
a resource with neither gets a uuid derived from its content, so a second run finds it again.

Order: a batch writes the resources that others of the batch reference first. A resource refused for a business rule
(a reference to a resource not there yet, a movement whose stay is in a later file) is deferred: set aside in a
temporary file and retried once every file is read, again while a pass writes something; what still fails is
rejected with the last reason.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl

import orjson

from fhirstore.errors import BusinessRuleError, FHIRError, InvalidError, Issue
from handlers import bundles
from handlers.bulk import sources
from handlers.bulk.sources import Item
from handlers.context import RequestContext, internal
from handlers.references import LOCAL_REFERENCE, RELATIVE, iter_references, normalize_reference, \
    rewrite_references
from schemas.json import json_default, parse_body

#: Resources written per batch (one ``create_many`` per type and depth, one lookup of current versions per type).
BATCH_SIZE = 500
#: The namespace of the ids derived from a resource's content.
CONTENT_IDS = uuid.UUID("6f0b9d3e-2c1a-5e4b-9a7d-3c2f1e0d4b5a")
#: Progress callback factory: ``progress_for(name, total)`` gives ``update(n)`` (or None).
ProgressFor = Callable[[str, int], Callable[[int], Any] | None]


@dataclass
class Summary:
    """What a run did (counts of resources)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    valid: int = 0  # dry run: would be written
    filtered: int = 0  # left out by --type / --since
    deferred: int = 0  # set aside for a later pass (counted once)
    skipped: Counter = field(default_factory=Counter)  # resource type (or entry kind) → count
    by_type: Counter = field(default_factory=Counter)  # resource type → created or updated
    files: int = 0
    seconds: float = 0.0
    rejects_path: str | None = None

    @property
    def loaded(self) -> int:
        return self.created + self.updated

    @property
    def read(self) -> int:
        return self.loaded + self.unchanged + self.rejected + self.valid

    def lines(self, dry_run: bool = False) -> list[str]:
        """The summary as printed at the end of a run (counts only: never patient data)."""
        rate = self.read / self.seconds if self.seconds else 0.0
        head = (f"dry run: {self.valid} valid, {self.unchanged} unchanged, {self.rejected} rejected" if dry_run else
                f"loaded {self.loaded} ({self.created} created, {self.updated} updated), {self.unchanged} unchanged, "
                f"{self.rejected} rejected")
        lines = [f"{head}; {self.files} file(s) in {self.seconds:.1f} s ({rate:.0f} resources/s)"]
        if self.filtered:
            lines.append(f"{self.filtered} left out by --type/--since")
        if self.deferred:
            lines.append(f"{self.deferred} deferred to a later pass (a business rule, such as a reference, retried "
                         f"once every file was read)")
        lines += [f"skipped {count} {kind}: not hosted by this server" if kind[0].isupper() else
                  f"skipped {count} {kind}" for kind, count in sorted(self.skipped.items())]
        if self.rejects_path:
            lines.append(f"rejects (file, line or entry, OperationOutcome): {self.rejects_path}")
        return lines


class Rejects:
    """The rejects NDJSON file, opened at the first reject: where each refused resource was and why."""

    def __init__(self, path: str):
        self.path = path
        self._out = None

    @property
    def opened(self) -> bool:
        return self._out is not None

    def write(self, item: Item, error: FHIRError) -> None:
        if self._out is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._out = open(self.path, "w", encoding="utf-8")
        kind = item.resource.get("resourceType") if isinstance(item.resource, dict) else None
        row = {"file": item.source, item.where[0]: item.where[1], **({"resourceType": kind} if isinstance(kind, str)
                                                                      else {}),
               "status": error.status, "outcome": bundles.operation_outcome([i.as_fhir() for i in error.issues])}
        self._out.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


@dataclass
class _Pending:
    """A resource ready to write: its handler and validated body."""

    item: Item
    handler: Any
    resource: dict
    new: bool = False  # never stored: created in bulk


class Importer:
    """One run of an import into a registry's handlers (see the module's doc for the rules)."""

    def __init__(self, registry, rejects: Rejects, dry_run: bool = False, types: Iterable[str] = (),
                 since: datetime | None = None, progress_for: ProgressFor = lambda name, total: None,
                 batch_size: int = BATCH_SIZE):
        self.registry = registry
        self.rejects = rejects
        self.dry_run = dry_run
        self.types = set(types)
        self.since = since
        self.progress_for = progress_for
        self.batch_size = batch_size
        self.summary = Summary()
        self.hosted = {h.name: h for h in registry if h.name == h.resource_type}
        self._batch: list[Item] = []
        self._keys: set[str] = set()
        self._spool = None
        self._conditional: dict[str, str] = {}
        self._retrying = False

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self, paths: list[str]) -> Summary:
        """Import every file of ``paths``, then retry the deferred; returns the summary.

        :raises FileNotFoundError: a path does not exist (before anything is read).
        """
        started = time.monotonic()
        rejects = Path(self.rejects.path).resolve()
        files = [p for p in sources.files_of(paths) if p.resolve() != rejects]  # a re-run from the same folder
        try:
            for path in files:
                self.summary.files += 1
                self._feed(self._items(path), path.name)
            self._retry_deferred()
        finally:
            self.rejects.close()
            if self._spool is not None:
                self._spool.close()
        self.summary.seconds = time.monotonic() - started
        if self.rejects.opened:
            self.summary.rejects_path = self.rejects.path
        return self.summary

    def _items(self, path: Path) -> tuple[Iterable[Item], int]:
        if sources.is_ndjson(path):
            return sources.ndjson_items(path), sources.count_lines(path)
        items = sources.json_items(path, self._if_none_exist)
        return items, len(items)

    def _feed(self, counted: tuple[Iterable[Item], int], name: str) -> None:
        items, total = counted
        update = self.progress_for(name, total) or (lambda n: None)
        for item in items:
            self._take(item)
            update(1)
        self._flush()

    def _take(self, item: Item) -> None:
        """Sort one item: rejected, skipped, filtered, or into the batch (flushed when full or on a repeated id)."""
        resource = item.resource
        if item.error is not None:
            return self._reject(item, item.error)
        if item.skip == "unchanged":
            self.summary.unchanged += 1
            return
        if item.skip:
            self.summary.skipped[item.skip] += 1
            return
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            return self._reject(item, InvalidError("a line must hold one FHIR resource (a JSON object with a "
                                                   "resourceType)", expression="resourceType"))
        resource_type = resource["resourceType"]
        if resource_type not in self.hosted:
            self.summary.skipped[resource_type] += 1
            return
        if self.types and resource_type not in self.types or self.since and not self._since(resource):
            self.summary.filtered += 1
            return
        if "id" in resource and not isinstance(resource["id"], str):
            return self._reject(item, InvalidError("illegal resource id: ids are 1-64 of [A-Za-z0-9-.]",
                                                   expression=f"{resource_type}.id"))
        if not item.criteria and "id" not in resource:
            item.resource = {**resource, "id": content_id(resource)}
        key = f"{resource_type}/{item.resource.get('id')}"
        if key in self._keys:  # the same resource twice: the later one after the earlier one is written
            self._flush()
        self._keys.add(key)
        self._batch.append(item)
        if len(self._batch) >= self.batch_size:
            self._flush()

    def _since(self, resource: dict) -> bool:
        try:
            return datetime.fromisoformat((resource.get("meta") or {}).get("lastUpdated")) >= self.since
        except (TypeError, ValueError):  # no lastUpdated, or not an instant: not known to be recent
            return False

    # -- one batch ---------------------------------------------------------------------------------------------
    def _flush(self) -> None:
        """One batch: conditional references resolved, unchanged resources counted (before any validation: the
        stored version was validated), the others validated, then written (or, in a dry run, counted)."""
        batch, self._batch, self._keys = self._batch, [], set()
        if not batch:
            return
        ctx = internal()
        resolved: list[_Pending] = []
        for item in batch:
            try:
                resolved.append(_Pending(item, self.hosted[item.resource["resourceType"]],
                                         self._resolve_conditional(item.resource, ctx)))
            except FHIRError as error:
                self._refused(item, error)
        currents = self._currents([p for p in resolved if not p.item.criteria])
        ready: list[_Pending] = []
        for pending in resolved:
            current = currents.get((pending.handler.resource_type, pending.resource.get("id")))
            if current is not None and current.resource is not None \
                    and same_content(current.resource, pending.resource):
                self.summary.unchanged += 1
                continue
            try:
                if not pending.item.criteria:
                    pending.resource = pending.handler._prepare(pending.resource)
                    if self.dry_run:
                        pending.handler.index_fields(pending.resource)
            except FHIRError as error:
                self._refused(pending.item, error)
                continue
            pending.new = current is None and not pending.item.criteria
            ready.append(pending)
        if self.dry_run:
            self.summary.valid += len(ready)
        else:
            self._write(ready, ctx)

    def _currents(self, pending: list[_Pending]) -> dict[tuple[str, str], Any]:
        """The stored current documents of the batch's ids: one query per type."""
        ids: dict[str, list[str]] = {}
        for p in pending:
            ids.setdefault(p.handler.resource_type, []).append(p.resource["id"])
        return {(t, i): current for t, wanted in ids.items()
                for i, current in self.registry.store.currents(t, wanted).items()}

    def _write(self, ready: list[_Pending], ctx: RequestContext) -> None:
        """New ones created in bulk, those referenced by others of the batch first; changed ones (or deleted ones
        written again, or conditional updates) updated one by one."""
        for wave in waves([p for p in ready if p.new]):
            for group in _by_handler(wave):
                handler = group[0].handler
                results = handler.create_many([p.resource for p in group], ctx, prepared=True)
                for pending, result in zip(group, results):
                    if isinstance(result, FHIRError):
                        self._refused(pending.item, result)
                    else:
                        self.summary.created += 1
                        self.summary.by_type[handler.name] += 1
        for pending in ready:
            if not pending.new:
                self._update(pending, ctx)

    def _update(self, pending: _Pending, ctx: RequestContext) -> None:
        handler, resource = pending.handler, pending.resource
        try:
            if pending.item.criteria:
                params = handler._criteria(parse_qsl(pending.item.criteria, keep_blank_values=True))
                found = handler._matches(params, ctx)
                if found is not None and same_content(found, {**resource, "id": found["id"]}):
                    self.summary.unchanged += 1
                    return
                _, created = handler.conditional_update(params, resource, ctx)
            else:
                _, created = handler.update(resource["id"], resource, ctx)
        except FHIRError as error:
            return self._refused(pending.item, error)
        self.summary.by_type[handler.name] += 1
        if created:
            self.summary.created += 1
        else:
            self.summary.updated += 1

    def _resolve_conditional(self, resource: dict, ctx: RequestContext) -> dict:
        """Conditional references to hosted types (``Organization?identifier=…``) replaced by their one match.

        :raises BusinessRuleError: no match (yet). :raises VersionConflictError: several match.
        """
        conditional = [r for r in iter_references(resource) if "?" in r and RELATIVE.match(r)
                       and r.split("?", 1)[0] in self.hosted]
        if not conditional:
            return resource
        for reference in conditional:
            if reference not in self._conditional:
                resource_type, criteria = reference.split("?", 1)
                found = self._if_none_exist(resource_type, criteria, ctx)
                if found is None:
                    raise BusinessRuleError(f"the conditional reference {resource_type}?… matches no resource",
                                            expression=resource["resourceType"])
                self._conditional[reference] = f"{resource_type}/{found}"
        return rewrite_references(resource, lambda r: self._conditional.get(r, r), into_contained=True)

    def _if_none_exist(self, resource_type: str, criteria: str, ctx: RequestContext | None = None) -> str | None:
        """The id of the one live resource ``criteria`` finds, None when none (or the type is not hosted)."""
        handler = self.hosted.get(resource_type)
        if handler is None:
            return None
        found = handler._matches(sorted(parse_qsl(criteria.lstrip("?"), keep_blank_values=True)), ctx or internal())
        return found["id"] if found else None

    # -- refusals and the deferred -----------------------------------------------------------------------------
    def _refused(self, item: Item, error: FHIRError) -> None:
        """A business rule may hold once later resources are written: defer; anything else is a reject."""
        if isinstance(error, BusinessRuleError) and not self.dry_run:
            self._defer(item, error)
        else:
            self._reject(item, error)

    def _reject(self, item: Item, error: FHIRError) -> None:
        self.summary.rejected += 1
        self.rejects.write(item, error)

    def _defer(self, item: Item, error: FHIRError) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+b")  # deleted on close, whatever happens
        self.summary.deferred += not self._retrying
        self._spool.write(orjson.dumps({"source": item.source, "where": item.where, "resource": item.resource,
                                        "criteria": item.criteria, "status": error.status,
                                        "issues": [i.as_fhir() for i in error.issues],
                                        "diagnostics": str(error)}, default=json_default) + b"\n")

    def _retry_deferred(self) -> None:
        """Passes over the deferred while one writes something; then the rest are rejects, with the last reason."""
        pass_number = 0
        while self._spool is not None:
            spool, self._spool, self._retrying = self._spool, None, True
            pass_number += 1
            written = self.summary.created + self.summary.updated + self.summary.unchanged
            self._feed(_respooled(spool), f"deferred (pass {pass_number})")
            spool.close()
            if self._spool is not None and written == self.summary.created + self.summary.updated \
                    + self.summary.unchanged:
                for item, error in _spooled(self._spool):
                    self._reject(item, error)
                self._spool.close()
                self._spool = None


def _spooled(spool) -> Iterator[tuple[Item, FHIRError]]:
    spool.seek(0)
    for line in spool:
        row = parse_body(line, sources.FILE_LIMITS)  # decimals as written, as on the first read
        error = BusinessRuleError(row["diagnostics"])
        error.issues = [_issue(i) for i in row["issues"]]
        yield Item(row["source"], tuple(row["where"]), row["resource"], criteria=row["criteria"]), error


def _respooled(spool) -> tuple[Iterator[Item], int]:
    spool.seek(0)
    total = sum(1 for _ in spool)
    return (item for item, _ in _spooled(spool)), total


def _issue(fhir: dict) -> Issue:
    return Issue(fhir["code"], fhir["diagnostics"], severity=fhir["severity"],
                 expression=(fhir.get("expression") or [None])[0])


# -- helpers -----------------------------------------------------------------------------------------------------
def content_id(resource: dict) -> str:
    """The id of a resource given none: a uuid of its content (the same resource gets the same id on every run)."""
    content = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return str(uuid.uuid5(CONTENT_IDS, orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=json_default)
                          .decode()))


def same_content(stored: dict, incoming: dict) -> bool:
    """The resource as it would be written is the stored one, ``meta.versionId`` and ``meta.lastUpdated`` aside."""
    return _comparable(stored) == _comparable(incoming)


def _comparable(resource: dict) -> bytes:
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    body = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        body["meta"] = meta
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=json_default)


def waves(pending: list[_Pending]) -> list[list[_Pending]]:
    """The new resources in waves: each wave's resources reference none of the later waves' (a cycle is cut)."""
    keys = {f"{p.resource['resourceType']}/{p.resource['id']}": p for p in pending}
    targets = {}
    for key, p in keys.items():
        targets[key] = {normalize_reference(r) for r in iter_references(p.resource)
                        if LOCAL_REFERENCE.match(r)} & keys.keys() - {key}
    result, remaining = [], dict(keys)
    while remaining:
        wave = [k for k in remaining if not targets[k] & remaining.keys()] or list(remaining)
        result.append([remaining.pop(k) for k in wave])
    return result


def _by_handler(wave: list[_Pending]) -> list[list[_Pending]]:
    groups: dict[str, list[_Pending]] = {}
    for pending in wave:
        groups.setdefault(pending.handler.name, []).append(pending)
    return list(groups.values())


def default_rejects_path() -> str:
    """``codoc-import-rejects.ndjson`` in the current directory."""
    return os.path.join(os.getcwd(), "codoc-import-rejects.ndjson")
