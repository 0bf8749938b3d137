"""The enrichment worker through HTTP (issue 15): jobs taken in batches, each document gets exactly its own set, a
failure is one document's, a crash mid-batch is retried without duplicate sets; slimmer search keys."""
from __future__ import annotations

import threading

import pytest

import nlp
from bench.store import CommandCounter
from handlers import enrichment
from tests.conftest import BASE
from tests.test_enrichment import ICD10, NOTE, b64, document, engine, settings, status_of  # noqa: F401

pytestmark = [pytest.mark.nlp, pytest.mark.settings(CODOC_REDIS_URL="redis://127.0.0.1:9/0")]
NOTES = (NOTE, "Fibrillation auriculaire sous apixaban. Pas de diabète de type 2.",
         "Asthme connu, traité par salbutamol. Pas de BPCO.", "Insuffisance rénale chronique. HTA.",
         "Cancer du sein chez la mère. Patiente diabétique de type 2.")


@pytest.fixture
def enricher(app):
    enricher = app.extensions["codoc.registry"].enricher
    enricher.mode = "async"  # the module's settings turn NLP on; the Redis URL of the marker is unreachable
    return enricher


def pending_documents(client, notes=NOTES) -> list[tuple[str, str]]:
    """(document id, patient id) of notes stored with their enrichment pending, one patient each."""
    stored = []
    for note in notes:
        patient = client.post(f"{BASE}/Patient", json={"resourceType": "Patient"}).get_json()["id"]
        created = client.post(f"{BASE}/DocumentReference", json=document(patient, b64(note)))
        assert created.status_code == 201 and status_of(created.get_json())["status"] == "pending"
        stored.append((created.get_json()["id"], patient))
    return stored


def state(client, document_id: str) -> dict:
    parameters = client.get(f"{BASE}/DocumentReference/{document_id}/$enrichment-status").get_json()["parameter"]
    return {p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in parameters}


def set_of(client, document_id: str) -> list[dict]:
    bundle = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{document_id}&_count=100").get_json()
    return [e["resource"] for e in bundle.get("entry", [])]


def assert_one_set_each(client, store, stored: list[tuple[str, str]]) -> None:
    """Each document: status done, its Phenotypes those of one run, about its patient; nothing else stored."""
    total = 0
    for document_id, patient in stored:
        status = state(client, document_id)
        found = set_of(client, document_id)
        assert status["status"] == "done" and status["phenotypes"] == len(found) > 0, status
        assert len({p["meta"]["source"] for p in found}) == 1
        assert {p["subject"]["reference"] for p in found} == {f"Patient/{patient}"}
        total += len(found)
    assert store.collection("Observation").count_documents({}) == total


def expire_leases(enricher, stored) -> None:
    for document_id, _ in stored:
        enricher.statuses.update(document_id, {"$set": {"lease": 0.0}})


def test_a_batch_gives_each_document_exactly_its_own_phenotypes(client, store, enricher, engine):  # noqa: F811
    stored = pending_documents(client)
    assert enricher.sweep(engine) == len(stored)
    assert_one_set_each(client, store, stored)
    assert enricher.sweep(engine) == 0  # a job is taken once


def test_a_first_attempt_needs_no_publish_nor_look_up_of_older_sets(client, store, enricher, engine,  # noqa: F811
                                                                    monkeypatch):
    stored = pending_documents(client, NOTES[:3])

    def refused(*args, **kwargs):
        raise AssertionError("the first attempt of a job with no committed run must not publish nor erase")

    monkeypatch.setattr(store, "publish", refused)
    monkeypatch.setattr(store, "expunge_many", refused)
    assert enricher.sweep(engine) == 3
    assert_one_set_each(client, store, stored)


def test_a_note_the_engine_fails_on_does_not_lose_the_others(client, store, enricher, engine,  # noqa: F811
                                                             monkeypatch):
    stored = pending_documents(client, NOTES[:3])
    extract = type(engine).extract

    def failing(self, text, local_terms=()):
        if text == NOTES[1]:
            raise RuntimeError("boom")
        return extract(self, text, local_terms)

    monkeypatch.setattr(type(engine), "extract", failing)
    assert enricher.sweep(engine) == 3
    failed = state(client, stored[1][0])
    assert failed["status"] == "failed" and "RuntimeError" in failed["reason"] and not set_of(client, stored[1][0])
    assert_one_set_each(client, store, [stored[0], stored[2]])


def test_a_set_that_cannot_be_stored_is_one_documents_failure_retried_later(client, store, enricher,  # noqa: F811
                                                                           engine, monkeypatch):
    stored = pending_documents(client, NOTES[:3])
    broken = f"DocumentReference/{stored[1][0]}"
    create_many = store.create_many

    def refusing(resource_type, resources, *args, **kwargs):
        if any(r["derivedFrom"][0]["reference"] == broken for r in resources):
            raise RuntimeError("store hiccup")
        return create_many(resource_type, resources, *args, **kwargs)

    monkeypatch.setattr(store, "create_many", refusing)
    assert enricher.sweep(engine) == 3
    for document_id, _ in (stored[0], stored[2]):
        assert state(client, document_id)["status"] == "done"
    assert state(client, stored[1][0])["status"] == "pending" and not set_of(client, stored[1][0])
    assert enricher.sweep(engine) == 0  # its lease holds it
    monkeypatch.setattr(store, "create_many", create_many)
    expire_leases(enricher, stored[1:2])
    assert enricher.sweep(engine) == 1
    assert_one_set_each(client, store, stored)


def test_a_crash_mid_batch_is_retried_without_duplicate_sets(client, store, enricher, engine,  # noqa: F811
                                                             monkeypatch):
    """The sets are inserted (visible: first attempts), the worker dies before any pointer write: once the leases
    end, the retries commit one set each and erase what the dead attempt left."""
    stored = pending_documents(client, NOTES[:4])

    def crash(*args, **kwargs):
        raise SystemError("the worker died here")

    monkeypatch.setattr(enricher, "_commit", crash)
    monkeypatch.setattr(enricher, "_first_commits", crash)
    assert enricher.sweep(engine) == 4
    assert all(state(client, d)["status"] == "pending" for d, _ in stored)
    left = store.collection("Observation").count_documents({})
    assert left > 0
    monkeypatch.undo()
    expire_leases(enricher, stored)
    assert enricher.sweep(engine) == 4
    assert_one_set_each(client, store, stored)
    assert store.collection("Observation").count_documents({}) < 2 * left


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)  # 50 documents' sets read back
def test_the_worker_loop_drains_a_backlog_in_batches(client, store, enricher, engine):  # noqa: F811
    stored = pending_documents(client, NOTES * 10)  # 50 jobs: two batches
    stop = threading.Event()
    loop = threading.Thread(target=enricher.work, args=(stop,), kwargs={"timeout": 0, "sweep_every": 0.01})
    loop.start()
    try:
        for _ in range(600):
            if not enricher.statuses.find({"status": "pending"}, 1):
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        loop.join()
    assert_one_set_each(client, store, stored)


def test_a_job_recorded_before_leases_were_set_is_still_taken(client, store, enricher, engine):  # noqa: F811
    stored = pending_documents(client, NOTES[:1])
    enricher.statuses.update(stored[0][0], {"$unset": {"lease": ""}})
    assert enricher.sweep(engine) == 1
    assert_one_set_each(client, store, stored)


def test_re_running_one_document_leaves_the_other_jobs_alone(client, store, enricher, engine):  # noqa: F811
    """Status writes are compare-and-sets on one record (nx-27017 once applied an $or filter to another one)."""
    stored = pending_documents(client, NOTES[:3])
    assert enricher.sweep(engine) == 3
    counts = {d: state(client, d)["phenotypes"] for d, _ in stored}
    again = pending_documents(client, NOTES[3:])
    assert enricher.enrich(stored[1][0], nlp.get_engine(wait=None))["status"] == "done"
    assert {d: state(client, d)["phenotypes"] for d, _ in stored} == counts
    assert all(state(client, d)["status"] == "pending" for d, _ in again)
    assert len(enricher.statuses.find({}, 100)) == len(stored) + len(again)
    assert_one_set_each(client, store, stored)


def test_a_generated_phenotype_is_one_document_and_every_search_still_finds_it(app, client, store,
                                                                               enricher, engine):  # noqa: F811
    """Its search keys are held inline (profile, both code forms, derived-from): the only SearchKey document left
    is its subject's reference key (what refuses the patient's deletion)."""
    (document_id, patient), = pending_documents(client, NOTES[:1])
    enricher.sweep(engine)
    found = set_of(client, document_id)
    profile = found[0]["meta"]["profile"][0]
    for phenotype in found:
        assert "tag" not in phenotype["meta"] and phenotype["meta"]["source"].startswith(enricher.run_system + "#")
        internal = store.collection("Observation").find_one({"_id": phenotype["id"]})["_codoc"]
        assert internal["keys"] == [f"@|Patient/{patient}"], internal
        assert sorted(internal["ik"]) == ["_profile", "code", "code_s", "derived_from"], internal
        assert store.keys.count_documents({"r": f"Observation/{phenotype['id']}"}) == 1
    hypertension = next(p for p in found if p["code"]["coding"][0]["code"] == "I10")
    for query in (f"derived-from=DocumentReference/{document_id}", f"subject=Patient/{patient}",
                  f"patient={patient}", f"code={ICD10}|I10", "code=I10", f"_profile={profile}&code=I10",
                  f"_id={hypertension['id']}", "assertion=affirmed&code=I10"):
        bundle = client.get(f"{BASE}/phenotype/?{query}&_count=100").get_json()
        assert hypertension["id"] in {e["resource"]["id"] for e in bundle.get("entry", [])}, query
    everything = client.get(f"{BASE}/Patient/{patient}/$everything?_count=1000").get_json()
    assert {p["id"] for p in found} <= {e["resource"]["id"] for e in everything.get("entry", [])}
    assert client.delete(f"{BASE}/Patient/{patient}").status_code == 409
    assert app.extensions["codoc.registry"].reindex()["Observation"] == 0  # codoc reindex: nothing to change
    assert client.delete(f"{BASE}/DocumentReference/{document_id}").status_code in (200, 204)
    assert store.collection("Observation").count_documents({}) == 0


def test_a_first_run_whose_pointer_another_run_took_meanwhile_loses_cleanly(client, store, enricher,  # noqa: F811
                                                                           engine, monkeypatch):
    """The batch's first runs are committed in one write; one of them finds its pointer already naming a run (an
    ``$enrich`` committed meanwhile): that one goes through the ordered swap, which the later run wins."""
    stored = pending_documents(client, NOTES[:3])
    first_commits = enricher._first_commits

    def racing(states):
        enricher.enrich(stored[1][0], engine)  # a later run of the second document, committed first
        return first_commits(states)

    monkeypatch.setattr(enricher, "_first_commits", racing)
    assert enricher.sweep(engine) == 3
    assert_one_set_each(client, store, stored)
    winner = enricher.statuses.get(stored[1][0])["run"]
    assert {p["meta"]["source"].rpartition("#")[2] for p in set_of(client, stored[1][0])} == {winner}


CommandCounter.install()  # counts the commands of the clients made after it


@pytest.mark.parametrize("backend", [pytest.param("wire", marks=pytest.mark.wire)])
def test_a_batch_costs_the_same_round_trips_whatever_its_size(client, store, enricher, engine):  # noqa: F811
    """Claims, look-ups, inserts and first commits are one command each for the whole batch (nx-27017)."""
    costs, everything = [], []
    for notes in (NOTES[:2], NOTES * 3):
        everything += pending_documents(client, notes)
        enricher.forget_local_terms()  # both sweeps read the CodeSystems (a cached read costs none)
        before = CommandCounter.count
        assert enricher.sweep(engine) == len(notes)
        costs.append(CommandCounter.count - before)
        assert_one_set_each(client, store, everything)
    assert costs[0] == costs[1] <= 9, costs  # sweep, claim, jobs, notes, terms, marks, keys, Phenotypes, commits


def test_a_batch_is_stored_in_slices_each_keeping_exactly_its_own_set(client, store, enricher,
                                                                    engine, monkeypatch):  # noqa: F811
    """The writers get a batch in slices of about SLICE Phenotypes (the store writes one while the engine reads on)."""
    stored = pending_documents(client, NOTES * 2)
    slices = []
    keep = enricher._store
    monkeypatch.setattr(enrichment, "SLICE", 3)
    monkeypatch.setattr(enricher, "_store", lambda sets: (slices.append(len(sets)), keep(sets)))
    assert enricher.sweep(engine) == len(stored)
    assert len(slices) > 1 and sum(slices) == len(stored)
    assert_one_set_each(client, store, stored)


LOCAL = "https://chu-exemple.fr/fhir/CodeSystem/phenotypes-locaux"


def test_the_stored_codesystems_are_read_once_then_again_after_one_is_written(client, store, enricher,
                                                                             engine, monkeypatch):  # noqa: F811
    reads = []
    keep = enricher._read_local_terms
    monkeypatch.setattr(enricher, "_read_local_terms", lambda: (reads.append(1), keep())[1])
    enricher.forget_local_terms()
    first = pending_documents(client, ["Syndrome de Brugada-Codoc typique."])
    assert enricher.sweep(engine) == 1 and len(reads) == 1
    second = pending_documents(client, ["Syndrome de Brugada-Codoc typique."])
    assert enricher.sweep(engine) == 1 and len(reads) == 1  # reused: no look-up of the CodeSystems
    assert not any(c["system"] == LOCAL for p in set_of(client, second[0][0]) for c in p["code"]["coding"])
    code_system = {"resourceType": "CodeSystem", "url": LOCAL, "status": "active", "content": "complete",
                   "concept": [{"code": "SBC", "display": "syndrome de Brugada-Codoc"}]}
    assert client.post(f"{BASE}/CodeSystem", json=code_system).status_code == 201
    third = pending_documents(client, ["Syndrome de Brugada-Codoc typique."])
    assert enricher.sweep(engine) == 1 and len(reads) == 2  # the write through this process forgot them
    assert any(c["system"] == LOCAL and c["code"] == "SBC"
               for p in set_of(client, third[0][0]) for c in p["code"]["coding"])
    code_system_id = client.get(f"{BASE}/CodeSystem?url={LOCAL}").get_json()["entry"][0]["resource"]["id"]
    store.delete("CodeSystem", code_system_id)  # as another process would: this one's cache does not hear of it
    fourth = pending_documents(client, ["Syndrome de Brugada-Codoc typique."])
    assert enricher.sweep(engine) == 1 and len(reads) == 2  # within LOCAL_TERMS_SECONDS: the concepts as read
    assert any(c["system"] == LOCAL for p in set_of(client, fourth[0][0]) for c in p["code"]["coding"])
    monkeypatch.setattr(enrichment, "LOCAL_TERMS_SECONDS", 0.0)  # once they expire, the store's are read again
    fifth = pending_documents(client, ["Syndrome de Brugada-Codoc typique."])
    assert enricher.sweep(engine) == 1 and len(reads) == 3
    assert not any(c["system"] == LOCAL for p in set_of(client, fifth[0][0]) for c in p["code"]["coding"])
    assert_one_set_each(client, store, first + second + third + fourth + fifth)
