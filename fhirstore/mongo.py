"""The pymongo implementation of the store: one code path for MongoDB, nx-27017 and mongomock."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

import pymongo
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.write_concern import WriteConcern

from fhirstore.base import FHIRStore, IndexSpec, Page
from fhirstore.errors import (ConflictError, GoneError, NotFoundError, PayloadTooLargeError, StoreUnavailableError,
                              VersionConflictError)
from fhirstore.numbers import decode_numbers, encode_numbers

log = logging.getLogger(__name__)

INTERNAL = "_codoc"
MAX_WRITE_ATTEMPTS = 20
#: A claim of a unique key younger than this may belong to a write in flight: it is never taken over.
CLAIM_LEASE_SECONDS = 30.0


def now_instant() -> str:
    """The current UTC time as a FHIR instant with milliseconds (sorts lexicographically)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def connect(uri: str, database: str, write_concern: str = ""):
    """A pymongo (or mongomock, for ``mongomock://``) database handle."""
    if uri.startswith("mongomock://"):
        import mongomock

        return mongomock.MongoClient()[database]
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=False)
    db = client[database]
    if write_concern:
        level = int(write_concern) if write_concern.isascii() and write_concern.isdigit() else write_concern
        db = db.with_options(write_concern=WriteConcern(w=level))
    return db


def served(document: dict) -> dict:
    """The FHIR JSON of a stored document: without ``_id`` and internal helper fields, decimals as written."""
    resource = {k: v for k, v in document.items() if k != "_id" and k != INTERNAL}
    numbers = (document.get(INTERNAL) or {}).get("num")
    return decode_numbers(resource, numbers) if numbers else resource


def _with_numbers(stored: dict, internal: dict | None) -> tuple[dict, dict | None]:
    """BSON cannot hold every JSON decimal (float64 and Decimal128 lose digits): keep those as text, listed."""
    body, numbers = encode_numbers(stored)
    return (body, {**(internal or {}), "num": numbers}) if numbers else (stored, internal)


class MongoFHIRStore(FHIRStore):
    """Current versions in ``{Type}_{version}``, every version in ``{Type}_{version}_History``.

    A write replaces the current document only if its ``meta.versionId`` is still the one read (optimistic
    locking in the filter, never read-then-write), then records that version in the history collection.
    """

    def __init__(self, db, fhir_version: str = "4.3.0"):
        self.db = db
        self.suffix = fhir_version.replace(".", "_")

    # -- collections -------------------------------------------------------------------------------------------
    def collection(self, resource_type: str):
        return self.db[f"{resource_type}_{self.suffix}"]

    def history_collection(self, resource_type: str):
        return self.db[f"{resource_type}_{self.suffix}_History"]

    def unique_collection(self, resource_type: str):
        """Claims of unique keys (e.g. ``system|value`` of an IPP): ``_id`` = key, ``owner`` = resource id."""
        return self.db[f"{resource_type}_{self.suffix}_Unique"]

    # -- writes ------------------------------------------------------------------------------------------------
    def create(self, resource_type: str, resource: dict, index_fields: dict | None = None) -> dict:
        stored = self._versioned(resource, "1")
        with _store_errors():
            claimed = self._claim(resource_type, stored["id"], index_fields)
            try:
                self.collection(resource_type).insert_one(self._document(stored, index_fields))
            except DuplicateKeyError:
                self._release(resource_type, stored["id"], claimed)
                error = ConflictError(f"{resource_type}/{stored['id']} already exists")
                error.field = "_id"
                raise error from None
            self._record_version(resource_type, stored, index_fields)
        return stored

    def create_many(self, resource_type: str, resources: list[dict], index_fields: list[dict | None],
                    history: bool = True) -> list[dict]:
        """Store version 1 of many new resources in bulk (server-generated data, e.g. Phenotypes).

        ``history=False`` skips the history copy: for data written once and never updated, whose only version is
        then served from the current document (vread and history fall back to it). No unique-key claims here.
        """
        stored = [self._versioned(r, "1") for r in resources]
        if stored:
            with _store_errors():
                self.collection(resource_type).insert_many(
                    [self._document(s, f) for s, f in zip(stored, index_fields)], ordered=True)
                if history:
                    self.history_collection(resource_type).insert_many(
                        [self._history_document(s, f) for s, f in zip(stored, index_fields)], ordered=True)
        return stored

    def expunge_many(self, resource_type: str, query: Mapping[str, Any]) -> int:
        """Erase every resource matching ``query`` (current documents) and all their versions."""
        with _store_errors():
            ids = [d["_id"] for d in self.collection(resource_type).find(dict(query), {"_id": 1})]
            if not ids:
                return 0
            removed = self.collection(resource_type).delete_many({"_id": {"$in": ids}}).deleted_count
            removed += self.history_collection(resource_type).delete_many(
                {f"{INTERNAL}.rid": {"$in": ids}}).deleted_count
        return removed

    def update(self, resource_type: str, resource: dict, expected_version: str | None = None,
               index_fields: dict | None = None) -> tuple[dict, bool]:
        resource_id = resource["id"]
        collection = self.collection(resource_type)
        with _store_errors():
            for _ in range(MAX_WRITE_ATTEMPTS):
                current = collection.find_one({"_id": resource_id}, {"meta": 1, INTERNAL: 1})
                if current is None:
                    if expected_version is not None:
                        raise VersionConflictError(f"{resource_type}/{resource_id} does not exist; "
                                                   f"If-Match names version {expected_version}")
                    try:
                        return self.create(resource_type, resource, index_fields), True
                    except ConflictError as exc:
                        if getattr(exc, "field", None) == "_id":
                            continue  # another writer created it first: update on top of it
                        raise
                version = current["meta"]["versionId"]
                if expected_version is not None and expected_version != version:
                    raise VersionConflictError(f"{resource_type}/{resource_id} is at version {version}, "
                                               f"not {expected_version}")
                stored = self._versioned(resource, str(int(version) + 1))
                claimed = self._claim(resource_type, resource_id, index_fields)
                result = collection.replace_one({"_id": resource_id, "meta.versionId": version},
                                                self._document(stored, index_fields))
                if result.matched_count == 1:
                    self._record_version(resource_type, stored, index_fields)
                    self._release(resource_type, resource_id, _unique_keys(current.get(INTERNAL)) - claimed)
                    return stored, False
                if expected_version is not None:
                    raise VersionConflictError(f"{resource_type}/{resource_id} changed during the update")
            raise VersionConflictError(f"{resource_type}/{resource_id} is updated too often; retry")

    def delete(self, resource_type: str, resource_id: str, expected_version: str | None = None) -> str | None:
        collection = self.collection(resource_type)
        with _store_errors():
            for _ in range(MAX_WRITE_ATTEMPTS):
                current = collection.find_one({"_id": resource_id}, {"meta": 1, INTERNAL: 1})
                if current is None or current.get(INTERNAL, {}).get("deleted"):
                    return None
                version = current["meta"]["versionId"]
                if expected_version is not None and expected_version != version:
                    raise VersionConflictError(f"{resource_type}/{resource_id} is at version {version}, "
                                               f"not {expected_version}")
                tombstone = {"id": resource_id, "meta": {"versionId": str(int(version) + 1),
                                                         "lastUpdated": now_instant()}}
                result = collection.replace_one({"_id": resource_id, "meta.versionId": version},
                                                {"_id": resource_id, **tombstone, INTERNAL: {"deleted": True}})
                if result.matched_count == 1:
                    self._record_version(resource_type, tombstone, {"deleted": True})
                    self._release(resource_type, resource_id, _unique_keys(current.get(INTERNAL)))
                    return tombstone["meta"]["versionId"]
            raise VersionConflictError(f"{resource_type}/{resource_id} is updated too often; retry")

    def expunge(self, resource_type: str, resource_id: str) -> int:
        with _store_errors():
            removed = self.unique_collection(resource_type).delete_many({"owner": resource_id}).deleted_count
            removed += self.collection(resource_type).delete_one({"_id": resource_id}).deleted_count
            removed += self.history_collection(resource_type).delete_many(
                {f"{INTERNAL}.rid": resource_id}).deleted_count
        return removed

    def reindex(self, resource_type: str, index_fields: Callable[[dict], dict],
                progress: Callable[[int], None] | None = None) -> int:
        """Recompute the helper fields of every live resource (after search parameters changed); no new version.

        A resource written meanwhile is left alone: its write computed fresh fields. Returns how many changed.
        """
        changed = 0
        collection = self.collection(resource_type)
        with _store_errors():
            for document in collection.find({f"{INTERNAL}.deleted": {"$exists": False}}):
                internal = {**document.get(INTERNAL, {}), **index_fields(served(document))}
                if internal != document.get(INTERNAL):
                    changed += collection.update_one(
                        {"_id": document["_id"], "meta.versionId": document["meta"]["versionId"]},
                        {"$set": {INTERNAL: internal}}).modified_count
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

    # -- reads -------------------------------------------------------------------------------------------------
    def read(self, resource_type: str, resource_id: str) -> dict:
        with _store_errors():
            document = self.collection(resource_type).find_one({"_id": resource_id})
        if document is None:
            raise NotFoundError(f"{resource_type}/{resource_id} is not known")
        if document.get(INTERNAL, {}).get("deleted"):
            raise GoneError(f"{resource_type}/{resource_id} was deleted "
                            f"(version {document['meta']['versionId']})")
        return served(document)

    def vread(self, resource_type: str, resource_id: str, version_id: str) -> dict:
        with _store_errors():
            document = self.history_collection(resource_type).find_one({"_id": f"{resource_id}/_history/{version_id}"})
            if document is None:  # written without a history copy (create_many): its one version is current
                current = self._current_without_history(resource_type, resource_id)
                if current and current["meta"]["versionId"] == version_id:
                    return current
        if document is None:
            raise NotFoundError(f"{resource_type}/{resource_id} has no version {version_id}")
        if document[INTERNAL].get("deleted"):
            raise GoneError(f"version {version_id} of {resource_type}/{resource_id} is its deletion")
        return served(document)

    def history(self, resource_type: str, resource_id: str, count: int | None = None) -> list[dict]:
        with _store_errors():
            cursor = self.history_collection(resource_type).find({f"{INTERNAL}.rid": resource_id}).sort(
                f"{INTERNAL}.v", pymongo.DESCENDING)
            if count:
                cursor = cursor.limit(count)
            versions = [({"deleted": True, "meta": d["meta"], "id": resource_id} if d[INTERNAL].get("deleted")
                         else served(d)) for d in cursor]
            if not versions:
                current = self._current_without_history(resource_type, resource_id)
                versions = [current] if current else []
        if not versions:
            raise NotFoundError(f"{resource_type}/{resource_id} is not known")
        return versions

    def _current_without_history(self, resource_type: str, resource_id: str) -> dict | None:
        document = self.collection(resource_type).find_one({"_id": resource_id})
        if document is None or document.get(INTERNAL, {}).get("deleted"):
            return None
        return served(document)

    def search(self, resource_type: str, query: Mapping[str, Any], sort: Sequence[tuple[str, int]] = (),
               offset: int = 0, limit: int = 20, count_total: bool = True) -> Page:
        live = {**query, f"{INTERNAL}.deleted": {"$exists": False}}
        collection = self.collection(resource_type)
        with _store_errors():
            cursor = collection.find(live)
            if sort:
                cursor = cursor.sort(list(sort))
            documents = [served(d) for d in cursor.skip(offset).limit(limit)]
            total = collection.count_documents(live) if count_total else -1
        return Page(documents, total)

    def former_referrers(self, resource_type: str, references: list[str]) -> set[str]:
        with _store_errors():
            return {d[INTERNAL]["rid"] for d in self.history_collection(resource_type).find(
                {f"{INTERNAL}.refs": {"$in": list(references)}}, {INTERNAL: 1})}

    def existing_ids(self, resource_type: str, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        if not wanted:
            return set()
        with _store_errors():
            cursor = self.collection(resource_type).find(
                {"_id": {"$in": wanted}, f"{INTERNAL}.deleted": {"$exists": False}}, {"_id": 1})
            return {d["_id"] for d in cursor}

    def ensure_indexes(self, resource_type: str, specs: Iterable[IndexSpec]) -> list[str]:
        names = []
        base_specs = [IndexSpec(((f"{INTERNAL}.rid", 1), (f"{INTERNAL}.v", -1)), history=True),
                      IndexSpec(((f"{INTERNAL}.refs", 1), (f"{INTERNAL}.rid", 1)), history=True)]
        with _store_errors():
            for spec in [*base_specs, *specs]:
                target = self.history_collection(resource_type) if spec.history else self.collection(resource_type)
                options: dict[str, Any] = {"name": spec.name, "unique": spec.unique}
                if spec.partial:
                    options["partialFilterExpression"] = dict(spec.partial)
                names.append(target.create_index(list(spec.keys), **options))
        return names

    def ping(self) -> None:
        with _store_errors():
            self.db.command("ping")

    # -- internals ---------------------------------------------------------------------------------------------
    @staticmethod
    def _versioned(resource: dict, version: str) -> dict:
        meta = {**resource.get("meta", {}), "versionId": version, "lastUpdated": now_instant()}
        return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta, **{
            k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}}

    @staticmethod
    def _document(stored: dict, index_fields: dict | None) -> dict:
        stored, index_fields = _with_numbers(stored, index_fields)
        document = {"_id": stored["id"], **stored}
        if index_fields:
            document[INTERNAL] = index_fields
        return document

    def _claim(self, resource_type: str, owner: str, index_fields: dict | None) -> set[str]:
        """Claim every ``index_fields["unique"]`` key for ``owner`` before the write.

        Uniqueness rests on ``_id`` of the claims collection, the one unique index every backend enforces, so two
        concurrent writers of one key cannot both win. A claim is taken over only when its owner does not hold the
        key AND the claim is older than :data:`CLAIM_LEASE_SECONDS` (a write that died between claim and release);
        a younger claim may belong to a write still in flight.
        :raises ConflictError: another resource holds (or is writing) a key; ``holder`` names it.
        """
        keys = _unique_keys(index_fields)
        claims = self.unique_collection(resource_type)
        taken: set[str] = set()
        for key in sorted(keys):
            try:
                claims.insert_one({"_id": key, "owner": owner, "at": time.time()})
                taken.add(key)
                continue
            except DuplicateKeyError:
                claim = claims.find_one({"_id": key}) or {"owner": None, "at": 0}
            holder = claim["owner"]
            if holder == owner:
                continue
            holder_doc = self.collection(resource_type).find_one({"_id": holder}, {INTERNAL: 1}) if holder else None
            held = holder_doc is not None and key in _unique_keys(holder_doc.get(INTERNAL))
            fresh = time.time() - claim.get("at", 0) < CLAIM_LEASE_SECONDS and holder_doc is None
            if held or fresh or claims.update_one(
                    {"_id": key, "owner": holder, "at": claim.get("at")},
                    {"$set": {"owner": owner, "at": time.time()}}).modified_count != 1:
                self._release(resource_type, owner, taken)
                error = ConflictError(f"a unique identifier is already held by {resource_type}/{holder}")
                error.field, error.holder, error.key = "unique", holder, key
                raise error
            taken.add(key)
        return keys

    def _release(self, resource_type: str, owner: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self.unique_collection(resource_type).delete_many({"_id": {"$in": keys}, "owner": owner})

    def _record_version(self, resource_type: str, stored: dict, index_fields: dict | None) -> None:
        """Keep this version in the history collection (idempotent by ``{id}/_history/{versionId}``)."""
        document = self._history_document(stored, index_fields)
        self.history_collection(resource_type).replace_one({"_id": document["_id"]}, document, upsert=True)

    @staticmethod
    def _history_document(stored: dict, index_fields: dict | None) -> dict:
        """A version: the FHIR JSON, ``_id`` = ``{id}/_history/{versionId}``, its references kept for erasure."""
        version = stored["meta"]["versionId"]
        internal = {"rid": stored["id"], "v": int(version)}
        for key in ("deleted", "refs"):
            if index_fields and index_fields.get(key):
                internal[key] = index_fields[key]
        stored, internal = _with_numbers(stored, internal)
        return {**stored, "_id": f"{stored['id']}/_history/{version}", INTERNAL: internal}


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


def _unique_keys(index_fields: dict | None) -> set[str]:
    return set((index_fields or {}).get("unique", ()))
