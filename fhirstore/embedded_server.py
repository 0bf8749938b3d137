"""Run nx-27017 (the embedded store) with one SQLite commit per write command instead of one per document.

nx-27017 0.8.1 keeps its SQLite connection in autocommit mode and applies an ``insert``, ``update`` or ``delete``
command (and a client ``bulkWrite``: a create's claims, keys and resource) one document at a time, so a batch of 400
Phenotypes is 400 commits, each writing every B-tree page it touched (the Observation collection has 18 indexes) to
the WAL. Here each such command runs inside one SQLite transaction (``BEGIN`` … ``COMMIT``), under the handler's own
per-database lock, so no other command interleaves. Nothing else changes: a refused document (duplicate key) fails
only its own statement, as SQLite aborts a statement and not its transaction, and the command's result is the same.
What was applied is committed even when the handler raises, as it was before. Commands of a client transaction
(``txnNumber``) and any connection already inside a transaction are left to nx-27017; so is a client ``bulkWrite``
spanning databases. A version other than the one this was measured on runs unpatched.

An ``insert`` command outside a client transaction also stores its plain-JSON documents (string ``_id``; strings,
numbers, booleans, nulls, lists and objects only) directly: the text nx-27017 would store (``json.dumps`` of the
document as decoded), in the same ``INSERT`` statement, without the four copies it makes of each document on the way
(its debug log of the whole command, ObjectId and bytes conversions, a deep copy) nor its ``json_valid`` check of
text ``json.dumps`` wrote. Those copies were about half the store's CPU per Phenotype. Any other document takes
nx-27017's own path, in order, within the same command.

Usage (what :class:`fhirstore.embedded.EmbeddedMongo` runs): ``python -m fhirstore.embedded_server <nx-27017 args>``.
"""
from __future__ import annotations

import functools
import json
import logging
import sys
from importlib import metadata

PATCHED_VERSION = "0.8.1"
WRITE_COMMANDS = frozenset({"insert", "update", "delete"})
_COMMAND_OBJECTS = frozenset({"writeConcern", "lsid"})  # the objects of an insert command that are no document

log = logging.getLogger(__name__)


def _command(msg) -> dict | None:
    """The body document of an OP_MSG message, or None."""
    for section_type, doc in (msg.get("sections") or ()) if isinstance(msg, dict) else ():
        if section_type == "body" and isinstance(doc, dict):
            return doc
    return None


def _written_database(msg) -> str | None:
    """The database a plain write command writes to (a client ``bulkWrite``: when all its namespaces are in one)."""
    command = _command(msg)
    if not command or "txnNumber" in command:
        return None
    name = next(iter(command), None)
    if name in WRITE_COMMANDS:
        return command.get("$db", "test")
    if name != "bulkWrite":
        return None
    namespaces = list(command.get("nsInfo") or ())
    for section_type, doc in msg["sections"]:
        if section_type == "payload" and isinstance(doc, dict):
            namespaces += doc.get("nsInfo") or ()
    databases = {entry.get("ns", "").partition(".")[0] if isinstance(entry, dict) else "" for entry in namespaces}
    return databases.pop() if len(databases) == 1 and "" not in databases else None


class _NotPlain(Exception):
    """A value JSON has no type for (ObjectId, datetime, bytes…): the document takes nx-27017's own path."""


def _refuse(value):
    raise _NotPlain


def _plain_text(document) -> str | None:
    """The JSON text nx-27017 would store for ``document``, or None when its own path must store it."""
    if type(document) is not dict or type(document.get("_id")) is not str:
        return None
    try:
        return json.dumps(document, allow_nan=False, default=_refuse)
    except (_NotPlain, ValueError, TypeError):
        return None


def _plain_inserts(method):
    """``handle_insert`` storing plain-JSON documents itself (see the module's docstring); the same reply."""
    from nx_27017.handler import _bulk_write_error, _is_gridfs_collection
    from neosqlite.sql_utils import quote_table_name

    @functools.wraps(method)
    def wrapper(self, msg, *args, **kwargs):
        command = _command(msg)
        name = command.get("insert") if command else None
        if not isinstance(name, str) or not name or "txnNumber" in command or _is_gridfs_collection(name) \
                or any(k.startswith("$") and k != "$db" or isinstance(v, dict) and k not in _COMMAND_OBJECTS
                       for k, v in command.items()):
            return method(self, msg, *args, **kwargs)  # (nx-27017 takes an object of another name for a document)
        documents = list(command.get("documents") or ())
        for section_type, doc in msg["sections"]:
            if section_type == "payload_docs":
                documents.extend(doc)
            elif section_type == "payload":
                for value in doc.values():
                    documents.extend(value if isinstance(value, list) else [value] if isinstance(value, dict) else [])
        db_name = command.get("$db", "test")
        with self._lock_for(db_name):
            db = self.get_database(db_name)
            session = self._get_or_create_session(command, db, db_name)
            collection = db[name]
            if name not in db.list_collection_names():
                collection.create()
            self._apply_write_concern(db, db_name, command.get("writeConcern"))
            statement = f"INSERT INTO {quote_table_name(collection.name)}(data, _id) VALUES (?, ?)"
            ordered = command.get("ordered", True)
            inserted, errors = [], []
            for index, document in enumerate(documents):
                try:
                    text = _plain_text(document)
                    if text is None:
                        inserted.append(collection.insert_one(self._convert_objectids(document),
                                                              session=session).inserted_id)
                    else:
                        db.db.execute(statement, (text, document["_id"]))
                        inserted.append(document["_id"])
                except Exception as exc:  # noqa: BLE001 - a writeErrors entry, as nx-27017 replies
                    errors.append(_bulk_write_error(exc, index))
                    if ordered:
                        break
        reply = {"ok": 1, "n": len(inserted)}
        if documents:
            reply["insertedIds"] = inserted
        if errors:
            reply["writeErrors"] = errors
        return msg["request_id"], reply

    return wrapper


def _one_commit(method):
    """``method`` run inside one SQLite transaction when its message is a plain write command."""

    @functools.wraps(method)
    def wrapper(self, msg, *args, **kwargs):
        db_name = _written_database(msg)
        if db_name is None:
            return method(self, msg, *args, **kwargs)
        # An RLock: the handler's own takes it again. A bulkWrite's handler takes admin's lock after this one,
        # which also keeps other commands off the connection it writes to.
        with self._lock_for(db_name):
            sqlite = self.get_database(db_name).db
            if sqlite.in_transaction:
                return method(self, msg, *args, **kwargs)
            sqlite.execute("BEGIN")
            try:
                return method(self, msg, *args, **kwargs)
            finally:
                if sqlite.in_transaction:
                    sqlite.execute("COMMIT")

    wrapper.one_commit = True
    return wrapper


def patch() -> bool:
    """Group each write command's documents into one commit; False (and unpatched) on another nx-27017."""
    version = metadata.version("nx-27017")
    if version != PATCHED_VERSION:
        log.warning("nx-27017 %s is not %s: one commit per document, as it ships", version, PATCHED_VERSION)
        return False
    from nx_27017.handler import NeoSQLiteHandler
    for name in ("handle_insert", "handle_command"):
        method = getattr(NeoSQLiteHandler, name)
        if not getattr(method, "one_commit", False):
            setattr(NeoSQLiteHandler, name, _one_commit(_plain_inserts(method) if name == "handle_insert" else method))
    return True


def main(argv: list[str]) -> int:
    patch()
    from nx_27017.nx_27017 import main as nx_main
    sys.argv = ["nx-27017", *argv]
    return nx_main() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
