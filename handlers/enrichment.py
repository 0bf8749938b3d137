"""Semantic enrichment: a DocumentReference's note → Phenotypes, committed by one pointer write.

Each run inserts a new set of Phenotypes tagged with a run id (``meta.tag``) as *pending* (hidden from every read
and search by the store), then moves the document's pointer in ``Enrichment_4_3_0`` (one single-document write,
the commit point), then publishes its set and erases the sets it replaced. A run that loses the race to a later
one never becomes visible. Between publishing and erasing, a reader may briefly see both sets of a re-enriched
document; a crash there leaves both until the next run, a crash before the commit leaves only hidden documents.
The pointer also carries the enrichment status (pending, done, failed, skipped) served on the document.

A first run (no set of the document ever committed, and no earlier attempt of its job) has nothing to replace: its
set is inserted visible and the pointer written without a publish or a look-up of older sets (see ``_commit``). A
worker (``work``) takes jobs in batches, each claimed with a lease: the engine reads a batch while writer threads
store the previous ones, one insert per collection for all a batch's Phenotypes, then its first runs' pointers in one
write.
"""
from __future__ import annotations

import base64
import binascii
import functools
import gc
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import nlp
from config import VERSION_SUFFIX
from fhirstore import FHIRStore, now_instant
from fhirstore.errors import GoneError, NotFoundError, StoreUnavailableError
from fhirstore.fields import RUN, SOURCE, path
from handlers.ids import random_hex, random_uuid, time_ordered_uuids

log = logging.getLogger("codoc.enrichment")

PROFILE_PATH = "/StructureDefinition/observation-phenotype"
ASSERTION_PATH = "/StructureDefinition/phenotype-assertion"
RUN_PATH = "/CodeSystem/nlp-run"
STATUS_COLLECTION = f"Enrichment_{VERSION_SUFFIX}"
QUEUE_KEY = "codoc:nlp:queue"
#: How long a worker holds a job it took; how often a worker looks in MongoDB for pending jobs.
LEASE_SECONDS, SWEEP_SECONDS = 120.0, 5.0
#: How long a worker waits before trying again when the database does not answer.
OUTAGE_SECONDS = 1.0
#: Jobs a worker takes at once (one claim, one look-up of their notes); their sets are handed to the writers in
#: slices of about SLICE Phenotypes, so that the store writes one slice while the engine reads the next: a store
#: serving one command at a time (nx-27017) would otherwise keep the next claim waiting behind a whole batch. A
#: larger slice is fewer commands and commits (100 → 200: 62-64 → 80-86 notes/s, bench/README.md, eleventh session).
BATCH, SLICE = 48, 200
#: How long the concepts of the stored CodeSystems are reused (a write of one through this process forgets them).
LOCAL_TERMS_SECONDS = 5.0
TEXT_TYPES = ("text/plain",)
PENDING, DONE, FAILED, SKIPPED = "pending", "done", "failed", "skipped"


def canonical(config: dict, path: str) -> str:
    return config["CODOC_CANONICAL_BASE"].rstrip("/") + path


@dataclass
class Note:
    """The text of a document, or why there is none to read."""

    text: str | None
    reason: str | None = None


def note_of(document: dict) -> Note:
    """The first ``text/plain`` attachment with inline data, decoded; otherwise the reason it can't be read."""
    reasons = []
    for content in document.get("content") or []:
        attachment = content.get("attachment") or {}
        content_type = (attachment.get("contentType") or "").split(";")[0].strip().lower()
        if "data" not in attachment:
            reasons.append("attachment has no inline data")
            continue
        if content_type not in TEXT_TYPES:
            reasons.append(f"attachment is {content_type or 'of unknown type'}, not text/plain")
            continue
        try:
            raw = base64.b64decode(attachment["data"], validate=True)
        except (binascii.Error, ValueError):
            reasons.append("attachment data is not valid base64")
            continue
        try:
            return Note(raw.decode("utf-8"))
        except UnicodeDecodeError:
            reasons.append("attachment text is not UTF-8")
    return Note(None, "; ".join(reasons) or "no attachment")


class Enricher:
    """Runs enrichment for one app: in this process (``on``), through a Redis queue (``async``), or not (``off``)."""

    def __init__(self, store: FHIRStore, config: dict, index_fields: Callable[[dict], dict]):
        """``index_fields``: the Phenotype handler's, so generated Phenotypes are searchable like posted ones."""
        self.store = store
        self._index_fields = index_fields
        self.config = config
        self.mode = config.get("CODOC_NLP", "on")
        self.profile = canonical(config, PROFILE_PATH)
        self.run_system = canonical(config, RUN_PATH)
        self.assertion_url = canonical(config, ASSERTION_PATH)
        self.offsets_url = canonical(config, "/StructureDefinition/phenotype-offsets")
        self.status_url = canonical(config, "/StructureDefinition/nlp-enrichment-status")
        self._backlog: queue.Queue[str] | None = None
        self._redis = None
        self._terms: tuple[float, list[nlp.LocalTerm]] | None = None  # (when read, terms)
        self._terms_forgotten = float("-inf")  # when a CodeSystem write last made them stale

    @property
    def statuses(self):
        return self.store.records(STATUS_COLLECTION)

    # -- entry points ------------------------------------------------------------------------------------------
    def submit(self, document: dict) -> dict:
        """Enrich a stored document now, later (engine loading, or ``async``), or not; returns its status."""
        if self.mode == "off":
            return {"status": SKIPPED, "reason": "enrichment is off (CODOC_NLP=off)"}
        note = note_of(document)
        if note.text is None:
            return self._finish(document, None, [], SKIPPED, note.reason)
        if self.mode == "async":  # the pending status record is the durable job; Redis only wakes a worker up
            status = self._set_status(document, PENDING)
            try:
                self._queue().lpush(QUEUE_KEY, document["id"])
            except Exception as exc:  # noqa: BLE001 - the job is not lost: a worker's sweep finds it
                log.warning("NLP queue unavailable (%s): the document stays pending for the next sweep",
                            type(exc).__name__)
            return status
        try:
            engine = nlp.get_engine(wait=0)
        except nlp.EngineError as exc:
            return self._set_status(document, FAILED, f"NLP engine unavailable: {exc}")
        if engine is None:
            status = self._set_status(document, PENDING)
            self._in_background(document["id"])
            return status
        # a document created by this request has no committed set yet: its first run skips the hiding
        return self._extract(document, note, engine, first=document["meta"].get("versionId") == "1")

    def enrich(self, document_id: str, engine: Any = None) -> dict:
        """(Re)compute the Phenotypes of the current version of a document; returns its status."""
        try:
            document = self.store.read("DocumentReference", document_id)
        except (NotFoundError, GoneError) as exc:  # deleted or unknown meanwhile: nothing to do
            return {"status": SKIPPED, "reason": type(exc).__name__}
        note = note_of(document)
        if note.text is None:
            return self._finish(document, None, [], SKIPPED, note.reason)
        return self._extract(document, note, engine)

    def _extract(self, document: dict, note: Note, engine: Any = None, first: bool = False) -> dict:
        concepts = self._read(document, note, engine)
        if isinstance(concepts, dict):  # the engine failed: the status says why
            return concepts
        run = _seq(int(document["meta"]["versionId"]), _run_id())
        return self._finish(document, run, self.phenotypes(document, concepts, run), DONE, None, first)

    def _read(self, document: dict, note: Note, engine: Any = None,
              terms: list["nlp.LocalTerm"] | None = None) -> "list[nlp.Concept] | dict":
        """The concepts of a note, or the status recorded when the engine failed on it."""
        started = time.perf_counter()
        try:
            engine = engine or nlp.get_engine(wait=None)
            concepts = engine.extract(note.text, self.local_terms() if terms is None else terms)
        except nlp.NoteTooLargeError as exc:
            return self._finish(document, None, [], FAILED, str(exc))
        except Exception as exc:  # noqa: BLE001 - the document stays stored, the status says why
            log.error("enrichment of a document failed: %s", type(exc).__name__)
            return self._set_status(document, FAILED, f"NLP failed: {type(exc).__name__}")
        log.info("read a note: %d concepts in %.0f ms", len(concepts), (time.perf_counter() - started) * 1000)
        return concepts

    def forget(self, document_id: str) -> None:
        """The document was deleted: erase its Phenotypes and make runs still in flight lose."""
        try:
            deletion = self.store.history("DocumentReference", document_id, count=1)[0]
        except NotFoundError:
            deletion = {"meta": {"versionId": "0"}}
        seq = _seq(int(deletion["meta"]["versionId"]), "~")

        def erase() -> None:
            self.statuses.replace({"_id": document_id, "status": SKIPPED, "seq": seq, "reason": "document deleted",
                                   "run": None, "updated": now_instant()}, upsert=True)
            self.store.expunge_many("Observation", {path(SOURCE): document_id})

        self.store.after_commit(erase)

    def purge(self, document_id: str) -> None:
        """The document is erased (expunge, rollback of its creation): its Phenotypes and status record too."""
        self.store.expunge_many("Observation", {path(SOURCE): document_id})
        self.statuses.delete(document_id)

    def status(self, document_id: str) -> dict:
        state = self.statuses.get(document_id) or {"status": SKIPPED, "reason": "never enriched"}
        return {k: v for k, v in state.items() if k not in ("_id", "seq", "lease", "tries", "holder")}

    # -- the swap ----------------------------------------------------------------------------------------------
    def _finish(self, document: dict, run: str | None, phenotypes: list[dict], status: str,
                reason: str | None, first: bool = False) -> dict:
        """Insert the new set (hidden unless ``first``), then commit it (:meth:`_commit`)."""
        seq = run or _seq(int(document["meta"]["versionId"]), _run_id())
        if phenotypes:  # their handler's index_fields() derive src and seq from derivedFrom and the run
            self.store.create_many("Observation", phenotypes, [self._index_fields(p) for p in phenotypes],
                                   history=False, pending=not first)
        return self._commit(document, seq, len(phenotypes), status, reason, first)

    def _commit(self, document: dict, seq: str, count: int, status: str, reason: str | None,
                first: bool = False, first_refused: bool = False) -> dict:
        """Move the pointer to the inserted set (the commit point), publish it, erase the sets it supersedes.

        Runs are ordered by their id ``seq`` = (document version, time-ordered id): the pointer only moves forward, and
        a run erases only sets older than itself, so concurrent runs never leave a document with no set.

        ``first``: no set of the document was ever committed and no earlier attempt may have left one (a document
        created by this request, or a job taken for the first time with no committed run). Its set was inserted
        visible, and the pointer is written only if it still names no run (:meth:`_first_commits`: one write,
        inserted if missing): no publish, no look-up of older sets (two round trips instead of five). Should it name
        one (a concurrent ``$enrich`` committed meanwhile; ``first_refused``: that write was already tried), the usual
        ordered swap decides, and a losing set, visible for that moment, is erased.
        """
        source = document["id"]
        state = self._state(document, seq, count, status, reason)
        outcome = {k: v for k, v in state.items() if k not in ("_id", "seq")}

        def swap() -> None:
            if first and not first_refused and self._first_commits([state]):
                return
            if not self.statuses.replace(state, when=_older_than(seq), upsert=True):  # a later run committed first
                self.store.expunge_many("Observation", {path(SOURCE): source, path(RUN): seq})
                outcome.clear()
                outcome.update(self.status(source))
                return
            if count and not first:
                self.store.publish("Observation", {path(SOURCE): source, path(RUN): seq})
            self.store.expunge_many("Observation", {path(SOURCE): source, path(RUN): {"$lt": seq}})

        self.store.after_commit(swap)  # inside a transaction, once it commits: a rollback keeps the former set
        return outcome

    @staticmethod
    def _state(document: dict, seq: str, count: int, status: str, reason: str | None) -> dict:
        """The status record naming run ``seq`` of the document's current version as its committed set."""
        state = {"_id": document["id"], "status": status, "run": seq, "seq": seq,
                 "version": int(document["meta"]["versionId"]), "count": count, "updated": now_instant()}
        if reason:
            state["reason"] = reason
        return state

    def _first_commits(self, states: list[dict]) -> set[str]:
        """First runs' pointers, each written only while it names no run, in one round trip; returns those written."""
        return self.statuses.replace_each(states, when={"seq": {"$exists": False}})

    def _set_status(self, document: dict, status: str, reason: str | None = None) -> dict:
        """Record pending/failed for a version without touching the committed set (it stays visible)."""
        version = int(document["meta"]["versionId"])
        update: dict[str, Any] = {"$set": {"status": status, "version": version, "updated": now_instant()}}
        if reason:
            update["$set"]["reason"] = reason
            update["$unset"] = {"lease": ""}
        else:  # a job no worker holds: lease 0, so that takers find it through one range (an $or query scans)
            update["$set"]["lease"] = 0.0
            update["$unset"] = {"reason": ""}
        self.statuses.update(document["id"], update, when=_older_than(_seq(version, "~")), upsert=True)
        return self.status(document["id"])  # unchanged when a later version owns the status

    # -- Phenotype resources -----------------------------------------------------------------------------------
    def phenotypes(self, document: dict, concepts: list["nlp.Concept"], run: str) -> list[dict]:
        """The Phenotypes of a run, one per concept (time-ordered ids drawn at once: see ``time_ordered_uuids``)."""
        return [self.phenotype(document, c, run, i) for c, i in zip(concepts, time_ordered_uuids(len(concepts)))]

    def phenotype(self, document: dict, concept: "nlp.Concept", run: str, resource_id: str | None = None) -> dict:
        """An Observation with the phenotype profile for one concept found in the document."""
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": resource_id or random_uuid(),
            # the run in meta.source, not a tag: no search keys for it (the store keeps it as _codoc.seq)
            "meta": {"profile": [self.profile], "source": f"{self.run_system}#{run}"},
            "extension": [
                {"url": self.assertion_url, "valueCode": concept.assertion},
                {"url": self.offsets_url, "extension": [{"url": "start", "valueInteger": concept.start},
                                                        {"url": "end", "valueInteger": concept.end}]},
            ],
            "status": "preliminary",
            # no code.text: it would repeat valueString (the text as written) in every stored Phenotype
            "code": {"coding": [{"system": concept.system, "code": concept.code,
                                 **({"display": concept.display} if concept.display else {})}]},
            "derivedFrom": [{"reference": f"DocumentReference/{document['id']}"}],
            "valueString": concept.text,
        }
        if concept.history:
            resource["extension"].append({"url": canonical(self.config, "/StructureDefinition/phenotype-history"),
                                          "valueBoolean": True})
        subject = (document.get("subject") or {}).get("reference")
        if subject:
            resource["subject"] = {"reference": subject}
        encounters = (document.get("context") or {}).get("encounter") or []
        if encounters and encounters[0].get("reference"):
            resource["encounter"] = {"reference": encounters[0]["reference"]}
        return resource

    def local_terms(self) -> list["nlp.LocalTerm"]:
        """Concepts (display and designations) of every stored CodeSystem, read again once LOCAL_TERMS_SECONDS have
        passed or a CodeSystem was written through this process (:meth:`forget_local_terms`)."""
        cached = self._terms
        if cached is not None and cached[0] > self._terms_forgotten \
                and time.monotonic() - cached[0] < LOCAL_TERMS_SECONDS:  # a read begun before a write is stale
            return cached[1]
        read_at = time.monotonic()
        terms = self._read_local_terms()
        self._terms = (read_at, terms)
        return terms

    def forget_local_terms(self) -> None:
        """A CodeSystem changed: the next note is read with the stored ones."""
        self._terms_forgotten = time.monotonic()

    def _read_local_terms(self) -> list["nlp.LocalTerm"]:
        page = self.store.search("CodeSystem", {"concept": {"$exists": True}}, limit=10_000, count_total=False)
        terms = []
        for code_system in page.resources:
            url = code_system.get("url")
            if not url:
                continue
            for concept in _concepts(code_system.get("concept") or []):
                display = concept.get("display")
                synonyms = tuple(d["value"] for d in concept.get("designation") or [] if d.get("value"))
                if display or synonyms:
                    terms.append(nlp.LocalTerm(url, concept["code"], display or synonyms[0], synonyms))
        return terms

    # -- background and queue ----------------------------------------------------------------------------------
    def _in_background(self, document_id: str) -> None:
        """Queue for this process's worker thread, which waits for the engine to finish loading."""
        if self._backlog is None:
            self._backlog = queue.Queue()
            threading.Thread(target=self._drain, name="codoc-enrichment", daemon=True).start()
        self._backlog.put(document_id)

    def _drain(self) -> None:
        while True:
            document_id = self._backlog.get()
            try:
                self.enrich(document_id)
            except Exception as exc:  # noqa: BLE001 - keep the worker alive
                log.error("background enrichment failed: %s", type(exc).__name__)

    def _queue(self):
        if self._redis is None:
            import redis

            if not self.config.get("CODOC_REDIS_URL"):
                raise RuntimeError("CODOC_NLP=async needs CODOC_REDIS_URL")
            self._redis = redis.Redis.from_url(self.config["CODOC_REDIS_URL"])
        return self._redis

    def work(self, stop: threading.Event | None = None, timeout: int = 1, sweep_every: float = SWEEP_SECONDS,
             batch: int = BATCH) -> int:
        """The ``codoc worker`` loop: documents named in Redis, and every ``sweep_every`` seconds (at once again while
        it finds a full batch: a backlog) the pending jobs of MongoDB (lost wake-ups, dead workers); taken up to
        ``batch`` at a time, each claimed with a lease first. The engine reads a batch while a writer thread stores
        the previous one. Returns how many were taken."""
        done = 0
        engine = nlp.get_engine(wait=None)
        gc.freeze()  # what the process holds by now (app, engine) stays: out of the collector's walks (nlp/loader.py)
        last_sweep = 0.0
        with _Writer() as writer:
            while not (stop and stop.is_set()):
                try:
                    if time.monotonic() - last_sweep >= sweep_every:
                        jobs = self._unheld(batch)
                        if len(jobs) < batch:
                            last_sweep = time.monotonic()
                        if jobs:
                            done += self._take(jobs, engine, writer)
                            continue
                    try:
                        jobs = self._popped(batch, timeout)
                    except Exception:  # noqa: BLE001 - Redis down: the sweeps carry on alone
                        time.sleep(timeout)
                        continue
                    done += self._take(jobs, engine, writer)
                except StoreUnavailableError:  # what it took stays pending: taken again once its lease ends
                    log.warning("NLP worker: database unavailable; retrying in %.0f s", OUTAGE_SECONDS)
                    if stop is not None:
                        stop.wait(OUTAGE_SECONDS)
                    else:
                        time.sleep(OUTAGE_SECONDS)
        return done

    def sweep(self, engine: Any = None, limit: int = 100) -> int:
        """Enrich the pending documents whose job no worker holds (never claimed, or its lease expired), in batches;
        returns once their sets are stored."""
        jobs, done = self._unheld(limit), 0
        with _Writer() as writer:
            for start in range(0, len(jobs), BATCH):
                done += self._take(jobs[start:start + BATCH], engine, writer)
        return done

    def _unheld(self, limit: int) -> list[str]:
        """Pending jobs no worker holds: a lease of the past (0: never taken), or none (a record older than it)."""
        jobs = self.statuses.find({"status": PENDING, "lease": {"$lt": time.time()}}, limit)
        if len(jobs) < limit:
            jobs += self.statuses.find({"status": PENDING, "lease": {"$exists": False}}, limit - len(jobs))
        return [job["_id"] for job in jobs]

    def _popped(self, batch: int, timeout: int) -> list[str]:
        """Up to ``batch`` document ids from Redis: waits for one, takes those queued behind it (one round trip)."""
        redis = self._queue()
        item = redis.brpop([QUEUE_KEY], timeout=timeout)
        if item is None:
            return []
        pipeline = redis.pipeline()
        for _ in range(batch - 1):
            pipeline.rpop(QUEUE_KEY)
        return [i.decode() for i in (item[1], *pipeline.execute()) if i is not None]

    def _claim(self, document_ids: list[str]) -> list[tuple[str, dict]]:
        """Take pending jobs for LEASE_SECONDS (re-done by another worker if this one dies meanwhile), all in one
        write, then read them back in one look-up: those now naming this call's ``holder`` are taken (``tries``
        counts the attempts, so that a retry knows an earlier one may have left a set). Returns the jobs taken, as
        (id, record) pairs in the order asked."""
        now, holder = time.time(), random_hex()
        self.statuses.update_each(document_ids, {"$set": {"lease": now + LEASE_SECONDS, "holder": holder},
                                                 "$inc": {"tries": 1}},
                                  when={"status": PENDING, "$or": [{"lease": {"$lt": now}},
                                                                   {"lease": {"$exists": False}}]})
        jobs = {job["_id"]: job for job in self.statuses.find({"_id": {"$in": document_ids}}, len(document_ids))}
        return [(i, jobs[i]) for i in document_ids if jobs.get(i, {}).get("holder") == holder]

    def _take(self, document_ids: list[str], engine: Any, writer: "_Writer") -> int:
        """Claim jobs, read their notes (one look-up of documents, jobs and local terms for all), hand their sets to
        ``writer``; returns how many jobs were claimed."""
        taken = self._claim(list(dict.fromkeys(document_ids)))
        if not taken:
            return 0
        engine = engine or nlp.get_engine(wait=None)
        jobs = dict(taken)
        claimed = list(jobs)
        currents = self.store.currents("DocumentReference", claimed)
        terms = self.local_terms()
        sets: list[_Set] = []
        sliced = 0
        for document_id in claimed:
            current = currents.get(document_id)
            if current is None or current.resource is None:
                continue  # deleted or unknown meanwhile: a deletion records its own status
            document, note = current.resource, note_of(current.resource)
            if note.text is None:
                self._finish(document, None, [], SKIPPED, note.reason)
                continue
            concepts = self._read(document, note, engine, terms)
            if isinstance(concepts, dict):
                continue
            job = jobs.get(document_id) or {}
            sets.append(self._set(document, concepts, first="seq" not in job and job.get("tries") == 1))
            sliced += len(sets[-1].phenotypes)
            if sliced >= SLICE:  # the writers store this slice while the engine reads on
                writer.submit(functools.partial(self._store, sets))
                sets, sliced = [], 0
        if sets:
            writer.submit(functools.partial(self._store, sets))
        return len(claimed)

    def _set(self, document: dict, concepts: list["nlp.Concept"], first: bool = False) -> "_Set":
        run = _seq(int(document["meta"]["versionId"]), _run_id())
        return _Set(document, concepts, run, self.phenotypes(document, concepts, run), first)

    def _store(self, sets: list["_Set"]) -> None:
        """The Phenotypes of a batch in one insert per collection (first runs' visible, the others' hidden), then
        the commits: first runs' in one write, the others each on its own. Should the insert fail, each set is
        written on its own as a new hidden run (whose commit erases what the failed insert left): a failure is then
        one document's, whose job stays pending until its lease ends, and the others are stored."""
        try:
            for first in (True, False):
                phenotypes = [p for s in sets if s.first is first for p in s.phenotypes]
                if phenotypes:
                    self.store.create_many("Observation", phenotypes, [self._index_fields(p) for p in phenotypes],
                                           history=False, pending=not first)
        except Exception as exc:  # noqa: BLE001 - each set on its own below
            log.warning("a batch of %d Phenotype sets failed (%s): writing them one by one", len(sets),
                        type(exc).__name__)
            sets = [self._set(s.document, s.concepts) for s in sets]
            written = False
        else:
            written = True
        committed: set[str] = set()
        if written:  # first runs' pointers in one write; the others (and first runs refused there) one by one
            states = [self._state(s.document, s.run, len(s.phenotypes), DONE, None) for s in sets if s.first]
            try:
                committed = self._first_commits(states)
            except Exception as exc:  # noqa: BLE001 - which were written is unknown: their jobs stay pending
                log.error("committing %d first runs failed (%s): retried once their leases end", len(states),
                          type(exc).__name__)
                sets = [s for s in sets if not s.first]
        for item in sets:
            if item.document["id"] in committed:
                continue
            try:
                if written:
                    self._commit(item.document, item.run, len(item.phenotypes), DONE, None, item.first,
                                 first_refused=item.first)
                else:
                    self._finish(item.document, item.run, item.phenotypes, DONE, None)
            except Exception as exc:  # noqa: BLE001 - its job stays pending: retried once its lease ends
                log.error("storing the Phenotypes of a document failed: %s", type(exc).__name__)


@dataclass
class _Set:
    """The Phenotypes of one run of a document, not stored yet."""

    document: dict
    concepts: list
    run: str
    phenotypes: list[dict]
    first: bool


class _Writer:
    """Threads running the storage actions handed to them while the caller reads the next batch: two batches are
    stored at once (one thread's command runs on the store while the other prepares its next one), at most one more
    waits (the reader blocks beyond it). Leaving the ``with`` block waits for all of them."""

    THREADS = 2

    def __init__(self):
        self._actions: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=1)
        self._threads = [threading.Thread(target=self._run, name=f"codoc-enrichment-writer-{n}", daemon=True)
                         for n in range(self.THREADS)]
        for thread in self._threads:
            thread.start()

    def submit(self, action: Callable[[], None]) -> None:
        self._actions.put(action)

    def _run(self) -> None:
        while (action := self._actions.get()) is not None:
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - keep the writer alive; the jobs stay pending
                log.error("storing enrichment results failed: %s", type(exc).__name__)

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, *exc_info) -> None:
        for _ in self._threads:
            self._actions.put(None)
        for thread in self._threads:
            thread.join()


def _run_id() -> str:
    """Time-ordered and unique: later runs sort after earlier ones."""
    return f"{time.time_ns():020d}{uuid.uuid4().hex[:8]}"


def _seq(version: int, run: str) -> str:
    return f"{version:012d}:{run}"


def _older_than(seq: str) -> dict:
    """A status record whose committed run is older than ``seq`` (or that has none)."""
    return {"$or": [{"seq": {"$lt": seq}}, {"seq": {"$exists": False}}]}


def _concepts(concepts: Iterable[dict]) -> Iterable[dict]:
    for concept in concepts:
        yield concept
        yield from _concepts(concept.get("concept") or [])


def run_of(resource: dict, run_system: str) -> str | None:
    """The enrichment run (``seq``) a generated Phenotype belongs to: ``meta.source`` = ``{run_system}#{seq}`` (or,
    on Phenotypes stored before it moved there, a ``meta.tag`` of that system)."""
    meta = resource.get("meta") or {}
    source = meta.get("source")
    if isinstance(source, str) and source.startswith(f"{run_system}#"):
        return source[len(run_system) + 1:] or None
    for tag in meta.get("tag") or []:
        if tag.get("system") == run_system:
            return tag.get("code")
    return None


def source_of(resource: dict) -> str | None:
    """The id of the DocumentReference a Phenotype is derived from."""
    for derived in resource.get("derivedFrom") or []:
        reference = derived.get("reference") or ""
        if reference.startswith("DocumentReference/"):
            return reference.split("/", 1)[1]
    return None
