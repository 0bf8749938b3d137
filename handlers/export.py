"""FHIR Bulk Data export jobs: durable in ``Export_4_3_0``, their NDJSON files as documents of ``ExportFile_4_3_0``.

A kick-off inserts a job and returns. A worker (a thread of an API process, or ``codoc worker``) claims it with a
lease (a compare-and-set on the job), pages through each type with ``FHIRStore.scan`` (live resources only, in id
order) and cuts the NDJSON into files of about ``CODOC_EXPORT_FILE_BYTES``. Each file is written under the id
``{job}/{n}`` (n = the job's ``next``), then committed by one write to the job, guarded by the lease: it moves the
type's cursor (the last id written), appends the file to ``output`` and renews the lease. A worker that dies loses
its lease; the next one resumes after the cursor and writes the file in flight again under the same id. A worker
that lost its lease (another took over, or the job was cancelled) stops at its next commit and removes the file it
had just written. Files are documents, not local files: every API process can serve them (the app is stateless).
Finished, failed and cancelled jobs are removed with their files after ``CODOC_EXPORT_RETENTION`` seconds.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import orjson

from config import VERSION_SUFFIX
from fhirstore import FHIRStore, now_instant
from fhirstore.errors import FHIRError, StoreUnavailableError

log = logging.getLogger("codoc.export")

JOBS = f"Export_{VERSION_SUFFIX}"
FILES = f"ExportFile_{VERSION_SUFFIX}"
ACCEPTED, RUNNING, DONE, FAILED, CANCELLED = "accepted", "running", "done", "failed", "cancelled"
#: A job whose worker died this many times (or that failed as often) is given up as failed.
MAX_ATTEMPTS = 5
#: An in-process worker thread with nothing to do for this long exits (the next kick-off or poll restarts it).
IDLE_SECONDS = 30.0
#: Most seconds between two looks for jobs (lost wake-ups, expired leases, expired jobs to clean).
SWEEP_SECONDS = 5.0
#: Resources fetched per round trip while a type is paged through.
SCAN_BATCH = 1000


@dataclass
class Part:
    """NDJSON lines of one type being gathered into a file."""

    resource_type: str
    lines: list[bytes]
    ids: list[str]
    size: int = 0

    def add(self, resource: dict) -> None:
        line = orjson.dumps(resource)
        self.lines.append(line)
        self.ids.append(resource["id"])
        self.size += len(line) + 1

    def text(self) -> str:
        return (b"\n".join(self.lines) + b"\n").decode() if self.lines else ""


class JobLostError(Exception):
    """This worker no longer holds the job (its lease expired and another took it, or the job was cancelled)."""


def since_query(since: str | None) -> dict:
    """Live resources last updated at or after ``since`` (the indexed ``meta.lastUpdated``), or all of them."""
    return {"meta.lastUpdated": {"$gte": since}} if since else {}


def resources(store: FHIRStore, resource_type: str, since: str | None = None,
              after: str | None = None) -> Iterator[dict]:
    """Every live resource of a type (updated since ``since``), in id order after the id ``after``.

    Checked again here: nx-27017 compares instants in a range to the second, so its answer may hold resources of
    the same second just before ``since``."""
    query = since_query(since)
    if after is not None:
        query["_id"] = {"$gt": after}
    for resource in store.scan(resource_type, query, SCAN_BATCH):
        if since is None or resource["meta"]["lastUpdated"] >= since:
            yield resource


def write_files(store: FHIRStore, types: Iterable[str], since: str | None, directory: str,
                progress_for: Callable[[str, int], Callable[[int], None] | None] = lambda t, n: None
                ) -> dict[str, int]:
    """``codoc export``: one ``{Type}.ndjson`` per type in ``directory``; returns the count per type."""
    os.makedirs(directory, exist_ok=True)
    counts = {}
    for resource_type in types:
        progress = progress_for(resource_type, store.count(resource_type))
        count = 0
        with open(os.path.join(directory, f"{resource_type}.ndjson"), "wb") as out:
            for resource in resources(store, resource_type, since):
                out.write(orjson.dumps(resource) + b"\n")
                count += 1
                if progress and count % SCAN_BATCH == 0:
                    progress(SCAN_BATCH)
        if progress and count % SCAN_BATCH:
            progress(count % SCAN_BATCH)
        counts[resource_type] = count
    return counts


class Exporter:
    """Export jobs of one app: kick-off, status, files, cancel; the worker loop that runs them."""

    def __init__(self, store: FHIRStore, config: dict[str, Any]):
        self.store = store
        self.config = config
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None

    @property
    def jobs(self):
        return self.store.records(JOBS)

    @property
    def files(self):
        return self.store.records(FILES)

    @property
    def lease_seconds(self) -> float:
        return float(self.config["CODOC_EXPORT_LEASE"])

    # -- the API's side ----------------------------------------------------------------------------------------
    def kick_off(self, types: list[str], since: str | None, request_url: str, owner: str,
                 requires_token: bool) -> dict:
        """Record a new job (one write) and wake a worker; returns the job."""
        job = {"_id": str(uuid.uuid4()), "status": ACCEPTED, "owner": owner, "types": types, "since": since,
               "request": request_url, "transactionTime": now_instant(), "requiresAccessToken": requires_token,
               "created": time.time(), "cursor": {}, "finished_types": [], "output": [], "next": 0,
               "exported": 0, "attempts": 0}
        self.jobs.insert(job)
        self.wake()
        return job

    def job(self, job_id: str) -> dict | None:
        """The job, or None (unknown, cancelled or expired)."""
        job = self.jobs.get(job_id)
        if job is None or job["status"] == CANCELLED or job.get("expires", float("inf")) < time.time():
            return None
        if job["status"] in (ACCEPTED, RUNNING) and job.get("lease", 0) < time.time():
            self.wake()  # nobody holds it (not started, or its worker died): make sure a worker looks
        return job

    def file(self, job_id: str, number: int) -> dict | None:
        return self.files.get(f"{job_id}/{number}")

    def cancel(self, job_id: str) -> bool:
        """Stop the job (its worker loses the lease) and remove its files and itself; False when unknown."""
        if not self.jobs.update(job_id, {"$set": {"status": CANCELLED, "expires": time.time()},
                                         "$unset": {"lease_id": ""}}, when={"status": {"$ne": CANCELLED}}):
            return False
        job = self.jobs.get(job_id)
        if job is not None:
            self._remove(job)
        return True

    # -- the worker's side -------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Make sure a worker looks for jobs soon: this process's thread when CODOC_EXPORT_IN_PROCESS is on."""
        if not self.config.get("CODOC_EXPORT_IN_PROCESS", True):
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self.work, kwargs={"idle_exit": IDLE_SECONDS},
                                                name="codoc-export", daemon=True)
                self._thread.start()
        self._wake.set()

    def work(self, stop: threading.Event | None = None, idle_exit: float | None = None) -> int:
        """Run jobs until ``stop`` is set (or, with ``idle_exit``, after that long without one); returns how many
        were finished. Also removes expired jobs."""
        self._stop = stop
        done, idle_since, last_clean = 0, time.monotonic(), 0.0
        sweep = min(SWEEP_SECONDS, self.lease_seconds / 2)
        while not (stop and stop.is_set()):
            self._wake.clear()
            try:
                if time.monotonic() - last_clean >= SWEEP_SECONDS:
                    last_clean = time.monotonic()
                    self.clean()
                if self.run_next():
                    done += 1
                    idle_since = time.monotonic()
                    continue
            except StoreUnavailableError:
                log.warning("export worker: database unavailable; retrying")
            except Exception as exc:  # noqa: BLE001 - keep the worker alive
                log.error("export worker: %s", type(exc).__name__)
            if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                return done
            self._wake.wait(sweep)
        return done

    def run_next(self) -> bool:
        """Claim one job no worker holds and run it; False when there is none."""
        job = self._claim()
        if job is None:
            return False
        self.run(job)
        return True

    def _claim(self) -> dict | None:
        now = time.time()
        free = {"status": {"$in": [ACCEPTED, RUNNING]}, "$or": [{"lease": {"$lt": now}},
                                                                 {"lease": {"$exists": False}}]}
        # the job collection is small (jobs expire): looking through it off the request path is cheap
        for job in self.jobs.find(free, limit=20):
            lease_id = uuid.uuid4().hex
            if job.get("attempts", 0) >= MAX_ATTEMPTS:
                self._fail(job, None, f"given up after {MAX_ATTEMPTS} attempts")
                continue
            if self.jobs.update(job["_id"], {"$set": {"status": RUNNING, "lease": now + self.lease_seconds,
                                                      "lease_id": lease_id, "attempts": job.get("attempts", 0) + 1}},
                                when={**free, "lease_id": job.get("lease_id")} if job.get("lease_id") else free):
                return self.jobs.get(job["_id"])
        return None

    def run(self, job: dict) -> None:
        """Export every type of the job from where it stands, file by file; mark it done."""
        try:
            if "total" not in job:
                self._commit(job, {"total": sum(self.store.count(t) for t in job["types"])})
            limit = int(self.config["CODOC_EXPORT_FILE_BYTES"])
            for resource_type in job["types"]:
                if resource_type in job["finished_types"]:
                    continue
                part = Part(resource_type, [], [])
                for resource in resources(self.store, resource_type, job["since"], job["cursor"].get(resource_type)):
                    part.add(resource)
                    if part.size >= limit:
                        self._write(job, part, finished=False)
                        part = Part(resource_type, [], [])
                self._write(job, part, finished=True)
            self._commit(job, {"status": DONE, "finished": now_instant(),
                               "expires": time.time() + float(self.config["CODOC_EXPORT_RETENTION"])},
                         unset=("lease", "lease_id"))
            log.info("export %s done: %d resources in %d files", job["_id"], job["exported"], len(job["output"]))
        except JobLostError:
            log.info("export %s: lease lost (cancelled or taken over); this worker stops", job["_id"])
        except StoreUnavailableError:
            raise  # the lease expires; a worker retries the job later
        except FHIRError as exc:
            self._fail(job, job.get("lease_id"), exc.diagnostics)
        except Exception as exc:  # noqa: BLE001 - the job says why (the type only: a message may hold data)
            log.error("export %s failed: %s", job["_id"], type(exc).__name__)
            self._fail(job, job.get("lease_id"), f"unexpected {type(exc).__name__}")

    def _write(self, job: dict, part: Part, finished: bool) -> None:
        """Write one file (if it has lines) and commit it: cursor, output, lease; then pause as configured."""
        changes: dict[str, Any] = {}
        number = job["next"]
        if part.lines:
            file_id = f"{job['_id']}/{number}"
            self.files.replace({"_id": file_id, "job": job["_id"], "type": part.resource_type,
                                "count": len(part.lines), "ids": part.ids, "ndjson": part.text()}, upsert=True)
            changes = {f"cursor.{part.resource_type}": part.ids[-1], "next": number + 1,
                       "exported": job["exported"] + len(part.lines),
                       "output": [*job["output"], {"type": part.resource_type, "n": number,
                                                   "count": len(part.lines)}]}
        if finished:
            changes["finished_types"] = [*job["finished_types"], part.resource_type]
        try:
            self._commit(job, changes)
        except JobLostError:
            if part.lines:
                self.files.delete(f"{job['_id']}/{number}")
            raise
        job["cursor"] = {**job["cursor"], **({part.resource_type: part.ids[-1]} if part.lines else {})}
        if self._stop is not None and self._stop.is_set():  # shutting down: hand the job over now
            self.jobs.update(job["_id"], {"$set": {"lease": 0}}, when={"lease_id": job["lease_id"]})
            raise JobLostError(job["_id"])
        pause = float(self.config.get("CODOC_EXPORT_PAUSE") or 0)
        if pause and part.lines:
            time.sleep(pause)

    def _commit(self, job: dict, changes: dict, unset: tuple[str, ...] = ()) -> None:
        """One write to the job, if this worker still holds it; renews the lease. :raises JobLostError:"""
        lease = time.time() + self.lease_seconds
        update: dict[str, Any] = {"$set": {**changes, "lease": lease}}
        if unset:
            update = {"$set": changes, "$unset": {name: "" for name in unset}}
        if not self.jobs.update(job["_id"], update, when={"lease_id": job["lease_id"], "status": RUNNING}):
            raise JobLostError(job["_id"])
        job.update({k: v for k, v in changes.items() if "." not in k}, lease=lease)

    def _fail(self, job: dict, lease_id: str | None, reason: str) -> None:
        log.error("export %s failed", job["_id"])
        when = {"lease_id": lease_id} if lease_id else {"status": job["status"]}
        self.jobs.update(job["_id"], {"$set": {"status": FAILED, "reason": reason, "expires": time.time() + float(
            self.config["CODOC_EXPORT_RETENTION"])}, "$unset": {"lease": "", "lease_id": ""}}, when=when)

    def clean(self) -> int:
        """Remove jobs past their retention (and cancelled ones) with their files; returns how many."""
        expired = self.jobs.find({"expires": {"$lt": time.time()}}, limit=100)
        for job in expired:
            self._remove(job)
        return len(expired)

    def _remove(self, job: dict) -> None:
        """Files first (``0..next``: the one in flight included), then the job: a crash leaves the job to retry."""
        for number in range(job.get("next", 0) + 1):
            self.files.delete(f"{job['_id']}/{number}")
        self.jobs.delete(job["_id"])
