"""The transaction journal: one document per transaction whose ``state`` is the commit point.

Where the backend has no multi-document transactions (nx-27017, mongomock — and the same code on a replica set),
a transaction is made atomic and isolated by markers: every document it writes carries the transaction's id
(``_codoc.txn``) and keeps its former version served until the journal says ``committed``; the new version waits
beside it (``_codoc.next``; a creation is the new document itself, hidden). Readers resolve a marked document
through the journal (one lookup, cached once final); writers meeting one settle it first or answer 409.

A journal document: ``{_id, state: open|committed|aborted|settled-committed|settled-aborted, until: lease expiry
(epoch s), types: [...], at}``; settled entries are deleted an hour later. An ``open`` transaction whose lease
expired is aborted by whoever meets it (a new transaction, the start-up sweep, a writer): a process that died
mid-transaction is rolled back, never half applied; one that died after the commit point is rolled forward from its
markers.
"""
from __future__ import annotations

import contextvars
import time
import uuid
from dataclasses import dataclass, field

OPEN, COMMITTED, ABORTED = "open", "committed", "aborted"
#: Once every marker of a decided transaction is settled (an indexed equality finds the unsettled ones).
SETTLED = {COMMITTED: "settled-committed", ABORTED: "settled-aborted"}
OUTCOME = {settled: state for state, settled in SETTLED.items()}
#: Final states kept in memory per process (the oldest forgotten beyond this many).
CACHE_SIZE = 10_000


@dataclass
class OpenTransaction:
    """The transaction of the current thread/context: what it marked, which collections, when it renewed."""

    id: str
    lease: float
    renewed: float
    types: set[str] = field(default_factory=set)
    marked: list[tuple[str, str]] = field(default_factory=list)
    after: list = field(default_factory=list)  # actions run once it committed (never if it rolls back)


ACTIVE: contextvars.ContextVar[OpenTransaction | None] = contextvars.ContextVar("codoc_transaction", default=None)


class Journal:
    """The journal collection: begin, renew, commit/abort (conditional single-document updates), state lookups."""

    def __init__(self, collection, lease_seconds: float):
        self.collection = collection
        self.lease = lease_seconds
        self._final: dict[str, str] = {}

    def begin(self) -> OpenTransaction:
        now = time.time()
        txn = OpenTransaction(id=uuid.uuid4().hex, lease=self.lease, renewed=now)
        self.collection.insert_one({"_id": txn.id, "state": OPEN, "until": now + self.lease, "types": [], "at": now})
        return txn

    def touch(self, txn: OpenTransaction, resource_type: str) -> bool:
        """Before ``txn`` writes into ``resource_type``: the type recorded (for recovery) and the lease renewed when
        a third of it has passed. False when the transaction is no longer open (another process aborted it)."""
        now = time.time()
        if resource_type in txn.types and now - txn.renewed < txn.lease / 3:
            return True
        result = self.collection.update_one({"_id": txn.id, "state": OPEN},
                                            {"$set": {"until": now + txn.lease},
                                             "$addToSet": {"types": resource_type}})
        txn.types.add(resource_type)
        txn.renewed = now
        return result.matched_count == 1

    def decide(self, txn_id: str, state: str) -> bool:
        """Move an open transaction to ``state`` (the commit point, or its abort); False if it was not open."""
        done = self.collection.update_one({"_id": txn_id, "state": OPEN}, {"$set": {"state": state}}).matched_count
        if done:
            self._remember(txn_id, state)
        return done == 1

    def settled(self, txn_id: str, state: str) -> None:
        """Every marker of the decided ``txn_id`` is settled."""
        self.collection.update_one({"_id": txn_id, "state": state}, {"$set": {"state": SETTLED[state],
                                                                               "at": time.time()}})

    def state(self, txn_id: str) -> str:
        """``committed`` or ``aborted`` once decided; ``open`` while its lease runs; an expired open transaction is
        aborted here (its process is gone); an unknown one counts as aborted."""
        active = ACTIVE.get()
        if active is not None and active.id == txn_id:
            return COMMITTED  # a transaction sees its own writes
        if txn_id in self._final:
            return self._final[txn_id]
        record = self.collection.find_one({"_id": txn_id}, {"state": 1, "until": 1})
        if record is None:
            return ABORTED
        state = OUTCOME.get(record["state"], record["state"])
        if state == OPEN and record.get("until", 0) < time.time():
            if not self.decide(txn_id, ABORTED):
                return self.state(txn_id)  # decided meanwhile
            return ABORTED
        if state != OPEN:
            self._remember(txn_id, state)
        return state

    def unsettled(self, limit: int = 100) -> list[dict]:
        """Journal documents a sweep must settle: the decided ones not settled, once the expired open ones are
        aborted (their processes are gone)."""
        for record in self.collection.find({"state": OPEN, "until": {"$lt": time.time()}}, {"_id": 1}).limit(limit):
            self.decide(record["_id"], ABORTED)
        return [r for state in (COMMITTED, ABORTED) for r in self.collection.find({"state": state}).limit(limit)]

    def forget_settled(self, older_than: float) -> int:
        """Delete journal documents settled more than ``older_than`` seconds ago (by ``_id``)."""
        ids = [r["_id"] for settled in SETTLED.values() for r in self.collection.find(
            {"state": settled, "at": {"$lt": time.time() - older_than}}, {"_id": 1}).limit(1000)]
        return self.collection.delete_many({"_id": {"$in": ids}}).deleted_count if ids else 0

    def _remember(self, txn_id: str, state: str) -> None:
        if len(self._final) >= CACHE_SIZE:
            self._final.clear()
        self._final[txn_id] = state
