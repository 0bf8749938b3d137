"""The audit trail: one FHIR AuditEvent per request on patient data, appended to ``AuditEvent_4_3_0``.

Events hold references (``Patient/123``: what the handlers recorded as served or written), the caller's subject and
IP, never patient data. They are written by the HTTP layer's audit seam (handlers/http/gate.py), once per request,
and read by administrators through ``GET /AuditEvent?entity=``.
"""
from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from typing import Iterable

from config import VERSION_SUFFIX
from fhirstore import FHIRStore, IndexSpec, now_instant
from fhirstore.errors import InvalidError, MethodNotAllowedError, StoreUnavailableError
from handlers import bundles
from handlers.context import RequestContext
from handlers.ids import random_uuid
from handlers.search.plan import int_param

log = logging.getLogger("codoc.audit")
AUDIT_TYPE = "AuditEvent"
AUDIT_COLLECTION = f"{AUDIT_TYPE}_{VERSION_SUFFIX}"
ACTIONS = {"create": "C", "read": "R", "vread": "R", "history": "R", "search": "E", "update": "U", "patch": "U",
           "delete": "D", "operation": "E"}
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
#: Search parameters of the audit trail → the AuditEvent paths they match.
SEARCH_PATHS = {"entity": "entity.what.reference", "agent": "agent.who.display"}
INDEXES = (IndexSpec((("entity.what.reference", 1), ("recorded", -1))),
           IndexSpec((("agent.who.display", 1), ("recorded", -1))))


class AuditUnavailableError(StoreUnavailableError):
    """The audit trail cannot record more now: patient data is not served meanwhile (503)."""


def audit_event(ctx: RequestContext, interaction: str, entities: Iterable[str], outcome: str = "0",
                detail: str | None = None) -> dict:
    """An AuditEvent: who (token subject or anonymous + IP), what (references), action, outcome, when.

    ``outcome``: ``0`` success, ``4`` minor failure (4xx), ``8`` serious failure (5xx). ``detail`` must never hold
    patient data (no names, identifiers, birth dates, note text).
    """
    principal = ctx.principal
    who = {"display": principal.subject if principal else "anonymous"}
    if principal and principal.issuer:
        who["identifier"] = {"system": principal.issuer, "value": principal.subject}
    event = {
        "resourceType": "AuditEvent",
        "id": random_uuid(),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": INTERACTION_SYSTEM, "code": interaction}],
        "action": ACTIONS.get(interaction, "E"),
        "recorded": now_instant(),
        "outcome": outcome,
        "agent": [{"who": who, "requestor": True,
                   **({"network": {"address": ctx.client_ip, "type": "2"}} if ctx.client_ip else {})}],
        "source": {"observer": {"display": "codoc-fhir-api"}},
        "entity": [{"what": {"reference": reference}} for reference in entities],
    }
    if detail:
        event["outcomeDesc"] = detail
    if ctx.request_id:
        event["agent"][0]["altId"] = ctx.request_id
    return event


class AuditWriter:
    """Writes AuditEvents off the request's path: a bounded queue drained by one thread per process in batches
    (one ``insert_many`` per batch), flushed on graceful shutdown.

    The promise holds: when the queue is full, or events have waited unwritten for more than ``max_lag`` seconds
    because the audit store fails, :meth:`healthy` says no and the HTTP layer answers 503 to requests on patient
    data, so nothing is served unaudited for longer than that. On a hard crash (SIGKILL) the events of the last
    ``interval`` seconds (plus a write in flight) are lost. ``batched=False`` writes each event in the request.
    """

    def __init__(self, store: FHIRStore, batched: bool = True, capacity: int = 10_000, interval: float = 0.2,
                 max_lag: float = 3.0, batch: int = 500):
        self.store, self.batched, self.interval, self.max_lag, self.batch = store, batched, interval, max_lag, batch
        self._queue: queue.Queue[tuple[float, dict]] = queue.Queue(maxsize=capacity)  # (monotonic time queued, event)
        self._oldest_unwritten: float | None = None  # monotonic time of the oldest event not written yet
        self._pending: list[tuple[float, dict]] = []
        self._last_logged = -1e9
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one batch in flight at a time (the thread, or a flush)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, ctx: RequestContext, interaction: str, entities: Iterable[str], outcome: str = "0",
               detail: str | None = None) -> dict:
        """Queue (or write) one AuditEvent; :raises AuditUnavailableError: the queue is full."""
        event = audit_event(ctx, interaction, list(entities), outcome, detail)
        document = {"_id": event["id"], **event}
        if not self.batched:
            self.store.append(AUDIT_COLLECTION, document)
            return event
        self._start()
        queued = time.monotonic()
        try:
            self._queue.put_nowait((queued, document))
        except queue.Full:
            raise AuditUnavailableError("the audit trail is not keeping up; retry later",
                                        headers={"Retry-After": "2"}) from None
        with self._lock:
            if self._oldest_unwritten is None:
                self._oldest_unwritten = queued
        return event

    def healthy(self) -> bool:
        """Whether requests on patient data may be served: the queue has room and nothing waits too long."""
        if not self.batched:
            return True
        with self._lock:
            lagging = self._oldest_unwritten is not None and time.monotonic() - self._oldest_unwritten > self.max_lag
        return not lagging and not self._queue.full()

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything queued so far (tests, shutdown); returns whether all was written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._write_some():
                with self._lock:
                    if not self._pending and self._queue.empty():
                        self._oldest_unwritten = None
                        return True
            else:
                time.sleep(0.05)
        return False

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._drain, name="codoc-audit", daemon=True)
                    self._thread.start()
                    atexit.register(self.close)

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=self.interval)
            except queue.Empty:
                self._write_some()
                continue
            with self._lock:
                self._pending.append(first)
            self._stop.wait(self.interval)  # let a batch gather
            while self._write_some() and self._queue.qsize() >= self.batch and not self._stop.is_set():
                pass  # a backlog: write it batch after batch, not one batch per interval

    def _write_some(self) -> bool:
        """Move queued events to the batch and write it; on failure keep them for the next try."""
        with self._writing:
            return self._write_batch()

    def _write_batch(self) -> bool:
        with self._lock:
            while len(self._pending) < self.batch:
                try:
                    self._pending.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [document for _, document in self._pending]
        if not batch:
            return True
        try:
            self.store.append_many(AUDIT_COLLECTION, batch)
        except Exception as exc:  # noqa: BLE001 - the store failing: keep the events, healthy() reports the lag
            if time.monotonic() - self._last_logged > 10:  # one line per 10 s while it lasts, not one per try
                self._last_logged = time.monotonic()
                log.error("audit trail not written (%s); %d event(s) waiting", type(exc).__name__, len(batch))
            return False
        with self._lock:
            self._pending = self._pending[len(batch):]
            self._oldest_unwritten = self._oldest_queued()
        return True

    def _oldest_queued(self) -> float | None:
        """When the oldest event still unwritten was queued (the lag clock does not restart after a partial
        write: a backlog that keeps growing shows its age)."""
        if self._pending:
            return self._pending[0][0]
        with self._queue.mutex:
            return self._queue.queue[0][0] if self._queue.queue else None


def ensure_indexes(store: FHIRStore) -> list[str]:
    """Indexes of the audit searches (idempotent)."""
    return store.ensure_indexes(AUDIT_TYPE, INDEXES)


def read(store: FHIRStore, event_id: str) -> dict:
    """:raises NotFoundError:"""
    return store.read(AUDIT_TYPE, event_id)


def search(store: FHIRStore, params: list[tuple[str, str]], ctx: RequestContext, page_size: int = 20,
           page_max: int = 100) -> dict:
    """``GET /AuditEvent?entity=Patient/123`` (or ``agent=``), newest first, paged like every search.

    :raises MethodNotAllowedError: no selective parameter. :raises InvalidError: unknown parameter.
    """
    clauses = []
    for key, value in params:
        if key in ("_count", "_offset", "_format", "_pretty"):
            continue
        if key not in SEARCH_PATHS:
            raise InvalidError(f"unknown search parameter {key!r} for AuditEvent; supported: "
                               f"{', '.join(sorted(SEARCH_PATHS))}", expression=key)
        if key == "entity" and value.count("/") > 1:  # an absolute reference: keep Type/id
            value = "/".join(value.rstrip("/").split("/")[-2:])
        values = value.split(",")  # $or of equalities: the embedded store misses $in through arrays of objects
        clauses.append({"$or": [{SEARCH_PATHS[key]: v} for v in values]} if len(values) > 1
                       else {SEARCH_PATHS[key]: values[0]})
    if not clauses:
        raise MethodNotAllowedError("give entity= or agent= to read the audit trail", headers={"Allow": "GET"})
    count = int_param(params, "_count", page_size, page_max)
    offset = int_param(params, "_offset", 0, 10_000_000)
    query = {"$and": clauses} if len(clauses) > 1 else clauses[0]
    page = store.search(AUDIT_TYPE, query, sort=[("recorded", -1)], offset=offset, limit=count)
    return bundles.searchset(ctx.base_url, AUDIT_TYPE, page.resources, page.total, params, offset, count)
