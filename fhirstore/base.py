"""The store interface. No Flask here: the store raises ``fhirstore.errors`` exceptions, never builds answers."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, ContextManager, Iterable, Iterator, Mapping, Sequence


def now_instant() -> str:
    """The current UTC time as a FHIR instant with milliseconds (sorts lexicographically)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class IndexSpec:
    """An index declared as data: ``keys`` as pymongo (field, direction) pairs."""

    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    partial: Mapping[str, Any] | None = None
    history: bool = False  # on the history collection instead of the current one

    @property
    def name(self) -> str:
        return "_".join(f"{k}_{d}" for k, d in self.keys) + ("_unique" if self.unique else "")


@dataclass
class Page:
    """One page of search results (``total`` -1 when not counted)."""

    resources: list[dict]
    total: int


@dataclass(frozen=True)
class KeyTerm:
    """A search key a resource must hold: this exact key, or (``prefix``) any key starting with it; with
    ``within``, any key starting with ``key`` whose rest contains ``within`` (a filter: it cannot drive a search).
    ``via``: a listed key every holder of this (verified-only) key also holds, which lists its candidates."""

    key: str
    prefix: bool = False
    within: str = ""
    via: str = ""

    @property
    def listed(self) -> "KeyTerm":
        """The term whose SearchKey documents list this one's candidates (itself, unless it has a ``via``)."""
        return KeyTerm(self.via) if self.via else self

    def held_by(self, keys: "set[str] | frozenset[str]") -> bool:
        if self.within:
            return any(k.startswith(self.key) and self.within in k[len(self.key):] for k in keys)
        if not self.prefix:
            return self.key in keys
        return any(k.startswith(self.key) for k in keys)


@dataclass(frozen=True)
class KeyMatch:
    """One search clause served by search keys: the resource holds every term of at least one alternative
    (``negated``: of none of them, a filter on the candidates of another clause)."""

    alternatives: tuple[tuple[KeyTerm, ...], ...]
    negated: bool = False
    #: False: another clause is known to be more selective (a reference's equality): this one only filters
    lead: bool = True

    def matches(self, keys: "set[str] | frozenset[str]") -> bool:
        held = any(all(term.held_by(keys) for term in alternative) for alternative in self.alternatives)
        return held != self.negated

    @property
    def drives(self) -> bool:
        """Its candidates can be listed from the key index: positive, each alternative with a key or range."""
        return self.lead and not self.negated and all(any(not t.within for t in alternative)
                                                      for alternative in self.alternatives)


@dataclass
class Current:
    """The current document of a resource as stored: its version, the served resource (None for a tombstone)."""

    resource: dict | None
    version: str
    document: dict
    marked: bool = False  # a transaction's marker is on the stored document: a writer must settle it first


class Records(ABC):
    """A side collection of plain documents keyed by ``_id`` (enrichment status, API clients): not FHIR resources.

    ``when`` is an extra filter a write applies atomically with it (compare-and-set).
    """

    @abstractmethod
    def get(self, record_id: str) -> dict | None:
        """The record, or None."""

    @abstractmethod
    def find(self, query: Mapping[str, Any], limit: int = 1000) -> list[dict]:
        """Records matching ``query``."""

    @abstractmethod
    def insert(self, record: dict) -> None:
        """:raises ConflictError: the ``_id`` exists."""

    @abstractmethod
    def replace(self, record: dict, when: Mapping[str, Any] | None = None, upsert: bool = False) -> bool:
        """Replace the record of ``record["_id"]`` if it matches ``when``; returns whether it was written."""

    @abstractmethod
    def update(self, record_id: str, changes: Mapping[str, Any], when: Mapping[str, Any] | None = None,
               upsert: bool = False) -> bool:
        """Apply update operators (``$set``, ``$unset``) if the record matches ``when``; returns whether it did."""

    @abstractmethod
    def update_each(self, record_ids: Iterable[str], changes: Mapping[str, Any],
                    when: Mapping[str, Any] | None = None) -> None:
        """:meth:`update` (no upsert) of each record, in one round trip; read them back to learn which matched."""

    @abstractmethod
    def replace_each(self, records: list[dict], when: Mapping[str, Any] | None = None) -> set[str]:
        """:meth:`replace` with upsert of each record, in one round trip; returns the ids written (inserted, or
        matching ``when``)."""

    @abstractmethod
    def delete(self, record_id: str) -> bool:
        """Remove the record; returns whether there was one."""

    @abstractmethod
    def ensure_index(self, field: str) -> str:
        """A single-field index on ``field`` (idempotent); returns its name."""


class FHIRStore(ABC):
    """Create/read/vread/update/delete/history/search of FHIR JSON resources, with server-owned versions.

    ``index_fields`` are helper values for indexing, kept under ``_codoc`` and never served.
    """

    @abstractmethod
    def create(self, resource_type: str, resource: dict, index_fields: dict | None = None,
               guard: Callable[[], None] | None = None) -> dict:
        """Store version 1 of a new resource (its ``id`` is set); :raises ConflictError: id or unique field taken.

        ``guard`` runs once the resource's keys (its references among them) are visible to deletions and before
        the document is written; if it raises, nothing stays written."""

    @abstractmethod
    def read(self, resource_type: str, resource_id: str) -> dict:
        """:raises NotFoundError: never stored. :raises GoneError: deleted."""

    @abstractmethod
    def vread(self, resource_type: str, resource_id: str, version_id: str) -> dict:
        """One version; :raises GoneError: that version is a deletion."""

    @abstractmethod
    def current(self, resource_type: str, resource_id: str) -> Current | None:
        """The current document (live or tombstone), or None; pass it to update/delete to spare a second read."""

    @abstractmethod
    def currents(self, resource_type: str, ids: Iterable[str]) -> dict[str, Current]:
        """The current documents (live or tombstone) of those of ``ids`` that were ever stored: one query."""

    @abstractmethod
    def update(self, resource_type: str, resource: dict, expected_version: str | None = None,
               index_fields: dict | None = None, current: Current | None = None,
               guard: Callable[[], None] | None = None) -> tuple[dict, bool]:
        """Store a new version (or version 1 if unknown: update-as-create); returns (stored, created); ``guard`` as
        for create.

        :raises VersionConflictError: ``expected_version`` is not the current version.
        """

    @abstractmethod
    def delete(self, resource_type: str, resource_id: str, expected_version: str | None = None,
               current: Current | None = None, guard: Callable[[], None] | None = None) -> str | None:
        """Delete (idempotent); returns the deletion's versionId, or None when nothing was live. ``guard`` runs once
        the deletion is visible to writers; if it raises, the resource is put back and the error passes."""

    @abstractmethod
    def history(self, resource_type: str, resource_id: str, count: int | None = None) -> list[dict]:
        """Every version, newest first; a deletion is ``{"deleted": True, "meta": ...}``."""

    @abstractmethod
    def changes(self, resource_types: Iterable[str], since: str | None = None, count: int = 20,
                until: str | None = None) -> list[dict]:
        """The latest ``count`` versions of these types since the instant ``since`` (up to ``until``), newest
        first."""

    @abstractmethod
    def search(self, resource_type: str, query: Mapping[str, Any], sort: Sequence[tuple[str, int]] = (),
               offset: int = 0, limit: int = 20, count_total: bool = True, keys: Sequence[KeyMatch] = ()) -> Page:
        """Live resources matching a MongoDB query over scalar fields and holding the search ``keys``.

        :raises TooCostlyError: the keys match more resources than one request may sort or count.
        """

    @abstractmethod
    def referrers(self, references: Iterable[str], limit: int = 20) -> list[str]:
        """``Type/id`` of live resources (or writes in flight) referencing any of ``references``, at most ``limit``
        per reference."""

    @abstractmethod
    def scan(self, resource_type: str, query: Mapping[str, Any], batch: int = 500) -> Iterator[dict]:
        """Every live resource matching ``query``, in ``_id`` order, fetched ``batch`` at a time (the one pager)."""

    @abstractmethod
    def publish(self, resource_type: str, query: Mapping[str, Any]) -> int:
        """Make pending resources matching ``query`` visible (see ``create_many(pending=True)``)."""

    @abstractmethod
    def records(self, name: str) -> Records:
        """The side collection ``name`` (e.g. ``Client``)."""

    @abstractmethod
    def former_referrers(self, resource_type: str, references: list[str]) -> set[str]:
        """Ids of resources of ``resource_type`` that reference, or referenced until their deletion, one of
        ``references`` (``Type/id``)."""

    @abstractmethod
    def acquire(self, name: str, seconds: float) -> bool:
        """Take the lock ``name`` for at most ``seconds`` (a holder that died loses it then); False when held."""

    @abstractmethod
    def release(self, name: str) -> None:
        """Give the lock back."""

    @abstractmethod
    def claim_holder(self, resource_type: str, key: str) -> str | None:
        """The id of the live resource holding the unique ``key``, or None."""

    @abstractmethod
    def existing_ids(self, resource_type: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are live resources of ``resource_type``."""

    @abstractmethod
    def expunge(self, resource_type: str, resource_id: str) -> int:
        """Erase a resource and all its versions; returns the number of documents removed."""

    @abstractmethod
    def create_many(self, resource_type: str, resources: list[dict], index_fields: list[dict | None],
                    history: bool = True, pending: bool = False) -> list[dict]:
        """Store version 1 of many new server-generated resources in bulk (``history=False``: no history copy;
        ``pending=True``: hidden from reads and searches until :meth:`publish`)."""

    @abstractmethod
    def create_each(self, resource_type: str, resources: list[dict], index_fields: list[dict | None],
                    guard: Callable[[list[int]], dict[int, Exception]] | None = None,
                    pending: bool = False) -> list[dict | Exception]:
        """Store version 1 of many new resources (their ``id`` set) with their claims and keys in bulk; returns,
        in order, the stored resource or the error that kept it out (others are written anyway). ``guard(indexes)``
        runs once their keys are visible, before the documents, and returns the errors of those it refuses."""

    @abstractmethod
    def expunge_many(self, resource_type: str, query: Mapping[str, Any]) -> int:
        """Erase every resource matching ``query`` and all their versions."""

    @abstractmethod
    def reindex(self, resource_type: str, index_fields: Callable[[dict], dict],
                progress: Callable[[int], None] | None = None) -> int:
        """Recompute the helper fields of every live resource, without a new version; returns how many changed."""

    @abstractmethod
    def count(self, resource_type: str) -> int:
        """How many documents the current collection holds (estimate)."""

    @abstractmethod
    def append(self, collection: str, document: dict) -> None:
        """Append a document to an append-only collection (audit trail)."""

    @abstractmethod
    def append_many(self, collection: str, documents: list[dict]) -> None:
        """Append documents to an append-only collection in one write (``_id`` makes a retry idempotent)."""

    @abstractmethod
    def ensure_indexes(self, resource_type: str, specs: Iterable[IndexSpec]) -> list[str]:
        """Create the declared indexes (idempotent); returns their names."""

    def keep_inline(self, resource_type: str, params: Iterable[str], with_system: Iterable[str] = ()) -> None:
        """Hold the search keys of these parameters of ``resource_type`` in the resource's own document when it has
        one key of a form (one document written instead of two; its index made by :meth:`ensure_indexes`).
        ``with_system``: those of them whose keys may name a system (tokens: ``system|code`` has a slot of its own);
        the others' keys holding a ``|`` stay SearchKey documents. Searches find keys of either layout, so a store
        written before this call needs no migration."""

    @abstractmethod
    def atomic(self) -> ContextManager[None]:
        """A context in which this thread's writes form one transaction: all visible at its end, or none if it
        raises — also when the process dies inside it (rolled back, or forward past the commit point, by
        :meth:`recover`). No reader sees a part of it meanwhile; a writer meeting its documents gets a 409."""

    @abstractmethod
    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the enclosing :meth:`atomic` commits (now, outside one; never if it rolls back):
        for effects that cannot be undone, such as erasing what a write superseded."""

    @abstractmethod
    def recover(self) -> int:
        """Settle the transactions of processes that died (expired leases, decided but unsettled ones); returns
        how many. Run at start-up and, throttled, when a transaction begins."""

    @abstractmethod
    def ping(self) -> None:
        """:raises StoreUnavailableError: the database cannot be reached."""
