"""Conditional create (If-None-Exist, and request.ifNoneExist in Bundles): atomic against itself."""
from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import BASE, assert_outcome

IPP = "urn:oid:1.2.250.1.71.4.2.1"


def patient(value: str) -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": IPP, "value": value}], "gender": "female"}


def test_if_none_exist_creates_once_then_answers_the_match(client):
    criteria = {"If-None-Exist": f"identifier={IPP}|C-1"}
    first = client.post(f"{BASE}/Patient", json=patient("C-1"), headers=criteria)
    assert first.status_code == 201 and "Location" in first.headers
    again = client.post(f"{BASE}/patient/", json=patient("C-1"), headers=criteria)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    history = client.get(f"{BASE}/Patient/{first.get_json()['id']}/_history").get_json()
    assert history["total"] == 1


def test_if_none_exist_matching_several_is_412(client):
    for value in ("S-1", "S-2"):
        client.post(f"{BASE}/Patient", json={**patient(value), "name": [{"family": "Twin"}]})
    answer = client.post(f"{BASE}/Patient", json=patient("S-3"), headers={"If-None-Exist": "family=twin"})
    assert_outcome(answer, 412, "conflict")
    assert_outcome(client.post(f"{BASE}/Patient", json=patient("S-4"), headers={"If-None-Exist": "bogus=1"}), 400)


@pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
def test_racing_conditional_creates_make_one_resource(app):
    results, start = [], threading.Barrier(8)

    def post():
        own = app.test_client()
        start.wait()
        answer = own.post(f"{BASE}/Patient", json=patient("RACE-C"), headers={"If-None-Exist": "identifier=RACE-C"})
        results.append((answer.status_code, answer.get_json().get("id")))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({rid for _, rid in results}) == 1


def test_if_none_exist_in_batch_and_transaction_entries(client):
    entry = {"request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={IPP}|B-1"},
             "resource": patient("B-1")}
    first = client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "batch", "entry": [entry, entry]})
    assert [e["response"]["status"] for e in first.get_json()["entry"]] == ["201 Created", "200 OK"]
    pid = first.get_json()["entry"][0]["resource"]["id"]
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {**entry, "fullUrl": "urn:uuid:3f2b8c1e-0d7a-4b8e-9a51-2c4d6e8f0a11"},
        {"request": {"method": "POST", "url": "Observation"}, "resource": {
            "resourceType": "Observation", "status": "final", "code": {"text": "poids"},
            "subject": {"reference": "urn:uuid:3f2b8c1e-0d7a-4b8e-9a51-2c4d6e8f0a11"}}}]}
    answer = client.post(f"{BASE}/", json=transaction).get_json()
    assert answer["entry"][0]["response"]["status"] == "200 OK"
    assert answer["entry"][1]["resource"]["subject"]["reference"] == f"Patient/{pid}"


def test_conditional_update_creates_then_updates_its_one_match(client):
    url = f"{BASE}/Patient?identifier={IPP}|U-1"
    created = client.put(url, json=patient("U-1"))
    assert created.status_code == 201
    updated = client.put(url, json={**patient("U-1"), "gender": "male"})
    assert updated.status_code == 200 and updated.get_json()["id"] == created.get_json()["id"]
    assert updated.get_json()["meta"]["versionId"] == "2"
    assert_outcome(client.put(url, json={**patient("U-1"), "id": "someone-else"}), 400)
    client.post(f"{BASE}/Patient", json={**patient("U-2"), "name": [{"family": "Pair"}]})
    client.post(f"{BASE}/Patient", json={**patient("U-3"), "name": [{"family": "Pair"}]})
    assert_outcome(client.put(f"{BASE}/Patient?family=pair", json=patient("U-4")), 412)


def test_conditional_delete_deletes_its_one_match_and_is_idempotent(client):
    pid = client.post(f"{BASE}/Patient", json=patient("D-1")).get_json()["id"]
    assert client.delete(f"{BASE}/Patient?identifier=D-1").status_code == 204
    assert client.get(f"{BASE}/Patient/{pid}").status_code == 410
    assert client.delete(f"{BASE}/Patient?identifier=D-1").status_code == 204
    assert_outcome(client.delete(f"{BASE}/Patient"), 400)


def test_conditional_update_and_delete_in_a_transaction(client):
    pid = client.post(f"{BASE}/Patient", json=patient("T-1")).get_json()["id"]
    other = client.post(f"{BASE}/Patient", json=patient("T-2")).get_json()["id"]
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "PUT", "url": "Patient?identifier=T-1"}, "resource": {**patient("T-1"),
                                                                                    "gender": "male"}},
        {"request": {"method": "DELETE", "url": "Patient?identifier=T-2"}}]}
    answer = client.post(f"{BASE}/", json=transaction)
    assert [e["response"]["status"] for e in answer.get_json()["entry"]] == ["200 OK", "204 No Content"]
    assert client.get(f"{BASE}/Patient/{pid}").get_json()["gender"] == "male"
    assert client.get(f"{BASE}/Patient/{other}").status_code == 410


def test_conditional_read_answers_304_when_the_client_copy_is_current(client):
    created = client.post(f"{BASE}/Patient", json=patient("R-1"))
    url = f"{BASE}/Patient/{created.get_json()['id']}"
    assert client.get(url, headers={"If-None-Match": 'W/"1"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"0"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": created.headers["Last-Modified"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    client.put(url, json={**created.get_json(), "gender": "male"})
    assert client.get(url, headers={"If-None-Match": 'W/"1"'}).status_code == 200


@pytest.mark.parametrize("prefer", ["return=minimal", "return=OperationOutcome", "return=representation"])
def test_prefer_return_shapes_the_answer_to_a_write(client, prefer):
    created = client.post(f"{BASE}/Patient", json=patient(f"P-{prefer}"), headers={"Prefer": prefer})
    assert created.status_code == 201 and created.headers["ETag"] == 'W/"1"' and "Location" in created.headers
    pid = created.headers["Location"].split("/Patient/")[1].split("/")[0]
    updated = client.put(f"{BASE}/Patient/{pid}", json={**patient(f"P-{prefer}"), "id": pid},
                         headers={"Prefer": prefer})
    for answer in (created, updated):
        if prefer == "return=minimal":
            assert answer.get_data() == b""
        elif prefer == "return=OperationOutcome":
            assert answer.get_json()["resourceType"] == "OperationOutcome"
        else:
            assert answer.get_json()["resourceType"] == "Patient"


def test_type_and_server_history_newest_first_with_since_and_count(client):
    first = client.post(f"{BASE}/Patient", json=patient("H-1")).get_json()
    client.put(f"{BASE}/Patient/{first['id']}", json={**first, "gender": "male"})
    time.sleep(1.1)  # nx-27017 compares ISO instants at the second: keep _since on a second boundary apart
    observation = client.post(f"{BASE}/Observation", json={"resourceType": "Observation", "status": "final",
                                                           "code": {"text": "poids"}}).get_json()
    client.delete(f"{BASE}/Observation/{observation['id']}")
    patients = client.get(f"{BASE}/Patient/_history").get_json()
    assert [(e["resource"]["id"], e["resource"]["meta"]["versionId"]) for e in patients["entry"]] == [
        (first["id"], "2"), (first["id"], "1")]
    everything = client.get(f"{BASE}/_history").get_json()
    assert [(e["request"]["method"], e["fullUrl"].split("/v4.3.0/")[1]) for e in everything["entry"]] == [
        ("DELETE", f"Observation/{observation['id']}"), ("POST", f"Observation/{observation['id']}"),
        ("PUT", f"Patient/{first['id']}"), ("POST", f"Patient/{first['id']}")]
    assert len(client.get(f"{BASE}/_history?_count=2").get_json()["entry"]) == 2
    since = observation["meta"]["lastUpdated"]
    assert len(client.get(f"{BASE}/_history?_since={since}").get_json()["entry"]) == 2
    assert_outcome(client.get(f"{BASE}/_history?_since=yesterday"), 400)


def test_search_by_post_with_a_form_body_answers_like_get(client):
    pid = client.post(f"{BASE}/Patient", json=patient("F-1")).get_json()["id"]
    by_get = client.get(f"{BASE}/Patient?identifier=F-1").get_json()
    by_post = client.post(f"{BASE}/Patient/_search", data={"identifier": "F-1"}).get_json()
    assert [e["resource"]["id"] for e in by_post["entry"]] == [e["resource"]["id"] for e in by_get["entry"]] == [pid]
    assert_outcome(client.post(f"{BASE}/patient/_search", json={"identifier": "F-1"}), 415)
    assert_outcome(client.post(f"{BASE}/Patient/_search", data={"nonsense": "x"}), 400)


def test_summary_and_elements_subset_reads_and_searches_with_the_subsetted_tag(client):
    body = {**patient("E-1"), "name": [{"family": "Dupont"}], "text": {
        "status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Dupont</div>'},
        "maritalStatus": {"text": "Marié"}}
    pid = client.post(f"{BASE}/Patient", json=body).get_json()["id"]
    summary = client.get(f"{BASE}/Patient/{pid}?_summary=true").get_json()
    assert "name" in summary and "maritalStatus" not in summary and "text" not in summary
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"} in \
        summary["meta"]["tag"]
    elements = client.get(f"{BASE}/Patient?_id={pid}&_elements=gender").get_json()["entry"][0]["resource"]
    assert set(elements) == {"resourceType", "id", "meta", "gender"}
    assert set(client.get(f"{BASE}/Patient/{pid}?_summary=text").get_json()) == {"resourceType", "id", "meta", "text"}
    assert "text" not in client.get(f"{BASE}/Patient/{pid}?_summary=data").get_json()
    full = client.get(f"{BASE}/Patient/{pid}").get_json()
    assert "maritalStatus" in full and "tag" not in full["meta"]
    assert_outcome(client.get(f"{BASE}/Patient/{pid}?_summary=maybe"), 400)


def test_revinclude_adds_the_resources_referencing_the_matches(client):
    pid = client.post(f"{BASE}/Patient", json=patient("RI-1")).get_json()["id"]
    other = client.post(f"{BASE}/Patient", json=patient("RI-2")).get_json()["id"]
    observations = [client.post(f"{BASE}/Observation", json={
        "resourceType": "Observation", "status": "final", "code": {"text": "poids"},
        "subject": {"reference": f"Patient/{target}"}}).get_json()["id"] for target in (pid, pid, other)]
    stay = client.post(f"{BASE}/Encounter", json={"resourceType": "Encounter", "status": "finished",
                                                  "class": {"code": "IMP"}, "subject": {"reference": f"Patient/{pid}"}})
    bundle = client.get(f"{BASE}/Patient?identifier=RI-1&_revinclude=Observation:subject").get_json()
    modes = {(e["resource"]["resourceType"], e["resource"]["id"]): e["search"]["mode"] for e in bundle["entry"]}
    assert modes == {("Patient", pid): "match", ("Observation", observations[0]): "include",
                     ("Observation", observations[1]): "include"}
    assert stay.status_code == 201
    assert_outcome(client.get(f"{BASE}/Patient?identifier=RI-1&_revinclude=Observation:code"), 400)


def test_chained_and_reverse_chained_searches(client):
    ids = [client.post(f"{BASE}/Patient", json={**patient(f"CH-{n}"), "name": [{"family": family}]}).get_json()["id"]
           for n, family in enumerate(("Dupont", "Durand"))]
    glucose = {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}
    obs = client.post(f"{BASE}/Observation", json={"resourceType": "Observation", "status": "final", "code": glucose,
                                                   "subject": {"reference": f"Patient/{ids[0]}"}}).get_json()["id"]
    client.post(f"{BASE}/Observation", json={"resourceType": "Observation", "status": "final",
                                             "code": {"text": "poids"}, "subject": {"reference": f"Patient/{ids[1]}"}})

    def found(query):
        bundle = client.get(f"{BASE}/{query}").get_json()
        assert bundle["resourceType"] == "Bundle", bundle
        return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]

    assert found(f"Observation?subject:Patient.identifier={IPP}|CH-0") == [obs]
    assert found("Observation?subject.family=dupont") == [obs]
    assert found("Observation?subject:Patient.family=nobody") == []
    assert found("Patient?_has:Observation:subject:code=http://loinc.org|2345-7") == [ids[0]]
    assert found("Patient?_has:Observation:subject:code=http://loinc.org|9999-9") == []
    assert_outcome(client.get(f"{BASE}/Patient?_has:Observation:code=x"), 400)


def test_lastn_gives_the_latest_observations_of_each_code(client):
    pid = client.post(f"{BASE}/Patient", json=patient("L-1")).get_json()["id"]

    def observe(code, when):
        return client.post(f"{BASE}/Observation", json={
            "resourceType": "Observation", "status": "final", "effectiveDateTime": when,
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": f"Patient/{pid}"}}).get_json()["id"]

    creatinine = [observe("2160-0", f"2024-0{m}-01") for m in (1, 2, 3)]
    hba1c = [observe("4548-4", f"2024-0{m}-15") for m in (1, 2)]
    latest = client.get(f"{BASE}/Observation/$lastn?patient=Patient/{pid}").get_json()
    assert {e["resource"]["id"] for e in latest["entry"]} == {creatinine[2], hba1c[1]}
    two = client.get(f"{BASE}/Observation/$lastn?patient=Patient/{pid}&code=http://loinc.org|2160-0&max=2")
    assert [e["resource"]["id"] for e in two.get_json()["entry"]] == [creatinine[2], creatinine[1]]
    assert_outcome(client.get(f"{BASE}/Observation/$lastn?code=http://loinc.org|2160-0"), 400)
    assert_outcome(client.get(f"{BASE}/Observation/$lastn?patient=Patient/{pid}&max=0"), 400)
