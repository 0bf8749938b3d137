"""Terminology: ICD-10 and ATC loaded as CodeSystems, $lookup / $validate-code, coded fields checked at write time."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from handlers.http.io import WARNING_HEADER
from terminology import loader
from terminology.concepts import CONCEPT_COLLECTION
from terminology.sources import TerminologyFileError
from tests.conftest import BASE, assert_outcome

ICD10, ATC, LOCAL = "http://hl7.org/fhir/sid/icd-10", "http://www.whocc.no/atc", "https://chu.example/fhir/cs/motifs"
SLICE = Path(__file__).parent / "data" / "terminology"
ROOT = Path(__file__).parent.parent
LOCAL_CODESYSTEM = {
    "resourceType": "CodeSystem", "url": LOCAL, "name": "Motifs", "status": "active", "content": "complete",
    "concept": [
        {"code": "CHUTE", "display": "Chute", "concept": [
            {"code": "CHUTE-DOM", "display": "Chute à domicile",
             "designation": [{"language": "fr", "value": "chute maison"}]}]},
        {"code": "FIEVRE", "display": "Fièvre"}],
}


@pytest.fixture
def loaded(app):
    return loader.load(app.extensions["codoc.registry"], folder=SLICE)


def parameters(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["resourceType"] == "Parameters"
    return body


def value(body: dict, name: str):
    found = [next(v for k, v in p.items() if k.startswith("value")) for p in body["parameter"]
             if p["name"] == name and any(k.startswith("value") for k in p)]
    return found[0] if found else None


def properties(body: dict) -> list[tuple[str, object]]:
    return [(p["part"][0]["valueCode"], next(v for k, v in p["part"][1].items() if k.startswith("value")))
            for p in body["parameter"] if p["name"] == "property"]


# -- loading -------------------------------------------------------------------------------------------------------
def test_load_writes_a_codesystem_without_its_concepts(client, loaded):
    assert [(r.key, r.skipped) for r in loaded] == [("icd-10", False), ("atc", False)]
    served = client.get(f"{BASE}/CodeSystem/icd-10").get_json()
    assert served["url"] == ICD10 and served["content"] == "not-present" and "concept" not in served
    assert served["count"] == loaded[0].concepts == 22 + 68  # the 22 chapters and the slice's 68 codes
    assert loaded[1].rejected == ["not an ATC code: 'JO5AX09'"]


def test_load_is_idempotent(app, loaded, store):
    again = loader.load(app.extensions["codoc.registry"], folder=SLICE)
    assert [r.skipped for r in again] == [True, True]
    forced = loader.load(app.extensions["codoc.registry"], folder=SLICE, force=True)
    assert [r.skipped for r in forced] == [False, False]
    records = store.records(CONCEPT_COLLECTION)
    assert len(records.find({"system": ICD10}, limit=10_000)) == loaded[0].concepts
    history = app.test_client().get(f"{BASE}/CodeSystem/icd-10/_history").get_json()
    assert history["total"] == 2  # the load and the forced reload


def test_load_of_a_missing_file_writes_nothing(app, client, store, tmp_path):
    shutil.copy(SLICE / "cim10.csv.gz", tmp_path)  # drugs.json missing
    with pytest.raises(TerminologyFileError, match="drugs.json: no such file"):
        loader.load(app.extensions["codoc.registry"], folder=tmp_path)
    assert client.get(f"{BASE}/CodeSystem/icd-10").status_code == 404
    assert store.records(CONCEPT_COLLECTION).find({}) == []


@pytest.mark.parametrize("name, content, message", [
    ("cim10.csv.gz", b"not gzip at all", "cannot be read"),
    ("cim10.csv.gz", gzip.compress(b"a,b\n1,2\n", mtime=0), "expected the columns code and long"),
    ("drugs.json", b"{\"A10\": ", "cannot be read as JSON"),
    ("drugs.json", b"{\"A10\": \"metformine\"}", "not a list of strings"),
], ids=["cim10-not-gzip", "cim10-wrong-columns", "drugs-not-json", "drugs-not-a-list"])
def test_load_of_a_corrupt_file_writes_nothing(app, client, store, tmp_path, name, content, message):
    for file in ("cim10.csv.gz", "drugs.json"):
        shutil.copy(SLICE / file, tmp_path)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(TerminologyFileError, match=message):
        loader.load(app.extensions["codoc.registry"], folder=tmp_path)
    assert client.get(f"{BASE}/CodeSystem/atc").status_code == 404
    assert store.records(CONCEPT_COLLECTION).find({}) == []


@pytest.mark.wire
@pytest.mark.parametrize("backend", ["wire"])
def test_load_terminology_command_on_a_slice(settings, client, tmp_path):
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "cli.py"), "load-terminology", "--source", str(SLICE)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert "icd-10: 90 concepts loaded" in first.stdout and "left out not an ATC code: 'JO5AX09'" in first.stdout
    assert "concept" in first.stderr  # the progress bars
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "icd-10: 90 concepts already loaded" in second.stdout
    assert value(parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ICD10}&code=E119")), "code") == "E11.9"
    missing = subprocess.run([*command[:-1], str(tmp_path)], env=env, capture_output=True, text=True, timeout=120,
                             cwd=ROOT)
    assert missing.returncode == 2 and "no such file" in missing.stderr


# -- $lookup -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    f"{BASE}/CodeSystem/$lookup?system={ICD10}&code=E119", f"{BASE}/CodeSystem/$lookup?system={ICD10}&code=E11.9",
    f"{BASE}/codesystem/$lookup/?system={ICD10}&code=e11.9",
])
def test_lookup_icd10_with_or_without_the_dot(client, loaded, url):
    body = parameters(client.get(url))
    assert value(body, "code") == "E11.9"
    assert value(body, "display") == "Diabète sucré de type 2, sans complication"
    assert value(body, "name") == "ICD10FR" and value(body, "version").startswith("atih-edsnlp-")
    assert ("parent", "E11") in properties(body) and ("child", "E11.90") in properties(body)
    assert ("kind", "subcategory") in properties(body)


def test_lookup_walks_the_icd10_hierarchy_up_to_the_chapter(client, loaded):
    category = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ICD10}&code=E11"))
    assert ("parent", "IV") in properties(category) and ("kind", "category") in properties(category)
    chapter = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ICD10}&code=IV"))
    assert {"E10", "E11"} <= {v for k, v in properties(chapter) if k == "child"}
    assert ("range", "E00-E90") in properties(chapter)


def test_lookup_atc_with_levels_and_brand_names(client, loaded):
    body = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ATC}&code=A10BA02"))
    assert value(body, "display") == "metformine"
    brands = {p["part"][-1]["valueString"] for p in body["parameter"] if p["name"] == "designation"}
    assert "GLUCOPHAGE" in brands
    assert ("parent", "A10BA") in properties(body) and ("level", 5) in properties(body)
    chain = ["A10BA02"]
    while True:
        parents = [v for k, v in properties(parameters(client.get(
            f"{BASE}/CodeSystem/$lookup?system={ATC}&code={chain[-1]}"))) if k == "parent"]
        if not parents:
            break
        chain += parents
    assert chain == ["A10BA02", "A10BA", "A10B", "A10", "A"]
    top = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ATC}&code=A"))
    assert value(top, "display") == "Voies digestives et métabolisme" and ("level", 1) in properties(top)


def test_lookup_by_post_with_parameters_and_with_a_coding(client, loaded):
    plain = {"resourceType": "Parameters", "parameter": [{"name": "system", "valueUri": ATC},
                                                         {"name": "code", "valueCode": "B01AC06"}]}
    assert value(parameters(client.post(f"{BASE}/CodeSystem/$lookup", json=plain)), "code") == "B01AC06"
    coding = {"resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": {
        "system": ICD10, "code": "I10"}}]}
    assert value(parameters(client.post(f"{BASE}/codesystem/$lookup/", json=coding)), "code") == "I10"


def test_lookup_on_a_stored_local_codesystem(client):
    assert client.post(f"{BASE}/CodeSystem", json=LOCAL_CODESYSTEM).status_code == 201
    body = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={LOCAL}&code=CHUTE-DOM"))
    assert value(body, "display") == "Chute à domicile" and ("parent", "CHUTE") in properties(body)
    assert [p for p in body["parameter"] if p["name"] == "designation"][0]["part"][-1]["valueString"] == \
        "chute maison"
    assert ("child", "CHUTE-DOM") in properties(parameters(client.get(
        f"{BASE}/CodeSystem/$lookup?system={LOCAL}&code=CHUTE")))


@pytest.mark.parametrize("query, status, code", [
    (f"system={ICD10}", 400, "invalid"), ("code=E119", 400, "invalid"), ("", 400, "invalid"),
    ("system=http://unknown.example/cs&code=E119", 404, "not-found"),
    (f"system={ICD10}&code=ZZZ99", 404, "not-found"),
])
def test_lookup_bad_input(client, loaded, query, status, code):
    assert_outcome(client.get(f"{BASE}/CodeSystem/$lookup?{query}"), status, code)


@pytest.mark.parametrize("payload", [
    {"resourceType": "Parameters", "parameter": [[None, None]]}, {"resourceType": "Parameters", "parameter": {}},
    {"resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": {"system": ICD10, "code": 7}}]},
    {"resourceType": "Parameters", "parameter": [{"name": "system", "valueUri": ICD10}, {"name": "code",
                                                                                         "valueInteger": 7}]},
])
def test_lookup_of_malformed_parameters_is_400(client, loaded, payload):
    for operation in ("$lookup", "$validate-code"):
        assert_outcome(client.post(f"{BASE}/CodeSystem/{operation}", json=payload), 400, "invalid")


def test_lookup_refuses_other_methods_and_non_parameters(client, loaded):
    response = client.put(f"{BASE}/CodeSystem/$lookup", json={})
    assert_outcome(response, 405)
    assert response.headers["Allow"] == "GET, POST"
    assert_outcome(client.post(f"{BASE}/CodeSystem/$lookup", json={"resourceType": "Patient"}), 400, "invalid")


# -- $validate-code ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("system, code, display, result", [
    (ICD10, "E119", None, True), (ICD10, "E11.9", "Diabète sucré de type 2, sans complication", True),
    (ICD10, "E11.9", "diabete type 2, sans complic.", True),  # a designation, case aside
    (ICD10, "E11.9", "Asthme", False), (ICD10, "E11.99", None, False), (ICD10, "XYZ", None, False),
    (ATC, "A10BA02", "metformine", True), (ATC, "A10BA02", "GLUCOPHAGE", True), (ATC, "A10BA99", None, False),
    (LOCAL, "FIEVRE", "Fièvre", True), (LOCAL, "fievre", None, False),
])
def test_validate_code(client, loaded, system, code, display, result):
    assert client.post(f"{BASE}/CodeSystem", json=LOCAL_CODESYSTEM).status_code == 201
    query = {"url": system, "code": code, **({"display": display} if display else {})}
    body = parameters(client.get(f"{BASE}/CodeSystem/$validate-code", query_string=query))
    assert value(body, "result") is result
    if not result:
        assert value(body, "message")
    posted = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": system}, {"name": "code", "valueCode": code},
        *([{"name": "display", "valueString": display}] if display else [])]}
    assert value(parameters(client.post(f"{BASE}/codesystem/$validate-code/", json=posted)), "result") is result


def test_validate_code_of_an_unknown_system_is_404(client, loaded):
    assert_outcome(client.get(f"{BASE}/CodeSystem/$validate-code?url=http://unknown.example&code=1"), 404,
                   "not-found")
    assert_outcome(client.get(f"{BASE}/CodeSystem/$validate-code?code=1"), 400, "invalid")


# -- CodeSystem resources ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [f"url={ICD10}", f"system={ICD10}", "name=ICD10FR"])
def test_codesystem_searches(client, loaded, query):
    body = client.get(f"{BASE}/codesystem/?{query}").get_json()
    assert [e["resource"]["id"] for e in body["entry"]] == ["icd-10"]


def test_codesystem_with_a_duplicate_code_is_refused(client):
    duplicate = {**LOCAL_CODESYSTEM, "concept": [*LOCAL_CODESYSTEM["concept"], {"code": "CHUTE-DOM"}]}
    body = assert_outcome(client.post(f"{BASE}/CodeSystem", json=duplicate), 422, "business-rule")
    assert "CHUTE-DOM" in body["issue"][0]["diagnostics"]
    no_code = {**LOCAL_CODESYSTEM, "concept": [{"display": "sans code"}]}
    assert_outcome(client.post(f"{BASE}/CodeSystem", json=no_code), 400)
    assert client.get(f"{BASE}/CodeSystem?url={LOCAL}").get_json()["total"] == 0


# -- coded fields checked at write time ----------------------------------------------------------------------------
def observation(system: str, code: str) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "exam"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "0000-0"}, {"system": system, "code": code}]}}


def medication_request(code: str) -> dict:
    return {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
            "subject": {"display": "anonymous"}}


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="strict")
def test_strict_accepts_held_codes_and_ignores_unknown_systems(client, loaded):
    for body in (observation(ICD10, "E11.9"), observation(ICD10, "E119"), medication_request("A10BA02"),
                 observation("http://unknown.example/cs", "whatever")):
        response = client.post(f"{BASE}/{body['resourceType']}", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        assert WARNING_HEADER not in response.headers


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="strict")
def test_strict_refuses_an_unknown_code_naming_the_element(client, loaded):
    body = assert_outcome(client.post(f"{BASE}/Observation", json=observation(ICD10, "E11.99")), 422,
                          "code-invalid")
    assert body["issue"][0]["expression"] == ["Observation.code.coding[1]"]
    body = assert_outcome(client.post(f"{BASE}/MedicationRequest", json=medication_request("A10XX99")), 422)
    assert body["issue"][0]["expression"] == ["MedicationRequest.medicationCodeableConcept.coding[0]"]
    assert client.get(f"{BASE}/Observation?code={ICD10}|").get_json()["total"] == 0


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="strict")
def test_strict_checks_local_codesystems_too(client):
    assert client.post(f"{BASE}/CodeSystem", json=LOCAL_CODESYSTEM).status_code == 201
    assert client.post(f"{BASE}/Observation", json=observation(LOCAL, "CHUTE")).status_code == 201
    assert_outcome(client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")), 422, "code-invalid")


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="strict")
def test_a_system_found_absent_is_not_looked_up_again_until_a_codesystem_is_written(app, client, store,
                                                                                    monkeypatch):
    from terminology import concepts

    lookups = []
    real = concepts.find_codesystems
    monkeypatch.setattr(concepts, "find_codesystems", lambda s, urls: lookups.append(list(urls)) or real(s, urls))
    assert client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")).status_code == 201
    assert client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")).status_code == 201
    assert sum(LOCAL in urls for urls in lookups) == 1  # the second write did not ask again
    # written through this process: checked at once
    assert client.post(f"{BASE}/CodeSystem", json=LOCAL_CODESYSTEM).status_code == 201
    assert_outcome(client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")), 422, "code-invalid")


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="strict")
def test_a_codesystem_written_by_another_process_is_enforced_within_the_absent_delay(app, client, store,
                                                                                     monkeypatch):
    from terminology import check

    monkeypatch.setattr(check, "ABSENT_SECONDS", 0.3)
    assert client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")).status_code == 201
    handler = app.extensions["codoc.registry"].get("CodeSystem")
    resource = {**LOCAL_CODESYSTEM, "id": "local-from-elsewhere"}  # what another process writes: store only
    store.create("CodeSystem", resource, handler.index_fields(resource))
    time.sleep(0.35)
    assert_outcome(client.post(f"{BASE}/Observation", json=observation(LOCAL, "GRIPPE")), 422, "code-invalid")


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="warn")
def test_warn_writes_and_says_so(client, loaded):
    response = client.post(f"{BASE}/Observation", json=observation(ICD10, "E11.99"))
    assert response.status_code == 201 and response.get_json()["resourceType"] == "Observation"
    outcome = json.loads(response.headers[WARNING_HEADER])
    assert outcome["issue"][0]["severity"] == "warning"
    assert outcome["issue"][0]["expression"] == ["Observation.code.coding[1]"]
    prefer = client.post(f"{BASE}/Observation", json=observation(ICD10, "E11.99"),
                         headers={"Prefer": "return=OperationOutcome"})
    assert prefer.status_code == 201 and prefer.headers["Location"]
    assert prefer.get_json()["issue"][:1] == outcome["issue"]  # the warnings, then the information of the write
    assert prefer.get_json()["issue"][-1]["severity"] == "information"
    valid = client.post(f"{BASE}/Observation", json=observation(ICD10, "E11.9"))
    assert valid.status_code == 201 and WARNING_HEADER not in valid.headers
    checked = client.post(f"{BASE}/Observation/$validate", json=observation(ICD10, "E11.99")).get_json()
    assert checked["issue"][0]["severity"] == "warning"


@pytest.mark.settings(CODOC_TERMINOLOGY_CHECK="off")
def test_off_checks_nothing(client, loaded):
    response = client.post(f"{BASE}/Observation", json=observation(ICD10, "E11.99"))
    assert response.status_code == 201 and WARNING_HEADER not in response.headers


# -- the NLP's codes -----------------------------------------------------------------------------------------------
def test_every_code_the_nlp_lexicon_emits_is_in_the_loaded_vocabularies():
    from nlp.lexicon import load_lexicon
    from terminology.sources import SOURCES, lexicon_supplement

    loaded = set()
    for source in SOURCES.values():
        concepts, _ = source.read(source.path())
        if source.supplemented:
            concepts += lexicon_supplement(source, concepts)
        loaded |= {(source.url, source.normalize(c["code"])) for c in concepts}
    emitted = {(e.system, SOURCES["icd-10"].normalize(e.code) if e.system == ICD10 else e.code)
               for e in load_lexicon() if e.system}
    assert emitted and emitted <= loaded, sorted(emitted - loaded)


def test_codes_the_atc_file_lacks_come_from_the_nlp_lexicon(client, loaded):
    body = parameters(client.get(f"{BASE}/CodeSystem/$validate-code?url={ATC}&code=A10BJ06"))
    assert value(body, "result") is True and value(body, "display") == "sémaglutide"
    lookup = parameters(client.get(f"{BASE}/CodeSystem/$lookup?system={ATC}&code=A10BJ06"))
    assert ("source", "codoc-lexicon") in properties(lookup) and ("parent", "A10BJ") in properties(lookup)
