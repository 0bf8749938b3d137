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

Usage (what :class:`fhirstore.embedded.EmbeddedMongo` runs): ``python -m fhirstore.embedded_server <nx-27017 args>``.
"""
from __future__ import annotations

import functools
import logging
import sys
from importlib import metadata

PATCHED_VERSION = "0.8.1"
WRITE_COMMANDS = frozenset({"insert", "update", "delete"})

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
            setattr(NeoSQLiteHandler, name, _one_commit(method))
    return True


def main(argv: list[str]) -> int:
    patch()
    from nx_27017.nx_27017 import main as nx_main
    sys.argv = ["nx-27017", *argv]
    return nx_main() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
