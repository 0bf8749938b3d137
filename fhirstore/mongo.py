"""The pymongo implementation of the store: one code path for MongoDB, nx-27017 and mongomock."""
from __future__ import annotations

import heapq
import itertools
import logging
import time
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import pymongo
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, ClientBulkWriteException, DuplicateKeyError, InvalidOperation, \
    OperationFailure, PyMongoError
from pymongo.write_concern import WriteConcern

from config import FHIR_VERSION
from fhirstore.base import Current, FHIRStore, IndexSpec, KeyMatch, KeyTerm, Page, Records, now_instant
from fhirstore.errors import (ConflictError, GoneError, NotFoundError, PayloadTooLargeError, StoreUnavailableError,
                              TooCostlyError, VersionConflictError)
from fhirstore.fields import (CHECKS, DELETED, INLINE, INTERNAL, KEYS, LAST, NEXT, NUMBERS, PENDING, REFS,
                              RESOURCE_ID, SEARCH, TXN, UNIQUE, VERSION, path)
from fhirstore.journal import ABORTED, ACTIVE, COMMITTED, OPEN, Journal, OpenTransaction
from fhirstore.numbers import decode_numbers, encode_numbers

log = logging.getLogger(__name__)

MAX_WRITE_ATTEMPTS = 20
#: A claim of a unique key younger than this may belong to a write in flight: it is never taken over. A write
#: slower than half of it confirms its claims after writing (and undoes itself if one was taken over), so that a
#: claim left by a write that died blocks its client's retry for this long at most.
CLAIM_LEASE_SECONDS = 2.0
#: A reference key younger than this whose owner is not written yet pins its target against deletion.
REFERENCE_PIN_SECONDS = 30.0
#: Separates a key from its owner in a search key's ``_id``.
SEPARATOR = "\x1f"
#: Starts the ordered field ``o`` of a dead search key: outside every live key's range.
DEAD_ORDER = "~"
#: A prefix search merges the owners of each distinct key it covers, in id order, while they are at most this many;
#: beyond, it sorts every holder of the range (O(matches), as for a one-letter prefix).
MAX_PREFIX_KEYS = 8
#: Ends the inline slot of a parameter's keys that have a system part (``code|system|E11``; ``code|E11``: no end).
SYSTEM_SLOT = "_s"
#: Prefixes in the search key collection: references (global), claims of unique keys.
REFERENCE_KEY, CLAIM_KEY = "@|", "!"
#: Candidates fetched per round trip while a keyed search pages through its keys.
KEY_BATCH = 200
#: Most matches a keyed search sorts (other than by id) or counts before answering 422 / leaving total out.
MAX_SORTED, MAX_COUNTED = 10_000, 10_000
RANGE_OPERATORS = {"$gt", "$gte", "$lt", "$lte"}
#: The ``_codoc`` fields a reindex computes afresh (the others — claims, markers, enrichment run — are kept).
COMPUTED = (KEYS, CHECKS, INLINE, SEARCH, REFS)
LIVE = {path(DELETED): {"$exists": False}, path(PENDING): {"$exists": False}}
UNMARKED = {path(TXN): {"$exists": False}}
#: Seconds between two sweeps of dead transactions by one process; how long settled journal entries stay.
SWEEP_EVERY, JOURNAL_RETENTION = 10.0, 3600.0


def connect(uri: str, database: str, write_concern: str = ""):
    """A pymongo (or mongomock, for ``mongomock://``) database handle."""
    if uri.startswith("mongomock://"):
        import mongomock

        return mongomock.MongoClient()[database]
    # a store that is down fails a request in ~1.5 s (not 2 × 5 s); one that hangs, after the socket timeout
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=1500, connectTimeoutMS=1000, socketTimeoutMS=10_000,
                                 tz_aware=False)
    db = client[database]
    if write_concern:
        level = int(write_concern) if write_concern.isascii() and write_concern.isdigit() else write_concern
        db = db.with_options(write_concern=WriteConcern(w=level))
    return db


def served(document: dict) -> dict:
    """The FHIR JSON of a stored document: without ``_id`` and internal helper fields, decimals as written."""
    resource = {k: v for k, v in document.items() if k != "_id" and k != INTERNAL}
    numbers = (document.get(INTERNAL) or {}).get(NUMBERS)
    return decode_numbers(resource, numbers) if numbers else resource


def _with_numbers(stored: dict, internal: dict | None) -> tuple[dict, dict | None]:
    """BSON cannot hold every JSON decimal (float64 and Decimal128 lose digits): keep those as text, listed."""
    body, numbers = encode_numbers(stored)
    return (body, {**(internal or {}), NUMBERS: numbers}) if numbers else (stored, internal)


class MongoFHIRStore(FHIRStore):
    """Current versions in ``{Type}_{version}``, former versions in ``{Type}_{version}_History``, search keys and
    unique-key claims in ``SearchKey_{version}``.

    A write replaces the current document only if its ``meta.versionId`` is still the one read (optimistic locking
    in the filter, never read-then-write). Its search keys and claims are written first, in one bulk write (claims
    first, so a duplicate IPP stops it), tagged with the version that wrote them (``v``): keys a version dropped are
    removed only if no later version wrote them again. Searches re-check every candidate against the keys its
    current document holds, so a key left by a write in flight never yields a stale match. The first version has no
    history copy: a version is copied to history when a later one replaces it (a deletion keeps it inside the
    tombstone until the id is written again).
    """

    def __init__(self, db, fhir_version: str = FHIR_VERSION, transaction_lease: float = 30.0):
        self.db = db
        self.suffix = fhir_version.replace(".", "_")
        self.keys = db[f"SearchKey_{self.suffix}"]
        self.journal = Journal(db[f"Transaction_{self.suffix}"], transaction_lease)
        self._swept_at = 0.0
        self._collections: dict[str, Any] = {}
        self._sequential = type(db).__module__.startswith("mongomock")  # mongomock's bulk_write lags pymongo's
        #: whether the server takes a client-level ``bulkWrite`` (MongoDB 8.0+, nx-27017): None until first asked
        self._client_bulk: bool | None = False if self._sequential else None
        #: whether a ``count`` may carry its limit: nx-27017 applies one by loading every match, where it counts
        #: ranges of an indexed field inside the index without one (other conditions read each match either way, so
        #: they keep it: bounded work); None until first asked
        self._count_limit: bool | None = None
        #: resource type → the keyed parameters whose single key of a form is held in the document (keep_inline) →
        #: their slots: the bare keys', then, for a parameter whose keys may name a system, theirs (``<param>_s``)
        self._inline: dict[str, dict[str, tuple[str, ...]]] = {}

    # -- collections -------------------------------------------------------------------------------------------
    def collection(self, resource_type: str):
        return self._named(f"{resource_type}_{self.suffix}")

    def history_collection(self, resource_type: str):
        return self._named(f"{resource_type}_{self.suffix}_History")

    def _named(self, name: str):
        """The collection object of ``name``, made once (pymongo builds a new one per ``db[name]``)."""
        found = self._collections.get(name)
        if found is None:
            found = self._collections.setdefault(name, self.db[name])
        return found

    # -- writes ------------------------------------------------------------------------------------------------
    def create(self, resource_type: str, resource: dict, index_fields: dict | None = None,
               guard: Callable[[], None] | None = None) -> dict:
        stored = self._versioned(resource, "1")
        internal = {**self._internal(resource_type, index_fields, stored["id"]),
                    **self._mark(resource_type, [stored["id"]])}
        owner = f"{resource_type}/{stored['id']}"
        claimed_at = time.monotonic()
        with _store_errors():
            if guard is None and self._write_together(resource_type, owner, internal, stored):
                self._confirm_claims(resource_type, owner, internal.get(UNIQUE, ()), claimed_at, "1")
                return stored
            self._insert_keys(resource_type, owner, internal.get(UNIQUE, ()), internal.get(KEYS, ()))
            if guard is not None:
                try:
                    guard()
                except Exception:
                    self._forget_owners([owner])
                    raise
            try:
                self.collection(resource_type).insert_one(self._document(stored, internal))
            except DuplicateKeyError:  # keys stay: the writer that won owns the same ones, a retry reconciles
                error = ConflictError(f"{resource_type}/{stored['id']} already exists")
                error.field = "_id"
                raise error from None
            self._confirm_claims(resource_type, owner, internal.get(UNIQUE, ()), claimed_at, "1")
        return stored

    def _write_together(self, resource_type: str, owner: str, internal: dict, stored: dict) -> bool:
        """A new resource's claims, keys and document in one client-level ``bulkWrite``, in that order: a claim held
        by another stops it before anything else is written. False when the server has no such command or any
        write failed — the caller then takes the step-by-step path, which settles claims and skips (as duplicates)
        what this one already wrote."""
        keys = self.keys.full_name
        models = [InsertOne(d, namespace=keys)
                  for d in self._new_key_documents(owner, internal.get(UNIQUE, ()), internal.get(KEYS, ()))]
        models.append(InsertOne(self._document(stored, internal), namespace=self.collection(resource_type).full_name))
        try:
            return self._client_bulk_write(models) is not None
        except ClientBulkWriteException:
            return False

    def _client_bulk_write(self, models: list, verbose: bool = False):
        """``models`` (each naming its collection) in one ordered client-level ``bulkWrite``; None when the server
        has no such command (then never tried again). :raises ClientBulkWriteException: a write failed (those
        before it were made, none after)."""
        if self._client_bulk is False:
            return None
        try:
            result = self.db.client.bulk_write(models, ordered=True, verbose_results=verbose,
                                               write_concern=self.db.write_concern)
        except (InvalidOperation, OperationFailure) as exc:
            if self._client_bulk is not None:
                raise
            log.info("no client-level bulkWrite on this server (%s): one command per collection",
                     type(exc).__name__)
            self._client_bulk = False
            return None
        self._client_bulk = True
        return result

    def create_many(self, resource_type: str, resources: list[dict], index_fields: list[dict | None],
                    history: bool = True, pending: bool = False) -> list[dict]:
        """Store version 1 of many new server-generated resources (Phenotypes) in bulk, all or an error.

        ``history`` is kept for the interface: a first version never has a history copy. ``pending=True`` hides
        them until :meth:`publish`.
        """
        stored = self.create_each(resource_type, resources, index_fields, pending=pending)
        failed = next((r for r in stored if isinstance(r, Exception)), None)
        if failed is not None:
            raise failed
        return stored

    def create_each(self, resource_type: str, resources: list[dict], index_fields: list[dict | None],
                    guard: Callable[[list[int]], dict[int, Exception]] | None = None,
                    pending: bool = False) -> list[dict | Exception]:
        """Claims and keys of all in one unordered insert, then the documents of those whose claims held in
        another: two round trips for a batch, whatever its size (plus one per claim to settle)."""
        stored = [self._versioned(r, "1") for r in resources]
        marker = {PENDING: True} if pending else {}
        with _store_errors():
            marker.update(self._mark(resource_type, [s["id"] for s in stored]))
        internals = [{**self._internal(resource_type, f, s["id"]), **marker} for f, s in zip(index_fields, stored)]
        owners = [f"{resource_type}/{s['id']}" for s in stored]
        documents, whose = [], []
        for n, (owner, internal) in enumerate(zip(owners, internals)):
            for claim in internal.get(UNIQUE, ()):
                documents.append(self._claim_document(claim, owner))
                whose.append(n)
            for key in internal.get(KEYS, ()):
                documents.append(self._key_document(key, owner, 1))
                whose.append(n)
        results: list[dict | Exception] = list(stored)
        with _store_errors():
            refused = self._insert_unordered(documents)
            for index in refused:
                n, claim = whose[index], documents[index]
                if not claim.get("claim") or isinstance(results[n], Exception):
                    continue
                try:
                    self._settle_claim(resource_type, claim["_id"], owners[n], 1, [])
                except ConflictError as error:
                    results[n] = error
            if guard is not None:
                for n, error in guard([n for n, r in enumerate(results) if not isinstance(r, Exception)]).items():
                    results[n] = error
            failed = [owners[n] for n, r in enumerate(results) if isinstance(r, Exception)]
            if failed:  # what the refused ones wrote: their own keys and claims only
                self._forget_owners(failed)
            written = [self._document(s, internal) for s, internal, r in zip(stored, internals, results)
                       if not isinstance(r, Exception)]
            if written:
                self.collection(resource_type).insert_many(written, ordered=False)
        return results

    def _insert_unordered(self, documents: list[dict]) -> list[int]:
        """Insert all; returns the indexes refused as duplicates."""
        if not documents:
            return []
        try:
            self.keys.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if any(e.get("code") != 11000 for e in errors):
                raise
            return sorted(e["index"] for e in errors)
        return []

    def current(self, resource_type: str, resource_id: str) -> Current | None:
        with _store_errors():
            document = self.collection(resource_type).find_one({"_id": resource_id})
            return _current(self._resolved(document), marked=_marker(document) is not None)

    def _writable(self, resource_type: str, resource_id: str) -> Current | None:
        """The current document as stored, for a write: another transaction's marker on it is settled first.

        :raises ConflictError: a transaction in progress holds it (or this one wrote it already).
        """
        for _ in range(MAX_WRITE_ATTEMPTS):
            document = self.collection(resource_type).find_one({"_id": resource_id})
            txn = _marker(document)
            if txn is None:
                return _current(document)
            active = ACTIVE.get()
            own = active is not None and active.id == txn
            state = OPEN if own else self.journal.state(txn)
            if state == OPEN:
                raise ConflictError(f"{resource_type}/{resource_id} is being written by {'this' if own else 'another'} "
                                    f"transaction; retry when it ends")
            self._settle(resource_type, [document], state == COMMITTED)
        raise _too_often(f"{resource_type}/{resource_id}", None)

    def currents(self, resource_type: str, ids: Iterable[str]) -> dict[str, Current]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        with _store_errors():  # ``$in`` on ``_id`` is served by the primary index, nx-27017 included
            found = {d["_id"]: _current(self._resolved(d), marked=_marker(d) is not None)
                     for d in self.collection(resource_type).find({"_id": {"$in": wanted}})}
        return {i: c for i, c in found.items() if c is not None}

    def update(self, resource_type: str, resource: dict, expected_version: str | None = None,
               index_fields: dict | None = None, current: Current | None = None,
               guard: Callable[[], None] | None = None) -> tuple[dict, bool]:
        """Inside :meth:`atomic` the new version waits beside the current one (``_codoc.next``) and the keys it
        drops stay alive until the commit; otherwise it replaces it."""
        resource_id = resource["id"]
        owner = f"{resource_type}/{resource_id}"
        fresh = self._internal(resource_type, index_fields, resource_id)
        new_claims = set(fresh.get(UNIQUE, ()))
        collection = self.collection(resource_type)
        with _store_errors():
            for attempt in range(MAX_WRITE_ATTEMPTS):
                if attempt or current is None or current.marked or current.document.get("_id") != resource_id:
                    current = self._writable(resource_type, resource_id)
                if current is None:
                    if expected_version is not None:
                        raise VersionConflictError(f"{resource_type}/{resource_id} does not exist; "
                                                   f"If-Match names version {expected_version}")
                    try:
                        return self.create(resource_type, resource, index_fields, guard), True
                    except ConflictError as exc:
                        if getattr(exc, "field", None) == "_id":
                            continue  # another writer created it first: update on top of it
                        raise
                version = current.version
                if expected_version is not None and expected_version != version:
                    raise VersionConflictError(f"{resource_type}/{resource_id} is at version {version}, "
                                               f"not {expected_version}")
                new_version = int(version) + 1
                stored = self._versioned(resource, str(new_version))
                marker = self._mark(resource_type, [resource_id])
                old = current.document.get(INTERNAL) or {}
                old_keys = set() if old.get(DELETED) else set(old.get(KEYS) or ())
                old_claims = set() if old.get(DELETED) else set(old.get(UNIQUE) or ())
                internal = _kept_in_place(fresh, old_keys)
                new_keys = set(internal.get(KEYS, ()))
                added = new_keys if attempt else new_keys - old_keys
                claimed_at = time.monotonic()
                self._write_keys(resource_type, owner, new_version, sorted(new_claims - old_claims), added,
                                 () if marker else old_keys - new_keys)
                if guard is not None:
                    try:
                        guard()
                    except Exception:
                        self._repair_keys(resource_type, resource_id)
                        self._execute([self._kill_key(k, owner, new_version, only=True) for k in added - old_keys])
                        self._release(owner, new_claims - old_claims)
                        raise
                written = {"_id": resource_id, "meta.versionId": version, **UNMARKED}
                if marker:
                    self._keep_former(resource_type, current)
                    matched = collection.update_one(written, {"$set": {path(TXN): marker[TXN],
                                                                       path(NEXT): self._next(stored, internal)}}
                                                    ).matched_count
                else:
                    matched = self._replace_keeping_former(resource_type, current, written,
                                                           self._document(stored, internal))
                if matched == 1:
                    if not marker:
                        self._release(owner, old_claims - new_claims)
                    self._confirm_claims(resource_type, owner, new_claims - old_claims, claimed_at, str(new_version),
                                         current.document, undo=not marker)  # a transaction undoes itself
                    return stored, False
                if expected_version is not None:
                    self._repair_keys(resource_type, resource_id)
                    raise VersionConflictError(f"{resource_type}/{resource_id} changed during the update")
            raise _too_often(f"{resource_type}/{resource_id}", expected_version)

    def delete(self, resource_type: str, resource_id: str, expected_version: str | None = None,
               current: Current | None = None, guard: Callable[[], None] | None = None) -> str | None:
        """The tombstone first, then ``guard`` (e.g. no referrer), then the keys die: a write that checked the
        target before the tombstone wrote its reference key before, so the guard sees it; one that checks after
        finds the target deleted. A refusing guard puts the current document back as it was. Inside
        :meth:`atomic` the tombstone waits in ``_codoc.next`` and the keys die at the commit."""
        collection = self.collection(resource_type)
        owner = f"{resource_type}/{resource_id}"
        with _store_errors():
            for attempt in range(MAX_WRITE_ATTEMPTS):
                if attempt or current is None or current.marked or current.document.get("_id") != resource_id:
                    current = self._writable(resource_type, resource_id)
                if current is None or current.resource is None:
                    return None
                version = current.version
                if expected_version is not None and expected_version != version:
                    raise VersionConflictError(f"{resource_type}/{resource_id} is at version {version}, "
                                               f"not {expected_version}")
                tombstone = {"id": resource_id, "meta": {"versionId": str(int(version) + 1),
                                                         "lastUpdated": now_instant()}}
                last = self._history_document(current.resource, current.document.get(INTERNAL))
                dead = {"_id": resource_id, **tombstone, INTERNAL: {DELETED: True, LAST: last}}
                marker = self._mark(resource_type, [resource_id])
                written = {"_id": resource_id, "meta.versionId": version, **UNMARKED}
                if marker:
                    result = collection.update_one(written, {"$set": {path(TXN): marker[TXN],
                                                                      path(NEXT): _without_id(dead)}})
                else:
                    result = collection.replace_one(written, dead)
                if result.matched_count == 1:
                    if guard is not None:
                        try:
                            guard()
                        except Exception:
                            if marker:
                                collection.update_one({"_id": resource_id, path(TXN): marker[TXN]},
                                                      {"$unset": {path(TXN): "", path(NEXT): ""}})
                            else:
                                collection.replace_one({"_id": resource_id, "meta.versionId": tombstone["meta"][
                                    "versionId"]}, current.document)
                            raise
                    if not marker:
                        self._execute(self._deletion_kills(owner, current.document.get(INTERNAL) or {},
                                                           int(version)))
                    return tombstone["meta"]["versionId"]
            raise _too_often(f"{resource_type}/{resource_id}", expected_version)

    @classmethod
    def _deletion_kills(cls, owner: str, old: dict, version: int) -> list:
        """The deleted version's keys and claims marked dead, unless a later version wrote them (its keys are known:
        no multi-document filter)."""
        return [*(cls._kill_key(k, owner, version + 1) for k in old.get(KEYS) or ()),
                *(UpdateOne({"_id": claim, "v": {"$lte": version}}, {"$set": {"dead": True}})
                  for claim in old.get(UNIQUE) or ())]

    # -- transactions (see fhirstore/journal.py) -----------------------------------------------------------------
    @contextmanager
    def atomic(self):
        if ACTIVE.get() is not None:  # nested: part of the enclosing transaction
            yield
            return
        with _store_errors():
            if time.time() - self._swept_at > SWEEP_EVERY:
                self.recover()
            txn = self.journal.begin()
        token = ACTIVE.set(txn)
        try:
            yield
        except BaseException:
            ACTIVE.reset(token)
            self._end(txn, ABORTED)
            raise
        ACTIVE.reset(token)
        if not self._end(txn, COMMITTED):
            raise ConflictError("the transaction outlived its lease and was rolled back; retry")
        for action in txn.after:
            try:
                action()
            except Exception:
                log.exception("an action after the commit of transaction %s failed", txn.id)

    def after_commit(self, action: Callable[[], None]) -> None:
        txn = ACTIVE.get()
        if txn is None:
            action()
        else:
            txn.after.append(action)

    def _end(self, txn: OpenTransaction, state: str) -> bool:
        """Decide ``txn`` and settle what it marked; a failure here is left to :meth:`recover` (the markers stay,
        readers already see the decided state). True if ``state`` was reached."""
        with _store_errors():
            decided = self.journal.decide(txn.id, state)
            committed = self.journal.state(txn.id) == COMMITTED
        try:
            with _store_errors():
                by_type: dict[str, list[str]] = {}
                for resource_type, resource_id in dict.fromkeys(txn.marked):  # a retried write marks twice
                    by_type.setdefault(resource_type, []).append(resource_id)
                for resource_type, ids in by_type.items():
                    for start in range(0, len(ids), KEY_BATCH):
                        documents = list(self.collection(resource_type).find(
                            {"_id": {"$in": ids[start:start + KEY_BATCH]}}))
                        self._settle(resource_type, [d for d in documents if _marker(d) == txn.id], committed)
                self.journal.settled(txn.id, COMMITTED if committed else ABORTED)
        except Exception:  # decided: readers already see the outcome
            log.exception("transaction %s decided but not settled; the next sweep settles it", txn.id)
        return decided

    def recover(self) -> int:
        self._swept_at = time.time()
        settled = 0
        with _store_errors():
            for record in self.journal.unsettled():
                committed = record["state"] == COMMITTED
                for resource_type in record.get("types") or ():
                    documents = list(self.collection(resource_type).find({path(TXN): record["_id"]}))
                    self._settle(resource_type, documents, committed)
                self.journal.settled(record["_id"], record["state"])
                log.warning("transaction %s settled after its process stopped: %s", record["_id"],
                            "rolled forward" if committed else "rolled back")
                settled += 1
            self.journal.forget_settled(JOURNAL_RETENTION)
        return settled

    def _mark(self, resource_type: str, resource_ids: list[str]) -> dict:
        """Inside :meth:`atomic`: record the write (and the collection, for recovery) and return the marker."""
        txn = ACTIVE.get()
        if txn is None:
            return {}
        if not self.journal.touch(txn, resource_type):
            raise ConflictError("the transaction outlived its lease and was rolled back; retry")
        txn.marked.extend((resource_type, i) for i in resource_ids)
        return {TXN: txn.id}

    def _possible(self, document: dict) -> list[dict]:
        """The ``_codoc`` of each version a document may serve: the current one, and the one a transaction not
        (yet) aborted writes — for claims and referrers, which must hold for both until it ends."""
        internal = document.get(INTERNAL) or {}
        txn = internal.get(TXN)
        if txn is None:
            return [internal]
        state = self.journal.state(txn)
        following = internal.get(NEXT)
        if state == ABORTED:
            return [] if following is None else [internal]
        if following is None:
            return [internal]
        return [following.get(INTERNAL) or {}] if state == COMMITTED else [internal, following.get(INTERNAL) or {}]

    def _next(self, stored: dict, internal: dict | None) -> dict:
        return _without_id(self._document(stored, internal))

    def _resolved(self, document: dict | None) -> dict | None:
        """The version of a stored document a reader sees: a transaction's write only once it committed."""
        txn = _marker(document)
        if txn is None:
            return document
        following = document[INTERNAL].get(NEXT)
        if self.journal.state(txn) == COMMITTED:
            return {"_id": document["_id"], **following} if following is not None else _unmarked(document)
        return None if following is None else _unmarked(document)

    def _settle(self, resource_type: str, documents: list[dict], commit: bool) -> None:
        """Roll marked documents forward (the new version replaces the old; the keys and claims it dropped die)
        or back (the marker goes; a creation is erased; the keys and claims it added die). Idempotent."""
        collection = self.collection(resource_type)
        writes, key_operations, forget, released = [], [], [], []
        for document in documents:
            internal = document.get(INTERNAL) or {}
            following, owner = internal.get(NEXT), f"{resource_type}/{document['_id']}"
            marker = {"_id": document["_id"], path(TXN): internal.get(TXN)}
            if following is None:  # a creation
                writes.append(UpdateOne(marker, {"$unset": {path(TXN): ""}}) if commit else DeleteOne(marker))
                if not commit:
                    forget.append(owner)
                continue
            new, old = following.get(INTERNAL) or {}, internal
            old_version, new_version = int(document["meta"]["versionId"]), int(following["meta"]["versionId"])
            old_keys = set() if old.get(DELETED) else set(old.get(KEYS) or ())
            old_claims = set() if old.get(DELETED) else set(old.get(UNIQUE) or ())
            new_keys = set() if new.get(DELETED) else set(new.get(KEYS) or ())
            new_claims = set() if new.get(DELETED) else set(new.get(UNIQUE) or ())
            if commit and new.get(DELETED):
                writes.append(ReplaceOne(marker, {"_id": document["_id"], **following}))
                key_operations += self._deletion_kills(owner, old, old_version)
            elif commit:
                writes.append(ReplaceOne(marker, {"_id": document["_id"], **following}))
                key_operations += [self._kill_key(k, owner, new_version) for k in sorted(old_keys - new_keys)]
                released.append((owner, old_claims - new_claims))
            else:
                writes.append(UpdateOne(marker, {"$unset": {path(TXN): "", path(NEXT): ""}}))
                key_operations += [self._kill_key(k, owner, new_version, only=True)
                                   for k in sorted(new_keys - old_keys)]
                released.append((owner, new_claims - old_claims))
        self._write_all(collection, writes)
        self._execute(key_operations)
        self._forget_owners(forget)
        for owner, claims in released:
            self._release(owner, claims)

    def _write_all(self, collection, operations: list) -> None:
        """Writes by ``_id`` in one bulk command (one by one on mongomock)."""
        if not operations:
            return
        if not self._sequential:
            collection.bulk_write(operations, ordered=False)
            return
        for operation in operations:
            if isinstance(operation, DeleteOne):
                collection.delete_one(operation._filter)
            elif isinstance(operation, ReplaceOne):
                collection.replace_one(operation._filter, operation._doc)
            else:
                collection.update_one(operation._filter, operation._doc)

    def expunge(self, resource_type: str, resource_id: str) -> int:
        with _store_errors():
            removed = self._forget_owners([f"{resource_type}/{resource_id}"])
            removed += self.collection(resource_type).delete_one({"_id": resource_id}).deleted_count
            removed += self.history_collection(resource_type).delete_many(
                {path(RESOURCE_ID): resource_id}).deleted_count
        return removed

    def expunge_many(self, resource_type: str, query: Mapping[str, Any]) -> int:
        """Erase every resource matching ``query`` (current documents), all their versions and keys."""
        with _store_errors():
            ids = [d["_id"] for d in self.collection(resource_type).find(dict(query), {"_id": 1})]
            if not ids:
                return 0
            self._forget_owners([f"{resource_type}/{i}" for i in ids])
            removed = self.collection(resource_type).delete_many({"_id": {"$in": ids}}).deleted_count
            removed += self.history_collection(resource_type).delete_many(
                {path(RESOURCE_ID): {"$in": ids}}).deleted_count
        return removed

    def publish(self, resource_type: str, query: Mapping[str, Any]) -> int:
        with _store_errors():
            ids = [d["_id"] for d in self.collection(resource_type).find({**query, path(PENDING): True}, {"_id": 1})]
            collection = self.collection(resource_type)
            # one update per document, by _id: nx-27017 scans the collection for a multi-document update
            if ids and self._sequential:
                for resource_id in ids:
                    collection.update_one({"_id": resource_id}, {"$unset": {path(PENDING): ""}})
            elif ids:
                collection.bulk_write([UpdateOne({"_id": i}, {"$unset": {path(PENDING): ""}}) for i in ids],
                                      ordered=False)
            return len(ids)

    def reindex(self, resource_type: str, index_fields: Callable[[dict], dict],
                progress: Callable[[int], None] | None = None) -> int:
        """Recompute the helper fields and rewrite the search keys of every live resource; no new version.

        A resource written meanwhile is left alone: its write computed fresh fields. Returns how many changed.
        """
        changed = 0
        collection = self.collection(resource_type)
        with _store_errors():
            for document in collection.find({path(DELETED): {"$exists": False}}):
                if _marker(document):
                    continue  # in a transaction's hands: its write computed fresh fields
                before = document.get(INTERNAL, {})
                kept = {k: v for k, v in before.items() if k not in COMPUTED}
                internal = _kept_in_place({**kept, **self._internal(resource_type, index_fields(served(document)),
                                                                    document["_id"])}, set(before.get(KEYS) or ()))
                owner, version = f"{resource_type}/{document['_id']}", int(document["meta"]["versionId"])
                keys = sorted(internal.get(KEYS, ()))
                self._execute([*(self._upsert_key(k, owner, version) for k in keys)])
                if internal != before:
                    changed += collection.update_one(
                        {"_id": document["_id"], "meta.versionId": document["meta"]["versionId"]},
                        {"$set": {INTERNAL: internal}}).modified_count
                self._execute([DeleteMany({"r": owner, "_id": {"$nin": [f"{k}{SEPARATOR}{owner}" for k in keys]},
                                           "claim": {"$exists": False}})])
                if progress:
                    progress(1)
        return changed

    def count(self, resource_type: str) -> int:
        """How many documents (live or tombstones) the current collection holds."""
        with _store_errors():
            return self.collection(resource_type).estimated_document_count()

    def append(self, collection: str, document: dict) -> None:
        with _store_errors():
            self.db[collection].insert_one(dict(document))

    def append_many(self, collection: str, documents: list[dict]) -> None:
        if documents:
            with _store_errors():
                try:
                    self.db[collection].insert_many([dict(d) for d in documents], ordered=False)
                except BulkWriteError as exc:  # a retried batch: what was written already stays
                    if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", ())):
                        raise

    # -- reads -------------------------------------------------------------------------------------------------
    def read(self, resource_type: str, resource_id: str) -> dict:
        current = self.current(resource_type, resource_id)
        if current is None or current.document.get(INTERNAL, {}).get(PENDING):
            raise NotFoundError(f"{resource_type}/{resource_id} is not known")
        if current.resource is None:
            raise GoneError(f"{resource_type}/{resource_id} was deleted (version {current.version})")
        return current.resource

    def vread(self, resource_type: str, resource_id: str, version_id: str) -> dict:
        with _store_errors():
            document = self.history_collection(resource_type).find_one({"_id": f"{resource_id}/_history/{version_id}"})
            if document is None:  # the current version, or the one a tombstone keeps
                document = next((d for d in self._unarchived(resource_type, resource_id)
                                 if d["meta"]["versionId"] == version_id), None)
        if document is None:
            raise NotFoundError(f"{resource_type}/{resource_id} has no version {version_id}")
        if document[INTERNAL].get(DELETED):
            raise GoneError(f"version {version_id} of {resource_type}/{resource_id} is its deletion")
        return served(document)

    def history(self, resource_type: str, resource_id: str, count: int | None = None) -> list[dict]:
        with _store_errors():
            cursor = self.history_collection(resource_type).find({path(RESOURCE_ID): resource_id}).sort(
                path(VERSION), pymongo.DESCENDING)
            if count:
                cursor = cursor.limit(count)
            documents = {d[INTERNAL][VERSION]: d for d in cursor}
            for document in self._unarchived(resource_type, resource_id):
                documents.setdefault(int(document["meta"]["versionId"]), document)
        versions = [({"deleted": True, "meta": d["meta"], "id": resource_id} if d[INTERNAL].get(DELETED)
                     else served(d)) for _, d in sorted(documents.items(), reverse=True)]
        if not versions:
            raise NotFoundError(f"{resource_type}/{resource_id} is not known")
        return versions[:count] if count else versions

    def changes(self, resource_types: Iterable[str], since: str | None = None, count: int = 20,
                until: str | None = None) -> list[dict]:
        """The latest ``count`` versions of these types (deletions as ``{"deleted": True, …}``), newest first: per
        type and collection one indexed range on ``meta.lastUpdated``, then merged."""
        window = {"$gte": since} if since else {"$gt": ""}
        since_clause = {"meta.lastUpdated": {**window, **({"$lte": until} if until else {})}}
        found: list[tuple[str, str, dict]] = []
        with _store_errors():
            for resource_type in resource_types:
                for collection in (self.collection(resource_type), self.history_collection(resource_type)):
                    for document in collection.find({**since_clause, path(PENDING): {"$exists": False}}).sort(
                            "meta.lastUpdated", pymongo.DESCENDING).limit(count):
                        document = self._resolved(document)
                        if document is None:
                            continue
                        internal = document.get(INTERNAL) or {}
                        found.append((document["meta"]["lastUpdated"], resource_type, document))
                        last = internal.get(LAST)
                        if last and (not since or last["meta"]["lastUpdated"] >= since) \
                                and (not until or last["meta"]["lastUpdated"] <= until):
                            found.append((last["meta"]["lastUpdated"], resource_type, last))
        versions, seen = [], set()
        for _, resource_type, document in sorted(found, key=lambda f: f[0], reverse=True):
            key = (resource_type, document["id"], document["meta"]["versionId"])
            if key in seen:
                continue
            seen.add(key)
            versions.append({"deleted": True, "meta": document["meta"], "id": document["id"],
                             "resourceType": resource_type} if (document.get(INTERNAL) or {}).get(DELETED)
                            else served(document))
            if len(versions) >= count:
                break
        return versions

    def _unarchived(self, resource_type: str, resource_id: str) -> list[dict]:
        """Versions not (yet) in the history collection, as history documents: the current one, and on a
        tombstone the version it deleted."""
        document = self._resolved(self.collection(resource_type).find_one({"_id": resource_id}))
        if document is None or document.get(INTERNAL, {}).get(PENDING):
            return []
        internal = document.get(INTERNAL) or {}
        found = [self._history_document(served(document), internal)]
        if internal.get(LAST):
            found.append(internal[LAST])
        return found

    def search(self, resource_type: str, query: Mapping[str, Any], sort: Sequence[tuple[str, int]] = (),
               offset: int = 0, limit: int = 20, count_total: bool = True, keys: Sequence[KeyMatch] = ()) -> Page:
        live = {**query, **LIVE}
        collection = self.collection(resource_type)
        with _store_errors():
            if keys:
                return self._keyed_search(resource_type, live, list(keys), list(sort), offset, limit, count_total)
            cursor = collection.find(live)
            if sort:
                cursor = cursor.sort(list(sort))
            documents = list(self._served_live(list(cursor.skip(offset).limit(limit)))) if limit else []
            total = self._count(collection, live) if count_total else -1
        return Page(documents, total)

    def _count(self, collection, query: Mapping[str, Any], limit: int = MAX_COUNTED) -> int:
        """How many documents match ``query``, counted up to ``limit`` (-1 beyond: FHIR lets a total be left out):
        one ``count`` command whose top-level equalities are written as ranges — nx-27017 then counts inside its
        index (~1 µs a match) where an equality, ``count_documents`` or ``$count`` load every match or scan."""
        ranged = {field: {"$gte": value, "$lte": value} if isinstance(value, str) and _scalar(field) else value
                  for field, value in query.items()}
        in_index = all(_scalar(field) and isinstance(value, dict) and set(value) <= RANGE_OPERATORS
                       for field, value in ranged.items())
        command = {"count": collection.name, "query": ranged,
                   **({"limit": limit + 1} if self._limits_counts() or not in_index else {})}
        try:
            found = int(self.db.command(command)["n"])
        except NotImplementedError:  # mongomock has no count command
            found = collection.count_documents(query, limit=limit + 1)
        return found if found <= limit else -1

    def _limits_counts(self) -> bool:
        """Whether a ``count`` carries its limit (asked once: at :meth:`ensure_indexes`, or by the first count)."""
        if self._count_limit is None:
            self._count_limit = not self._sequential and self.db.command("buildInfo").get("process") != "nx_27017"
        return self._count_limit

    def _keyed_search(self, resource_type: str, live: dict, keys: list[KeyMatch], sort: list[tuple[str, int]],
                      offset: int, limit: int, count_total: bool) -> Page:
        """Candidates from the most selective-looking clause's keys (in id order; from the query when no clause can
        drive), then each candidate's current document checked against the query and every clause: two round trips
        for a selective search. A search on one key term alone is counted on the key index (one indexed count)."""
        keys = [replace(match, alternatives=tuple(tuple(replace(t, key=f"{resource_type}|{t.key}",
                                                                via=t.via and f"{resource_type}|{t.via}")
                                                        for t in alternative)
                                                  for alternative in match.alternatives)) for match in keys]
        by_id = not sort or sort[0][0] in ("id", "_id") and sort[0][1] == 1
        counted = count_total and by_id and live == LIVE and len(keys) == 1 and keys[0].drives \
            and len(keys[0].alternatives) == 1 and len(keys[0].alternatives[0]) == 1 \
            and not keys[0].alternatives[0][0].via
        wanted = offset + limit + 1 if by_id and (counted or not count_total) else None
        cap = MAX_COUNTED if by_id else MAX_SORTED
        matches, exhausted, covered = [], True, {}
        for batch in self._candidate_documents(resource_type, live, keys, wanted or KEY_BATCH, covered):
            for document in batch:
                if document is not None and document.get(INTERNAL, {}).get(DELETED):
                    document = None
                internal = (document or {}).get(INTERNAL, {})
                held = {*(internal.get(KEYS) or ()), *(internal.get(CHECKS) or ()),
                        *(key.rpartition(SEPARATOR)[0] for key in (internal.get(INLINE) or {}).values())}
                if document is not None and all(match.matches(held) for match in keys):
                    matches.append(document)
            if wanted is not None and len(matches) >= wanted or len(matches) > cap:
                exhausted = False
                break
        if not by_id:
            if not exhausted:
                raise TooCostlyError(f"more than {MAX_SORTED} matches to sort; narrow the search or sort by _id")
            for field, direction in reversed(sort):
                matches.sort(key=lambda d, f=field: _sort_value(d, f), reverse=direction < 0)
        total = len(matches) if exhausted else -1
        if counted and not exhausted:
            term = keys[0].alternatives[0][0]
            total = self._count_keys(term) if covered.get(term.key, 1) == 1 else self._count_owners(term)
        return Page([served(d) for d in matches[offset:offset + limit]], total)

    def _candidate_documents(self, resource_type: str, live: dict, keys: list[KeyMatch], first: int,
                             covered: dict | None = None) -> Iterator[list[dict | None]]:
        """Current documents (as readers see them; None: gone or not matching ``live``) of the candidates, in id
        order, a batch at a time: those holding a driving key (one lookup of the batch's ids), or, when no clause
        drives, those matching the query itself (read whole, one query a batch)."""
        if not any(match.drives for match in keys):
            for batch in self._query_documents(resource_type, live, first):
                yield [self._resolved(d) for d in batch]
            return
        for batch in self._candidate_batches(resource_type, keys, first, covered):
            found = {d["_id"]: self._resolved(d)
                     for d in self.collection(resource_type).find({**live, "_id": {"$in": batch}})}
            yield [found.get(resource_id) for resource_id in batch]

    def _candidate_batches(self, resource_type: str, keys: list[KeyMatch], first: int,
                           covered: dict | None = None) -> Iterator[list[str]]:
        """Ids holding a driving term of the clause with the fewest alternatives, ascending, a batch at a time (the
        first of ``first`` ids); ``covered`` learns how many distinct keys each prefix term covers."""
        drivers = [match for match in keys if match.drives]
        driver = min(drivers, key=lambda match: len(match.alternatives))
        terms = {max((t for t in alternative if not t.within), key=lambda t: len(t.key)).listed
                 for alternative in driver.alternatives}
        size = min(first, KEY_BATCH)
        streams = [self._owners_of(term, size, covered) for term in sorted(terms, key=lambda t: t.key)]
        prefix = f"{resource_type}/"
        batch, previous = [], None
        for owner in heapq.merge(*streams):
            if owner == previous or not owner.startswith(prefix):
                continue
            previous = owner
            batch.append(owner[len(prefix):])
            if len(batch) >= size:
                yield batch
                batch, size = [], KEY_BATCH
        if batch:
            yield batch

    def _count_keys(self, term: KeyTerm) -> int:
        """Live search keys matching ``term``: one ``count`` command per place they are held (:meth:`_sources`) on a
        range of its ordered field, counted inside the index on nx-27017 (where ``count_documents`` and ``$count``
        scan, and a condition beside it reads every match)."""
        counts = [self._count(s.collection, {s.field: _live_range(term)}) for s in self._sources(term)]
        return -1 if min(counts) < 0 or sum(counts) > MAX_COUNTED else sum(counts)

    def _count_owners(self, term: KeyTerm) -> int:
        """Distinct owners of a prefix covering several keys (one may hold two: ``Martin`` and ``Martinez``), up to
        MAX_COUNTED (-1 beyond): the range's keys counted in the index, then, when there are not too many, their
        owners made distinct by the server (``distinct``: one list of ids, the resources not read; O(matches))."""
        keys = self._count_keys(term)
        if keys <= 0:
            return keys
        owners = set().union(*(source.owners(_live_range(term)) for source in self._sources(term)))
        return len(owners) if len(owners) <= MAX_COUNTED else -1

    def _query_documents(self, resource_type: str, query: Mapping[str, Any], first: int = KEY_BATCH,
                         batch: int = KEY_BATCH) -> Iterator[list[dict]]:
        """The stored documents matching ``query``, in id order, whole, ``batch`` at a time: a cheap first page (at
        most ``first``, for callers that stop early), then one cursor over the rest (``getMore`` of a batch a round
        trip) that passes over the first page again rather than starting after it — on nx-27017 a keyset page
        (``_id > last``) reads everything past its bound, and beside an indexed equality it, or a lookup by ``$in``,
        scans; ``skip`` would lose a match that left the query (e.g. was deleted) between the two reads."""
        collection = self.collection(resource_type)
        size = min(first, batch)
        page = list(collection.find(query).sort("_id", 1).limit(size))
        if page:
            yield page
        if len(page) < size:
            return
        last = page[-1]["_id"]
        cursor = collection.find(query).sort("_id", 1).batch_size(batch)
        try:
            documents = []
            for document in cursor:
                if document["_id"] <= last:
                    continue
                documents.append(document)
                if len(documents) == batch:
                    yield documents
                    documents = []
            if documents:
                yield documents
        finally:
            cursor.close()

    def _owners_of(self, term: KeyTerm, first: int = KEY_BATCH, covered: dict | None = None) -> Iterator[str]:
        """Owners (``Type/id``) of the live search keys matching ``term``, ascending (an owner of two keys of a
        prefix twice in a row), the first page of ``first``: one key's owners page by page along its ordered field
        (the work of a page, whatever the key's holders); a prefix's as the merge of its distinct keys' (at most
        MAX_PREFIX_KEYS), else every holder of the range sorted. ``covered[term.key]``: how many keys it covers
        (MAX_PREFIX_KEYS + 1: more). Each place keys are held in (:meth:`_sources`) is read, and merged."""
        sources = self._sources(term)
        if not term.prefix:
            return heapq.merge(*(self._key_owners(source, term.key, first) for source in sources))
        streams = self._prefix_streams(sources, term, min(first, KEY_BATCH))
        if covered is not None:
            covered[term.key] = MAX_PREFIX_KEYS + 1 if streams is None else len({key for key, _ in streams})
        if streams is not None:
            return heapq.merge(*(owners for _, owners in streams))
        return heapq.merge(*(self._range_owners(source, term, first) for source in sources))

    def _sources(self, term: KeyTerm) -> list["_Ordered"]:
        """Where the live keys of ``term`` are held: the inline slots of its parameter when its type keeps them inline
        (one slot by the form of the key; a prefix without a system part, both), then SearchKey documents — read in
        that order (a key only ever moves from a slot to a SearchKey document, which is written before the document
        that leaves the slot: read in that order, the move is never missed)."""
        found = []
        resource_type, _, rest = term.key.partition("|")
        param, bar, value = rest.partition("|")
        slots = self._inline.get(resource_type, {}).get(param) if bar else None
        if slots:
            if _has_bar(value):  # a system's slot, if the parameter has one
                slots = slots[1:]
            elif not term.prefix:
                slots = slots[:1]
            found += [_Ordered(self.collection(resource_type), path(INLINE, slot), "_id", f"{resource_type}/")
                      for slot in slots]
        return [*found, _Ordered(self.keys, "o")]  # slots first: see _kept_in_place

    def _key_owners(self, source: "_Ordered", key: str, first: int, after: str | None = None) -> Iterator[str]:
        """Owners of one live key in ``source``, ascending, a page at a time along its ordered field (after the
        value ``after``)."""
        bounds = _live_range(KeyTerm(key))
        size = first
        while True:
            page = source.walk({**bounds, "$gt": after or bounds["$gt"]}, size)
            yield from (value.rpartition(SEPARATOR)[2] for value in page)
            if len(page) < size:
                return
            after, size = page[-1], KEY_BATCH

    def _prefix_streams(self, sources: list["_Ordered"], term: KeyTerm,
                        size: int) -> list[tuple[str, Iterator[str]]] | None:
        """(key, its owners ascending) for each distinct live key starting with ``term.key`` in each source: read
        walking the ordered field (the first ``size`` of a key, then a skip to the next key: its rest is read when
        the merge needs it), or None when the prefix covers more than MAX_PREFIX_KEYS keys."""
        streams, keys = [], set()
        for source in sources:
            read: dict[str, list[str]] = {}
            resume: dict[str, str] = {}  # key → the last value read of a key whose rest was skipped
            bound: dict = {"$gte": term.key}
            while True:
                page = source.walk({**bound, "$lt": term.key + "\uffff"}, size)
                for value in page:
                    key, _, owner = value.rpartition(SEPARATOR)
                    read.setdefault(key, []).append(owner)
                if len(keys | set(read)) > MAX_PREFIX_KEYS:
                    return None
                if len(page) < size:
                    break
                last = page[-1].rpartition(SEPARATOR)[0]
                if len(read[last]) >= size:
                    resume[last] = page[-1]
                    bound = {"$gt": last + SEPARATOR + "\uffff"}
                else:
                    bound = {"$gt": page[-1]}
            keys.update(read)
            streams += [(key, itertools.chain(owners, self._key_owners(source, key, KEY_BATCH, resume[key])
                                              if key in resume else ())) for key, owners in read.items()]
        return streams

    @staticmethod
    def _range_owners(source: "_Ordered", term: KeyTerm, first: int) -> Iterator[str]:
        """Owners of every live key of a range in ``source``, ascending, paged on the owner: each page sorts the
        range's holders."""
        after, size = None, first
        while True:
            query: dict = {source.field: _live_range(term)}
            if after is not None:
                query[source.owner_field] = {"$gt": after}
            page = list(source.collection.find(query, {source.owner_field: 1}).sort(source.owner_field, 1)
                        .limit(size))
            yield from (source.owner_prefix + d[source.owner_field] for d in page)
            if len(page) < size:
                return
            after, size = page[-1][source.owner_field], KEY_BATCH

    def referrers(self, references: Iterable[str], limit: int = 20) -> list[str]:
        """Owners of reference keys, checked against their current documents; a key whose owner is not written
        yet counts while it is young (a write in flight pins its targets)."""
        found: dict[str, float] = {}
        with _store_errors():
            for reference in references:
                for key in self.keys.find({"o": _live_range(KeyTerm(f"{REFERENCE_KEY}{reference}"))},
                                          {"r": 1, "at": 1}).limit(limit):
                    found[key["r"]] = max(found.get(key["r"], 0.0), key.get("at", 0.0))
            by_type: dict[str, list[str]] = {}
            for owner in found:
                kind, _, owner_id = owner.partition("/")
                by_type.setdefault(kind, []).append(owner_id)
            live = set()
            for kind, ids in by_type.items():
                for document in self.collection(kind).find({"_id": {"$in": ids}}, {"meta": 1, INTERNAL: 1}):
                    versions = self._possible(document)
                    if any(not v.get(DELETED) and set(v.get(KEYS) or ()) & {f"{REFERENCE_KEY}{r}" for r in references}
                           for v in versions):
                        live.add(f"{kind}/{document['_id']}")
                    elif all(v.get(DELETED) for v in versions):
                        found.pop(f"{kind}/{document['_id']}", None)
        now = time.time()
        return sorted(o for o, at in found.items() if o in live or now - at < REFERENCE_PIN_SECONDS)

    def scan(self, resource_type: str, query: Mapping[str, Any], batch: int = 500,
             keys: Sequence[KeyMatch] = ()) -> Iterator[dict]:
        """Keyset pages on ``_id`` through the search keys; without keys, :meth:`_query_documents` (a first page,
        then one cursor: nx-27017 answered every keyset page by reading everything past its bound, ~0.5–1 s a page of
        1,000 at 20,000 documents, where a cursor reads ~8,000 documents/s once started)."""
        after = None
        while keys:
            page_query = dict(query) if after is None else _after(query, after)
            page = self.search(resource_type, page_query, sort=[("_id", 1)], limit=batch, count_total=False,
                               keys=keys)
            yield from page.resources
            if len(page.resources) < batch:
                return
            after = page.resources[-1]["id"]
        with _store_errors():
            for documents in self._query_documents(resource_type, {**query, **LIVE}, batch, batch):
                yield from self._served_live(documents)

    def _served_live(self, documents: list[dict]) -> Iterator[dict]:
        """Stored documents as readers see them (a transaction's writes once committed), tombstones left out."""
        for document in map(self._resolved, documents):
            if document is not None and not (document.get(INTERNAL) or {}).get(DELETED):
                yield served(document)

    def records(self, name: str) -> "MongoRecords":
        return MongoRecords(self.db[name], serialized=self._sequential)

    def former_referrers(self, resource_type: str, references: list[str]) -> set[str]:
        """Through reference keys, which are only marked dead when their owner drops the reference or is deleted."""
        prefix = f"{resource_type}/"
        found = set()
        with _store_errors():
            for reference in references:
                live = _live_range(KeyTerm(f"{REFERENCE_KEY}{reference}{SEPARATOR}{prefix}", prefix=True))
                dead = {bound: DEAD_ORDER + value for bound, value in live.items()}
                for selector in (live, dead):
                    found.update(key["r"][len(prefix):] for key in self.keys.find({"o": selector}, {"r": 1}))
        return found

    def acquire(self, name: str, seconds: float) -> bool:
        """A lock is a claim document (``_id`` unique on every backend) with an expiry."""
        now = time.time()
        lock_id = f"{CLAIM_KEY}lock|{name}"
        with _store_errors():
            try:
                self.keys.insert_one({"_id": lock_id, "until": now + seconds})
                return True
            except DuplicateKeyError:
                return self.keys.update_one({"_id": lock_id, "until": {"$lt": now}},
                                            {"$set": {"until": now + seconds}}).modified_count == 1

    def release(self, name: str) -> None:
        with _store_errors():
            self.keys.delete_one({"_id": f"{CLAIM_KEY}lock|{name}"})

    def claim_holder(self, resource_type: str, key: str) -> str | None:
        """The id of the live resource holding the unique ``key``, or None."""
        with _store_errors():
            claim = self.keys.find_one({"_id": f"{CLAIM_KEY}{resource_type}|{key}"})
            if claim is None:
                return None
            holder = claim["r"].partition("/")[2]
            document = self.collection(resource_type).find_one({"_id": holder, **LIVE}, {INTERNAL: 1})
            held = document is not None and any(claim["_id"] in (v.get(UNIQUE) or ()) for v in self._possible(document))
        return holder if held else None

    def existing_ids(self, resource_type: str, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        if not wanted:
            return set()
        with _store_errors():
            found = list(self.collection(resource_type).find({"_id": {"$in": wanted}, **LIVE},
                                                             {"_id": 1, path(TXN): 1}))
            marked = [d["_id"] for d in found if _marker(d)]
            if marked:  # in a transaction's hands: seen as the transaction's state says
                visible = {d["_id"] for d in map(self._resolved, self.collection(resource_type).find(
                    {"_id": {"$in": marked}})) if d is not None and not d[INTERNAL].get(DELETED)}
                return {d["_id"] for d in found if not _marker(d) or d["_id"] in visible}
            return {d["_id"] for d in found}

    def keep_inline(self, resource_type: str, params: Iterable[str], with_system: Iterable[str] = ()) -> None:
        systems = frozenset(with_system)
        self._inline[resource_type] = {p: (p, p + SYSTEM_SLOT) if p in systems else (p,) for p in sorted(params)}

    def ensure_indexes(self, resource_type: str, specs: Iterable[IndexSpec]) -> list[str]:
        names = []
        base_specs = [IndexSpec(((path(RESOURCE_ID), 1), (path(VERSION), -1)), history=True),
                      IndexSpec((("meta.lastUpdated", 1),), history=True),
                      IndexSpec(((path(REFS), 1), (path(RESOURCE_ID), 1)), history=True),
                      IndexSpec(((path(TXN), 1),)),
                      *(IndexSpec(((path(INLINE, slot), 1),)) for slots in self._inline.get(resource_type, {}).values()
                        for slot in slots)]
        with _store_errors():
            for spec in [*base_specs, *specs]:
                target = self.history_collection(resource_type) if spec.history else self.collection(resource_type)
                options: dict[str, Any] = {"name": spec.name, "unique": spec.unique}
                if spec.partial:
                    options["partialFilterExpression"] = dict(spec.partial)
                names.append(target.create_index(list(spec.keys), **options))
            # single-key on purpose: nx-27017 serves a range of ``o`` (in order, or counted) only through its own index
            self.keys.create_index([("o", 1)], name="o_1")
            self.keys.create_index([("r", 1)], name="r_1")
            self._migrate_keys()
            self._limits_counts()
            self.journal.collection.create_index([("state", 1)], name="state_1")
        return names

    def _migrate_keys(self, batch: int = 1000) -> None:
        """Give ``o`` to the search keys of an earlier layout (its index on ``k`` tells it is one), then drop that
        index: once, idempotent (a crash half-way resumes at the next start) and safe beside writers (a key written
        meanwhile has its ``o`` already and is left alone)."""
        if not any(spec["key"] == [("k", 1)] for spec in self.keys.index_information().values()):
            return  # (by its keys: nx-27017 names indexes its own way)
        started, moved = time.monotonic(), 0
        log.warning("search keys: giving the ordered field to keys of the earlier layout (once; thousands a second)")
        operations = []
        for document in self.keys.find({"k": {"$exists": True}, "o": {"$exists": False}}, {"_id": 1, "dead": 1}):
            order = DEAD_ORDER + document["_id"] if document.get("dead") else document["_id"]
            operations.append(UpdateOne({"_id": document["_id"], "o": {"$exists": False}}, {"$set": {"o": order}}))
            if len(operations) == batch:
                self._write_all(self.keys, operations)
                moved, operations = moved + len(operations), []
        self._write_all(self.keys, operations)
        moved += len(operations)
        self.keys.drop_index([("k", 1)])
        log.warning("search keys: %d keys of the earlier layout migrated in %.0f s", moved, time.monotonic() - started)

    def ping(self) -> None:
        with _store_errors():
            self.db.command("ping")

    # -- internals ---------------------------------------------------------------------------------------------
    @staticmethod
    def _versioned(resource: dict, version: str) -> dict:
        meta = {**resource.get("meta", {}), "versionId": version, "lastUpdated": now_instant()}
        return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta, **{
            k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}}

    def _internal(self, resource_type: str, index_fields: dict | None, resource_id: str) -> dict:
        """The ``_codoc`` object as stored: search keys prefixed by type, reference keys, claims by type; the one key
        of an inline slot held in the document (``ik``) instead of a SearchKey document."""
        internal = dict(index_fields or {})
        keys = [f"{resource_type}|{k}" for k in internal.get(KEYS, ())]
        checks = [f"{resource_type}|{k}" for k in internal.get(CHECKS, ())]
        inline = self._inline_keys(resource_type, keys)
        if inline:
            owner = f"{resource_type}/{resource_id}"
            internal[INLINE] = {slot: f"{key}{SEPARATOR}{owner}" for slot, key in inline.items()}
            keys = [k for k in keys if k not in inline.values()]
        keys += [f"{REFERENCE_KEY}{r}" for r in internal.get(REFS, ())]
        internal.pop(KEYS, None)
        internal.pop(CHECKS, None)
        if keys:
            internal[KEYS] = sorted(set(keys))
        if checks:
            internal[CHECKS] = list(dict.fromkeys(checks))
        if internal.get(UNIQUE):
            internal[UNIQUE] = [f"{CLAIM_KEY}{resource_type}|{u}" for u in internal[UNIQUE]]
        return internal

    def _inline_keys(self, resource_type: str, keys: list[str]) -> dict[str, str]:
        """Slot → key, for the slots of ``resource_type`` the resource holds exactly one key of."""
        params = self._inline.get(resource_type)
        if not params:
            return {}
        by_slot: dict[str, list[str]] = {}
        for key in dict.fromkeys(keys):
            _, param, rest = key.split("|", 2)
            slots = params.get(param, ())[_has_bar(rest):]  # a key with a system: the second slot, if any
            if slots:
                by_slot.setdefault(slots[0], []).append(key)
        return {slot: found[0] for slot, found in by_slot.items() if len(found) == 1}

    @staticmethod
    def _document(stored: dict, internal: dict | None) -> dict:
        stored, internal = _with_numbers(stored, internal)
        document = {"_id": stored["id"], **stored}
        if internal:
            document[INTERNAL] = internal
        return document

    @staticmethod
    def _key_document(key: str, owner: str, version: int) -> dict:
        """A search key; a reference key also says when it was written (a young one pins its target). ``o`` repeats
        the ``_id`` while the key is alive: nx-27017 walks a range of a field's index in order (a page of one key's
        owners in id order, their count), not a range of ``_id``."""
        key_id = f"{key}{SEPARATOR}{owner}"
        document = {"_id": key_id, "k": key, "r": owner, "v": version, "o": key_id}
        if key.startswith(REFERENCE_KEY):
            document["at"] = time.time()
        return document

    @staticmethod
    def _upsert_key(key: str, owner: str, version: int) -> UpdateOne:
        """Write (or revive) a key for ``version``: it stays alive whatever older versions do."""
        on_insert = {"k": key, "r": owner, **({"at": time.time()} if key.startswith(REFERENCE_KEY) else {})}
        key_id = f"{key}{SEPARATOR}{owner}"
        return UpdateOne({"_id": key_id}, {"$max": {"v": version}, "$set": {"o": key_id}, "$unset": {"dead": ""},
                                           "$setOnInsert": on_insert}, upsert=True)

    @staticmethod
    def _kill_key(key: str, owner: str, version: int, only: bool = False) -> UpdateOne:
        """Mark a key ``version`` dropped dead, unless a later version wrote it again (``only``: the key of
        ``version`` itself, undoing its write). Searches never see a dead key (its ``o`` leaves the live ranges); a
        dead reference key still names a former referrer for erasure."""
        key_id = f"{key}{SEPARATOR}{owner}"
        return UpdateOne({"_id": key_id, "v": version if only else {"$lt": version}}, _dead(key_id))

    @staticmethod
    def _upsert_claim(claim: str, owner: str, version: int) -> UpdateOne:
        """Claim (or keep) a unique key: held by another owner, the upsert fails on the duplicate ``_id``."""
        return UpdateOne({"_id": claim, "r": owner}, {"$set": {"at": time.time()}, "$unset": {"dead": ""},
                                                      "$setOnInsert": {"v": version, "claim": True}}, upsert=True)

    def _insert_keys(self, resource_type: str, owner: str, claims: Iterable[str], keys: Iterable[str]) -> None:
        """A new resource's claims then keys, in one insert (claims first: a held one stops it).

        :raises ConflictError: another resource holds a claim.
        """
        claims = sorted(claims)
        self._run(resource_type, owner, 1, claims,
                  [InsertOne(d) for d in self._new_key_documents(owner, claims, keys)])

    def _new_key_documents(self, owner: str, claims: Iterable[str], keys: Iterable[str]) -> list[dict]:
        """The claims (sorted, first) then the search keys of a new resource, as documents to insert."""
        return [*(self._claim_document(c, owner) for c in sorted(claims)),
                *(self._key_document(k, owner, 1) for k in sorted(keys))]

    @staticmethod
    def _claim_document(claim: str, owner: str) -> dict:
        """A new resource's claim of a unique key (its ``_id``: a second holder is refused as a duplicate)."""
        return {"_id": claim, "r": owner, "v": 1, "at": time.time(), "claim": True}

    def _write_keys(self, resource_type: str, owner: str, version: int, claims: Iterable[str],
                    added: Iterable[str], dropped: Iterable[str] = ()) -> None:
        """One bulk write of updates only (one command): claims first, then the keys this version adds, then the
        keys it drops. :raises ConflictError: another resource holds a claim."""
        claims = sorted(claims)
        operations = [self._upsert_claim(c, owner, version) for c in claims]
        operations += [self._upsert_key(k, owner, version) for k in sorted(added)]
        operations += [self._kill_key(k, owner, version) for k in sorted(dropped)]
        self._run(resource_type, owner, version, claims, operations)

    def _run(self, resource_type: str, owner: str, version: int, claims: list[str], operations: list) -> None:
        """Run key operations whose first ``len(claims)`` are claims, settling refused claims and skipping
        duplicates of keys already written (a retried write)."""
        done = 0
        for _ in range(len(operations) + MAX_WRITE_ATTEMPTS):
            failed = self._execute(operations[done:])
            if failed is None:
                return
            index = done + failed
            if index < len(claims):
                self._settle_claim(resource_type, claims[index], owner, version, claims[:index])
            done = index + 1 if index < len(claims) or isinstance(operations[index], InsertOne) else index
        raise ConflictError(f"{owner}: its search keys are written too often; retry")

    def _settle_claim(self, resource_type: str, claim: str, owner: str, version: int, taken: list[str]) -> None:
        """A claim we could not insert: ours already, or taken over from a write that died, or a conflict.

        A claim is taken over only when its holder does not hold the key AND the claim is older than
        :data:`CLAIM_LEASE_SECONDS` (a younger one may belong to a write still in flight).
        :raises ConflictError: another resource holds (or is writing) it; ``holder`` names it.
        """
        held = self.keys.find_one({"_id": claim}) or {"r": None, "at": 0}
        holder = held["r"]
        if holder == owner:
            return
        if held.get("dead") and self.keys.update_one(
                {"_id": claim, "r": holder, "dead": True},
                {"$set": {"r": owner, "v": version, "at": time.time()}, "$unset": {"dead": ""}}).modified_count:
            return  # released by a deletion
        holder_doc = None
        if holder:
            kind, _, holder_id = holder.partition("/")
            holder_doc = self.collection(kind).find_one({"_id": holder_id}, {INTERNAL: 1})
        holds = holder_doc is not None and any(claim in (v.get(UNIQUE) or ()) for v in self._possible(holder_doc))
        fresh = time.time() - held.get("at", 0) < CLAIM_LEASE_SECONDS and holder_doc is None
        if holds or fresh or self.keys.update_one(
                {"_id": claim, "r": holder, "at": held.get("at")},
                {"$set": {"r": owner, "v": version, "at": time.time()}}).modified_count != 1:
            self._release(owner, taken)
            error = ConflictError(f"a unique identifier is already held by {holder}")
            error.field, error.holder, error.key = "unique", (holder or "").partition("/")[2], claim
            raise error

    def _confirm_claims(self, resource_type: str, owner: str, claims: Iterable[str], claimed_at: float,
                        version: str, former: dict | None = None, undo: bool = True) -> None:
        """After a write slower than half the claim lease: its new claims renewed, still ours — else the write is
        undone (the former document put back, or the new one removed) and answered 409."""
        claims = sorted(claims)
        if not claims or time.monotonic() - claimed_at < CLAIM_LEASE_SECONDS / 2:
            return
        renewed = sum(self.keys.update_one({"_id": c, "r": owner}, {"$set": {"at": time.time()}}).matched_count
                      for c in claims)
        if renewed == len(claims):
            return
        resource_id = owner.partition("/")[2]
        written = {"_id": resource_id, "meta.versionId": version}
        if undo and former is None:
            self.collection(resource_type).delete_one(written)
            self._forget_owners([owner])
        elif undo:
            self.collection(resource_type).replace_one(written, former)
            self._release(owner, claims)
        error = ConflictError("a unique identifier was taken by another resource while this write was slow")
        error.field = "unique"
        raise error

    def _forget_owners(self, owners: Iterable[str]) -> int:
        """Delete every key and claim of these owners: found through the indexed ``r``, deleted by ``_id`` (nx-27017
        scans the collection for a delete or update filtered on anything else)."""
        ids = [d["_id"] for owner in owners for d in self.keys.find({"r": owner}, {"_id": 1})]
        return self.keys.delete_many({"_id": {"$in": ids}}).deleted_count if ids else 0

    def _release(self, owner: str, claims: Iterable[str]) -> None:
        claims = list(claims)
        if claims:
            self.keys.delete_many({"_id": {"$in": claims}, "r": owner})

    def _repair_keys(self, resource_type: str, resource_id: str) -> None:
        """After losing a race: the winner's keys, written again (ours may have marked dead some it shares)."""
        current = self.current(resource_type, resource_id)
        if current is not None and current.resource is not None:
            keys = (current.document.get(INTERNAL) or {}).get(KEYS) or ()
            owner = f"{resource_type}/{resource_id}"
            self._execute([self._upsert_key(k, owner, int(current.version)) for k in keys])

    def _former_documents(self, current: Current) -> list[dict]:
        """The history copies of the version about to be replaced (and of a tombstone's deleted version)."""
        internal = current.document.get(INTERNAL) or {}
        documents = [self._history_document(served(current.document), internal)]
        if internal.get(LAST):
            documents.append(internal[LAST])
        return documents

    def _replace_keeping_former(self, resource_type: str, current: Current, written: dict, document: dict) -> int:
        """The former version copied to history, then ``written`` replaced by ``document``: one client-level
        ``bulkWrite`` in that order when the server has it (else, or on any error — a copy already made by an
        earlier attempt —, two commands). Returns how many documents the replacement matched (0: a writer won)."""
        history = self.history_collection(resource_type).full_name
        former = self._former_documents(current)
        models = [InsertOne(d, namespace=history) for d in former]
        models.append(ReplaceOne(written, document, namespace=self.collection(resource_type).full_name))
        try:
            result = self._client_bulk_write(models, verbose=True)
            if result is not None:
                return result.update_results[len(models) - 1].matched_count
        except ClientBulkWriteException:
            pass  # ordered: nothing after the failed copy ran
        self._insert_history(resource_type, former)
        return self.collection(resource_type).replace_one(written, document).matched_count

    def _keep_former(self, resource_type: str, current: Current) -> None:
        """Copy the version about to be replaced to history (and a tombstone's deleted version)."""
        self._insert_history(resource_type, self._former_documents(current))

    def _insert_history(self, resource_type: str, documents: list[dict]) -> None:
        """Copy versions to history, idempotent by ``_id`` (a concurrent writer, or an earlier attempt, may have
        copied them). nx-27017 answers an insert racing another insert of the same ``_id`` with code 8 ("Failed to
        get last row id", "no more rows available") instead of 11000: after any refusal the copies still missing
        are looked up and tried once more."""
        collection = self.history_collection(resource_type)
        for attempt in range(2):
            try:
                collection.insert_many(documents, ordered=False)
                return
            except BulkWriteError as exc:
                if all(e.get("code") == 11000 for e in exc.details.get("writeErrors", ())):
                    return
                present = {d["_id"] for d in collection.find({"_id": {"$in": [d["_id"] for d in documents]}},
                                                             {"_id": 1})}
                documents = [d for d in documents if d["_id"] not in present]
                if not documents:
                    return
                if attempt:
                    raise

    def _execute(self, operations: list) -> int | None:
        """Run a bulk write in order; returns the index of the first operation that hit a duplicate key, or None.

        :raises PyMongoError: any other failure.
        """
        if not operations:
            return None
        if self._sequential:
            return self._execute_one_by_one(operations)
        try:
            self.keys.bulk_write(operations, ordered=True)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if errors and errors[0].get("code") == 11000:
                return errors[0]["index"]
            raise
        return None

    def _execute_one_by_one(self, operations: list) -> int | None:
        for index, operation in enumerate(operations):
            try:
                if isinstance(operation, InsertOne):
                    self.keys.insert_one(operation._doc)
                elif isinstance(operation, UpdateOne):
                    self.keys.update_one(operation._filter, operation._doc, upsert=operation._upsert)
                else:
                    self.keys.delete_many(operation._filter)
            except DuplicateKeyError:
                return index
        return None

    @staticmethod
    def _history_document(stored: dict, index_fields: dict | None) -> dict:
        """A version: the FHIR JSON, ``_id`` = ``{id}/_history/{versionId}``, its references kept for erasure."""
        version = stored["meta"]["versionId"]
        internal = {RESOURCE_ID: stored["id"], VERSION: int(version)}
        for key in (DELETED, REFS):
            if index_fields and index_fields.get(key):
                internal[key] = index_fields[key]
        stored, internal = _with_numbers(stored, internal)
        return {**stored, "_id": f"{stored['id']}/_history/{version}", INTERNAL: internal}


def _current(document: dict | None, marked: bool = False) -> Current | None:
    if document is None:
        return None
    deleted = (document.get(INTERNAL) or {}).get(DELETED)
    return Current(None if deleted else served(document), (document.get("meta") or {}).get("versionId", ""),
                   document, marked)


def _too_often(owner: str, expected_version: str | None) -> Exception:
    """Lost every retry to concurrent writers: a 412 only for a request that set a precondition, else a 409."""
    text = f"{owner} is updated too often; retry"
    return VersionConflictError(text) if expected_version is not None else ConflictError(text)


def _marker(document: dict | None) -> str | None:
    """The transaction whose write is on this stored document, if any."""
    return ((document or {}).get(INTERNAL) or {}).get(TXN)


def _unmarked(document: dict) -> dict:
    internal = {k: v for k, v in document[INTERNAL].items() if k not in (TXN, NEXT)}
    return {**document, INTERNAL: internal}


def _without_id(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "_id"}


def _after(query: Mapping[str, Any], after: str) -> dict:
    """``query`` and ``_id > after`` (one flat filter when it can: nx-27017 serves it faster than an ``$and``)."""
    if "_id" in query or any(k.startswith("$") for k in query):
        return {"$and": [dict(query), {"_id": {"$gt": after}}]}
    return {**query, "_id": {"$gt": after}}


def _record_filters(record_id: str, when: Mapping[str, Any] | None) -> list[dict]:
    """The filters a compare-and-set on one record tries in turn: ``when`` itself, or, when it has a top-level
    ``$or``, one filter per alternative (beside ``_id`` in a write's filter, nx-27017 applies an ``$or`` to another
    record). The first that writes ends it: the same write, except that a record changing between two tries may
    match none."""
    rest = dict(when or {})
    alternatives = rest.pop("$or", None) or [{}]
    return [{**rest, **alternative, "_id": record_id} if not set(rest) & set(alternative)
            else {"$and": [rest, alternative], "_id": record_id} for alternative in alternatives]


def _scalar(field: str) -> bool:
    """A field that holds one value in every document (a range on it matches what an equality matches; through an
    array of objects nx-27017 would miss it)."""
    return field in ("_id", "o") or field.startswith((f"{path(SEARCH)}.", f"{path(INLINE)}."))


def _kept_in_place(internal: dict, documents: set[str]) -> dict:
    """``internal`` with the keys the resource already holds as SearchKey documents (``documents``) kept as such
    rather than inline: a key never moves from SearchKey documents into a slot while its resource lives (a search
    reads the slots before the SearchKey documents, and would miss a key moving that way between its two reads)."""
    inline = internal.get(INLINE)
    if not inline or not documents:
        return internal
    staying = {slot: held for slot, held in inline.items() if held.rpartition(SEPARATOR)[0] not in documents}
    if len(staying) == len(inline):
        return internal
    kept = {**internal, KEYS: sorted({*internal.get(KEYS, ()), *(held.rpartition(SEPARATOR)[0]
                                                                 for slot, held in inline.items()
                                                                 if slot not in staying)})}
    if staying:
        kept[INLINE] = staying
    else:
        kept.pop(INLINE)
    return kept


def _has_bar(text: str) -> bool:
    """Whether an escaped token value (``\\|`` a literal bar) has a ``|`` of its own: a system part."""
    if "|" not in text:
        return False
    if "\\" not in text:
        return True
    escaped = False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "|":
            return True
    return False


@dataclass(frozen=True)
class _Ordered:
    """A place live search keys are held, each as ``key\x1fType/id`` in a scalar indexed ``field`` walked in order:
    the SearchKey documents (``o``; the owner also in ``r``), or an inline slot of a type's documents (the owner:
    ``owner_prefix`` + ``_id``)."""

    collection: Any
    field: str
    owner_field: str = "r"
    owner_prefix: str = ""

    def owners(self, bounds: dict) -> set[str]:
        """The distinct owners of the keys within ``bounds``, made distinct by the server (one list, no document
        read); a slot's from its values (nx-27017 has no ``distinct`` of ``_id``)."""
        if self.owner_field == "r":
            return set(self.collection.distinct("r", {self.field: bounds}))
        return {value.rpartition(SEPARATOR)[2] for value in self.collection.distinct(self.field, {self.field: bounds})}

    def walk(self, bounds: dict, size: int) -> list[str]:
        """The first ``size`` values of ``field`` within ``bounds``, ascending (one round trip)."""
        page = self.collection.find({self.field: bounds}, {self.field: 1, "_id": 0}).sort(self.field, 1).limit(size)
        return [d[self.field] if self.field in d else _sort_value(d, self.field)[1] for d in page]  # nx-27017: flat


def _live_range(term: KeyTerm) -> dict:
    """The filter on ``o`` of a key term's live keys: this key's owners, or (``prefix``) every key starting with it."""
    if term.prefix:
        return {"$gte": term.key, "$lt": term.key + "\uffff"}
    return {"$gt": term.key + SEPARATOR, "$lt": term.key + SEPARATOR + "\uffff"}


def _dead(key_id: str) -> dict:
    """The update marking a search key dead: flagged, and its ``o`` moved out of every live range."""
    return {"$set": {"dead": True, "o": DEAD_ORDER + key_id}}


def _sort_value(document: dict, field: str) -> Any:
    value: Any = document
    for part in ("_id" if field == "id" else field).split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return (value is not None, value if value is not None else "")


#: mongomock changes a stored document in place, field by field: a reader in another thread of the process could
#: copy it half-written (a job already "done" without its expiry), so its records are read and written one at a time
_IN_PROCESS_RECORDS = threading.Lock()


class MongoRecords(Records):
    """A side collection through pymongo (``serialized``: mongomock's, one operation at a time in the process)."""

    def __init__(self, collection, serialized: bool = False):
        self.collection = collection
        self._serialized = serialized
        self._one_at_a_time = _IN_PROCESS_RECORDS if serialized else nullcontext()

    def get(self, record_id: str) -> dict | None:
        with _store_errors(), self._one_at_a_time:
            return self.collection.find_one({"_id": record_id})

    def find(self, query: Mapping[str, Any], limit: int = 1000) -> list[dict]:
        with _store_errors(), self._one_at_a_time:
            return list(self.collection.find(dict(query)).limit(limit))

    def ensure_index(self, field: str) -> str:
        with _store_errors():
            return self.collection.create_index([(field, 1)], name=f"{field}_1")

    def insert(self, record: dict) -> None:
        try:
            with _store_errors(), self._one_at_a_time:
                self.collection.insert_one(dict(record))
        except DuplicateKeyError:
            raise ConflictError(f"{record['_id']!r} already exists") from None

    def replace(self, record: dict, when: Mapping[str, Any] | None = None, upsert: bool = False) -> bool:
        return any(self._written(lambda f: self.collection.replace_one(f, record, upsert=upsert), f)
                   for f in _record_filters(record["_id"], when))

    def update(self, record_id: str, changes: Mapping[str, Any], when: Mapping[str, Any] | None = None,
               upsert: bool = False) -> bool:
        return any(self._written(lambda f: self.collection.update_one(f, dict(changes), upsert=upsert), f)
                   for f in _record_filters(record_id, when))

    def _written(self, write: Callable[[dict], Any], record_filter: dict) -> bool:
        try:
            with _store_errors(), self._one_at_a_time:
                result = write(record_filter)
        except DuplicateKeyError:  # the record exists but does not match the filter (an upsert tried to insert)
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    def update_each(self, record_ids: Iterable[str], changes: Mapping[str, Any],
                    when: Mapping[str, Any] | None = None) -> None:
        """One ordered bulk write (one by one on mongomock): a record's filters (:func:`_record_filters`) follow each
        other, so that at most one of them matches (the first write changes what the next one tests)."""
        if self._serialized:
            for record_id in dict.fromkeys(record_ids):
                self.update(record_id, changes, when)
            return
        operations = [UpdateOne(f, dict(changes)) for i in dict.fromkeys(record_ids) for f in _record_filters(i, when)]
        if operations:
            with _store_errors():
                self.collection.bulk_write(operations, ordered=True)

    def replace_each(self, records: list[dict], when: Mapping[str, Any] | None = None) -> set[str]:
        """One unordered bulk write of upserts (one by one on mongomock): an upsert refused as a duplicate ``_id`` is a
        record that exists and does not match that filter; a record is written when one of its filters was not."""
        if self._serialized:
            return {r["_id"] for r in records if self.replace(r, when, upsert=True)}
        operations = [(r["_id"], ReplaceOne(f, r, upsert=True))
                      for r in records for f in _record_filters(r["_id"], when)]
        if not operations:
            return set()
        refused: set[int] = set()
        with _store_errors():
            try:
                self.collection.bulk_write([o for _, o in operations], ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors") or []
                if any(e.get("code") != 11000 for e in errors):
                    raise
                refused = {e["index"] for e in errors}
        return {record_id for n, (record_id, _) in enumerate(operations) if n not in refused}

    def delete(self, record_id: str) -> bool:
        with _store_errors(), self._one_at_a_time:
            return self.collection.delete_one({"_id": record_id}).deleted_count == 1


class _store_errors:
    """Turn driver connection failures into a 503 ``StoreUnavailableError`` (a context manager)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, pymongo.errors.DocumentTooLarge):
            raise PayloadTooLargeError("the resource and its search helpers are larger than the database can store "
                                       "in one document (16 MB)") from None
        if exc is not None and isinstance(exc, PyMongoError) and not isinstance(exc, DuplicateKeyError):
            if isinstance(exc, (pymongo.errors.ConnectionFailure, pymongo.errors.ServerSelectionTimeoutError)):
                log.error("database unavailable: %s", type(exc).__name__)
                raise StoreUnavailableError("the database is unavailable; retry later") from None
        return False
