"""Round trips to MongoDB per request, counted like a budget (pymongo CommandListener, nx-27017), and search keys
under concurrent writers (never a deleted or stale match)."""
from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from pymongo import monitoring

from tests.conftest import BASE
from tests.hospital_fixtures import race

pytestmark = pytest.mark.wire
IPP = "urn:oid:1.2.250.1.71.4.2.1"


class Commands(monitoring.CommandListener):
    """The commands sent to each database (the audit trail's own writes counted apart)."""

    def __init__(self):
        self.seen: Counter = Counter()
        self.audit: Counter = Counter()
        self.names: list[tuple[str, str]] = []  # (database, "command collection")

    def started(self, event):
        target = event.command.get(event.command_name)
        counter = self.audit if isinstance(target, str) and target.startswith("AuditEvent") else self.seen
        database = event.database_name
        if event.command_name == "bulkWrite":  # client-level: sent to admin, names its collections in nsInfo
            database = event.command["nsInfo"][0]["ns"].partition(".")[0]
        counter[database] += 1
        self.names.append((database, f"{event.command_name} {target}"))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


LISTENER = Commands()
monitoring.register(LISTENER)


@pytest.fixture
def backend():
    return "wire"


@pytest.fixture
def count(settings, client):
    """``count(call)`` → round trips of the request ``call()`` makes (the audit's excluded)."""
    database = settings["CODOC_MONGO_DB"]

    def counted(call):
        before = LISTENER.seen[database]
        response = call()
        return response, LISTENER.seen[database] - before
    return counted


def patient(value: str, family: str = "Dupont") -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": IPP, "value": value, "use": "official"}],
            "name": [{"family": family, "given": ["Jean"]}], "gender": "male", "birthDate": "1980-01-01"}


def test_round_trip_budget_of_each_interaction(client, count):
    created, trips = count(lambda: client.post(f"{BASE}/Patient", json=patient("RT-1")))
    assert created.status_code == 201 and trips == 1  # claim, keys and document in one client-level bulkWrite
    pid = created.get_json()["id"]
    read, trips = count(lambda: client.get(f"{BASE}/Patient/{pid}"))
    assert read.status_code == 200 and trips == 1
    changed = {**read.get_json(), "name": [{"family": "Durand", "given": ["Jean"]}]}
    updated, trips = count(lambda: client.put(f"{BASE}/Patient/{pid}", json=changed))
    assert updated.status_code == 200 and trips <= 4
    found, trips = count(lambda: client.get(f"{BASE}/Patient?identifier={IPP}|RT-1"))
    assert [e["resource"]["id"] for e in found.get_json()["entry"]] == [pid] and trips <= 2
    found, trips = count(lambda: client.get(f"{BASE}/Patient?family=durand"))
    assert found.get_json()["total"] == 1 and trips <= 2
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "poids"},
                   "subject": {"reference": f"Patient/{pid}"}}
    obs, trips = count(lambda: client.post(f"{BASE}/Observation", json=observation))
    assert obs.status_code == 201 and trips <= 3  # + the check that the subject is live
    same_subject = {**observation, "id": obs.get_json()["id"], "status": "amended"}
    changed, trips = count(lambda: client.put(f"{BASE}/Observation/{same_subject['id']}", json=same_subject))
    assert changed.status_code == 200 and trips <= 3  # its subject is already held: no check that it is live
    elsewhere = {**same_subject, "performer": [{"reference": "Patient/nobody-here"}]}
    refused = client.put(f"{BASE}/Observation/{same_subject['id']}", json=elsewhere)
    assert refused.status_code == 422 and "Patient/nobody-here" in refused.get_data(as_text=True)
    deleted, trips = count(lambda: client.delete(f"{BASE}/Observation/{obs.get_json()['id']}"))
    assert deleted.status_code == 204 and trips <= 4
    deleted, trips = count(lambda: client.delete(f"{BASE}/Patient/{pid}"))
    assert deleted.status_code == 204 and trips <= 4


def test_a_create_whose_ipp_is_held_writes_nothing_in_its_single_round_trip(app, client, count):
    first = client.post(f"{BASE}/Patient", json=patient("RT-HELD"))
    assert first.status_code == 201
    store = app.extensions["codoc.store"]
    before = (store.keys.count_documents({}), store.collection("Patient").count_documents({}))
    second, trips = count(lambda: client.post(f"{BASE}/Patient", json=patient("RT-HELD", family="Autre")))
    assert second.status_code == 409 and second.get_json()["resourceType"] == "OperationOutcome"
    assert (store.keys.count_documents({}), store.collection("Patient").count_documents({})) == before
    assert trips <= 4  # the refused bulkWrite, then the claim settled step by step (holder found, still live)
    found = client.get(f"{BASE}/Patient?identifier={IPP}|RT-HELD").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [first.get_json()["id"]]
    assert client.get(f"{BASE}/Patient?family=autre").get_json()["total"] == 0


def test_a_common_name_costs_the_same_round_trips_whatever_its_matches(client, count):
    trips = []
    for size in (30, 300):
        family = f"Common{size}"
        bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "POST", "url": "Patient"}, "resource": patient(f"{family}-{n}", family)}
            for n in range(size)]}
        assert client.post(f"{BASE}/", json=bundle).status_code == 200
        found, spent = count(lambda: client.get(f"{BASE}/Patient?family={family}&_count=5"))
        assert found.get_json()["total"] == size and len(found.get_json()["entry"]) == 5
        trips.append(spent)
    # the name's first key page, a look past it (a prefix may cover longer names), documents, one indexed count
    assert trips[0] == trips[1] <= 4, trips


def test_history_of_a_first_version_is_served_from_the_current_document(client):
    pid = client.post(f"{BASE}/Patient", json=patient("RT-2")).get_json()["id"]
    assert client.get(f"{BASE}/Patient/{pid}/_history/1").status_code == 200
    history = client.get(f"{BASE}/Patient/{pid}/_history").get_json()
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["1"]
    client.delete(f"{BASE}/Patient/{pid}")
    assert client.get(f"{BASE}/Patient/{pid}/_history/1").status_code == 200
    assert client.get(f"{BASE}/Patient/{pid}/_history/2").status_code == 410
    recreated = client.put(f"{BASE}/Patient/{pid}", json={**patient("RT-2"), "id": pid})
    assert recreated.get_json()["meta"]["versionId"] == "3"
    history = client.get(f"{BASE}/Patient/{pid}/_history").get_json()
    assert [e["response"]["status"] for e in history["entry"]] == ["200 OK", "410 Gone", "201 Created"]


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
def test_searches_never_return_a_deleted_or_stale_match_while_writers_race(app, client):
    """Writers rename and delete patients while readers search: every match holds what was searched for."""
    ids = [client.post(f"{BASE}/Patient", json=patient(f"RACE-{i}", "Alpha")).get_json()["id"] for i in range(6)]
    problems = []

    def writer(pid: str, n: int):
        own = app.test_client()
        for i in range(8):
            current = own.get(f"{BASE}/Patient/{pid}").get_json()
            family = "Alpha" if i % 2 else "Beta"
            own.put(f"{BASE}/Patient/{pid}", json={**current, "name": [{"family": family, "given": ["Jean"]}]})
        if n % 2:
            own.delete(f"{BASE}/Patient/{pid}")

    def reader(stop):
        own = app.test_client()
        while not stop.is_set():
            for family in ("alpha", "beta", "Alpha", "Beta"):  # capitalized: `:exact`, checked on the document
                exact = family[0].isupper()
                query = f"family:exact={family}" if exact else f"family={family}"
                bundle = own.get(f"{BASE}/Patient?{query}&_count=100").get_json()
                for entry in bundle.get("entry", []):
                    name = entry["resource"].get("name", [{}])[0].get("family", "")
                    if (name if exact else name.lower()) != family:
                        problems.append((family, name))
                    if entry["resource"].get("resourceType") != "Patient" or "meta" not in entry["resource"]:
                        problems.append(("not a live patient", entry["resource"].get("id")))

    race([partial(writer, pid, n) for n, pid in enumerate(ids)], reader)
    assert problems == []
    live = {pid for n, pid in enumerate(ids) if n % 2 == 0}
    found = client.get(f"{BASE}/Patient?family=alpha&_count=100").get_json()
    assert {e["resource"]["id"] for e in found.get("entry", [])} == live
    assert client.get(f"{BASE}/Patient?family=beta").get_json()["total"] == 0
    exact = client.get(f"{BASE}/Patient?family:exact=Alpha&_count=100").get_json()
    assert {e["resource"]["id"] for e in exact.get("entry", [])} == live
    for n, pid in enumerate(ids):
        expected = 0 if n % 2 else 1
        assert client.get(f"{BASE}/Patient?identifier=RACE-{n}").get_json()["total"] == expected


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
def test_delete_racing_a_referencing_create_never_leaves_a_dangling_reference(app, client):
    """DELETE Patient against POST Observation → Patient, many times: never both succeed."""
    outcomes = Counter()
    for trial in range(40):
        pid = client.post(f"{BASE}/Patient", json=patient(f"DANGLE-{trial}")).get_json()["id"]
        start, answers = threading.Barrier(2), {}

        def delete():
            start.wait()
            answers["delete"] = app.test_client().delete(f"{BASE}/Patient/{pid}").status_code

        def refer():
            start.wait()
            answers["create"] = app.test_client().post(f"{BASE}/Observation", json={
                "resourceType": "Observation", "status": "final", "code": {"text": "poids"},
                "subject": {"reference": f"Patient/{pid}"}}).status_code

        threads = [threading.Thread(target=delete), threading.Thread(target=refer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes[(answers["delete"], answers["create"])] += 1
        assert (answers["delete"], answers["create"]) != (204, 201), outcomes
        if answers["create"] == 201:
            assert client.get(f"{BASE}/Patient/{pid}").status_code == 200
    assert set(outcomes) <= {(409, 201), (204, 422), (409, 422)}, outcomes


def test_a_patch_costs_what_the_same_update_costs(client, count):
    """The current version is read once: a PATCH is a PUT's trips; a conditional one adds its indexed search."""
    pid = client.post(f"{BASE}/Patient", json=patient("RT-P")).get_json()["id"]
    current = client.get(f"{BASE}/Patient/{pid}").get_json()
    updated, update_trips = count(lambda: client.put(f"{BASE}/Patient/{pid}", json={**current, "gender": "female"}))
    assert updated.status_code == 200
    document = '[{"op": "replace", "path": "/gender", "value": "male"}]'
    headers = {"Content-Type": "application/json-patch+json"}
    patched, trips = count(lambda: client.patch(f"{BASE}/Patient/{pid}", data=document, headers=headers))
    assert patched.status_code == 200 and trips == update_trips
    found, search_trips = count(lambda: client.get(f"{BASE}/Patient?identifier={IPP}|RT-P"))
    assert found.get_json()["total"] == 1
    conditional, trips = count(lambda: client.patch(f"{BASE}/Patient?identifier={IPP}|RT-P", data=document,
                                                    headers=headers))
    assert conditional.status_code == 200 and trips <= update_trips + search_trips


def test_an_update_whose_former_version_was_already_copied_still_lands_once(app, client, count):
    """An earlier attempt copied version 1 to history then lost: the one-command update stops at the copy, the
    step-by-step path skips it and replaces."""
    store = app.extensions["codoc.store"]
    pid = client.post(f"{BASE}/Patient", json=patient("RT-3")).get_json()["id"]
    current = store.current("Patient", pid)
    store.history_collection("Patient").insert_many(store._former_documents(current))
    changed = {**current.resource, "gender": "female"}
    updated, trips = count(lambda: client.put(f"{BASE}/Patient/{pid}", json=changed))
    assert updated.status_code == 200 and updated.get_json()["meta"]["versionId"] == "2"
    assert trips <= 4
    history = client.get(f"{BASE}/Patient/{pid}/_history").get_json()
    assert sorted(e["resource"]["meta"]["versionId"] for e in history["entry"]) == ["1", "2"]
    assert client.get(f"{BASE}/Patient/{pid}/_history/1").get_json()["gender"] == "male"


def test_a_patients_resources_by_code_are_read_from_the_patient_not_from_every_holder_of_the_code(settings, client,
                                                                                                  count):
    """``patient=…&code=…`` lists the patient's Observations and checks the code on each: the search keys of the
    code (held by every heart rate of the hospital) are not read; a patient-scoped total is one indexed count."""
    heart_rate = {"system": "http://loinc.org", "code": "8867-4"}

    def observations(pid: str, n: int) -> dict:
        return {"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "POST", "url": "Observation"},
             "resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [heart_rate]},
                          "subject": {"reference": f"Patient/{pid}"}}} for _ in range(n)]}

    few = client.post(f"{BASE}/Patient", json=patient("RT-FEW")).get_json()["id"]
    many = client.post(f"{BASE}/Patient", json=patient("RT-MANY")).get_json()["id"]
    assert client.post(f"{BASE}/", json=observations(few, 3)).status_code == 200
    assert client.post(f"{BASE}/", json=observations(many, 250)).status_code == 200
    database = settings["CODOC_MONGO_DB"]
    start = len(LISTENER.names)
    found, trips = count(lambda: client.get(f"{BASE}/Observation?patient={few}&code=http://loinc.org|8867-4"))
    assert found.get_json()["total"] == 3 and trips <= 2
    assert not any("SearchKey" in name for db, name in LISTENER.names[start:] if db == database)
    start = len(LISTENER.names)
    found, trips = count(lambda: client.get(f"{BASE}/Observation?patient={many}&_count=5"))
    assert found.get_json()["total"] == 250 and len(found.get_json()["entry"]) == 5 and trips == 2
    assert [name for db, name in LISTENER.names[start:] if db == database and "AuditEvent" not in name] == [
        "find Observation_4_3_0", "count Observation_4_3_0"]  # the page, then one count (no scan, no aggregate)
    found = client.get(f"{BASE}/Observation?patient={many}&code=http://loinc.org|8867-4&_count=5").get_json()
    assert found["total"] == 250 and len(found["entry"]) == 5
    ids = [e["resource"]["id"] for e in found["entry"]]
    assert ids == sorted(ids)  # still in id order
    nothing = client.get(f"{BASE}/Observation?patient={few}&code=http://loinc.org|0000-0").get_json()
    assert nothing["total"] == 0
