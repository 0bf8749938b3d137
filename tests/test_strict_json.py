"""Strict FHIR JSON (issue 11, items 2, 4 and 5): what FHIR JSON does not allow is refused with a 4xx
OperationOutcome naming the element, nothing is stored; decimals come back with the digits they were sent with;
bodies beyond the documented limits get 413, never a 500."""
from __future__ import annotations

import json
import logging

import pytest

from handlers.audit import AUDIT_COLLECTION
from tests.conftest import BASE, FHIR_JSON, assert_outcome
from tests.samples import MINIMAL

PATIENT = MINIMAL["Patient"]
OBSERVATION = MINIMAL["Observation"]
XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def _stored(store, resource_type: str = "Patient") -> int:
    return store.collection(resource_type).count_documents({})


def _expressions(body: dict) -> set[str]:
    return {e for issue in body["issue"] for e in issue.get("expression", ())}


# -- item 2: datatypes as FHIR JSON writes them ------------------------------------------------------------------
@pytest.mark.parametrize("resource,expression", [
    ({**PATIENT, "active": "true"}, "Patient.active"),
    ({**PATIENT, "active": 1}, "Patient.active"),
    ({**PATIENT, "deceasedBoolean": 0}, "Patient.deceasedBoolean"),
    ({**PATIENT, "multipleBirthInteger": "3"}, "Patient.multipleBirthInteger"),
    ({**PATIENT, "multipleBirthInteger": 3.5}, "Patient.multipleBirthInteger"),
    ({**PATIENT, "birthDate": 19700301}, "Patient.birthDate"),
    ({**PATIENT, "name": [{"family": "Martin", "given": [7]}]}, "Patient.name[0].given[0]"),
    ({**OBSERVATION, "valueQuantity": {"value": "1.5", "unit": "mmol/L"}}, "Observation.valueQuantity.value"),
    ({**OBSERVATION, "valueQuantity": {"value": True}}, "Observation.valueQuantity.value"),
    ({**OBSERVATION, "contained": [{"resourceType": "Patient", "active": "false"}]},
     "Observation.contained[0].active"),
    ({**OBSERVATION, "extension": [{"url": "http://x/e", "valueBoolean": "yes"}]},
     "Observation.extension[0].valueBoolean"),
])
def test_coercible_values_are_refused_with_their_fhirpath(client, store, resource, expression):
    kind = resource["resourceType"]
    body = assert_outcome(client.post(f"{BASE}/{kind}", json=resource), 400)
    assert expression in _expressions(body), body
    assert _stored(store, kind) == 0


def test_a_coerced_value_is_reported_by_validate_without_storing(client, store):
    response = client.post(f"{BASE}/Patient/$validate", json={**PATIENT, "active": "true"})
    assert response.status_code == 200
    assert "Patient.active" in _expressions(response.get_json())
    assert _stored(store) == 0


@pytest.mark.parametrize("resource,expression", [
    ({**PATIENT, "name": []}, "Patient.name"),
    ({**PATIENT, "name": [{}]}, "Patient.name[0]"),
    ({**PATIENT, "meta": {}}, "Patient.meta"),
    ({**PATIENT, "identifier": [{"system": "urn:oid:1.2.3", "value": "1", "period": {}}]},
     "Patient.identifier[0].period"),
    ({**PATIENT, "name": [{"family": "Martin", "given": []}]}, "Patient.name[0].given"),
])
def test_empty_arrays_and_objects_are_refused(client, store, resource, expression):
    body = assert_outcome(client.post(f"{BASE}/Patient", json=resource), 400)
    assert expression in _expressions(body), body
    assert _stored(store) == 0


@pytest.mark.parametrize("name,expression", [
    ({"family": "Martin", "given": [None]}, "Patient.name[0].given[0]"),
    ({"family": "Martin", "given": ["Anne", None], "_given": [None, None]}, "Patient.name[0].given[1]"),
])
def test_a_null_in_an_array_needs_its_partner_in_the_underscore_array(client, store, name, expression):
    body = assert_outcome(client.post(f"{BASE}/Patient", json={**PATIENT, "name": [name]}), 400)
    assert expression in _expressions(body), body
    assert _stored(store) == 0


def test_aligned_primitive_arrays_are_accepted(client):
    extension = {"url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", "valueCode": "CL"}
    name = {"family": "Martin", "given": [None, "Claire"], "_given": [{"extension": [extension]}, None]}
    created = client.post(f"{BASE}/Patient", json={**PATIENT, "name": [name]})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert client.get(f"{BASE}/Patient/{created.get_json()['id']}").get_json()["name"] == [name]


@pytest.mark.parametrize("raw,expression", [
    (b'{"resourceType": "Patient", "name": [{"family": "Mar\\u0000tin"}]}', "Patient.name[0].family"),
    (b'{"resourceType": "Patient", "name": [{"family": "Martin", "given": ["\\u001fA"]}]}',
     "Patient.name[0].given[0]"),
    (b'{"resourceType": "Patient", "name": [{"text": "bell \\b"}]}', "Patient.name[0].text"),
    (b'{"resourceType": "Patient", "name": [{"family": "\\ud800"}]}', "Patient.name[0].family"),
    (b'{"resourceType": "Patient", "gend\\u0000er": "male"}', None),
])
def test_control_characters_and_lone_surrogates_are_refused(client, store, raw, expression):
    body = assert_outcome(client.post(f"{BASE}/Patient", data=raw, content_type=FHIR_JSON), 400)
    if expression:
        assert expression in _expressions(body), body
    assert _stored(store) == 0


def test_tab_cr_lf_and_escaped_astral_characters_are_kept(client):
    raw = b'{"resourceType": "Patient", "name": [{"text": "a\\tb\\r\\nc \\ud83d\\ude00", "family": "Martin"}]}'
    created = client.post(f"{BASE}/Patient", data=raw, content_type=FHIR_JSON)
    assert created.status_code == 201, created.get_data(as_text=True)
    served = client.get(f"{BASE}/Patient/{created.get_json()['id']}").get_json()
    assert served["name"][0]["text"] == "a\tb\r\nc \U0001F600"


@pytest.mark.parametrize("raw", [
    b'{"resourceType": "Patient", "gender": "male", "gender": "female"}',
    b'{"resourceType": "Patient", "name": [{"family": "A", "family": "B"}]}',
    b'{"resourceType": "Patient", "birthDate": "1970-01-01", "resourceType": "Patient"}',
])
def test_duplicate_keys_are_refused(client, store, raw):
    body = assert_outcome(client.post(f"{BASE}/Patient", data=raw, content_type=FHIR_JSON), 400)
    assert "twice" in body["issue"][0]["diagnostics"]
    assert _stored(store) == 0


@pytest.mark.parametrize("raw", [
    b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": NaN}}',
    b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": Infinity}}',
    b'{"resourceType": "Patient", "name": [{"family": "\xff"}]}',
])
def test_non_json_numbers_and_non_utf8_are_refused(client, store, raw):
    assert_outcome(client.post(f"{BASE}/Observation", data=raw, content_type=FHIR_JSON), 400)


# -- narrative (txt-1, txt-2) -----------------------------------------------------------------------------------
@pytest.mark.parametrize("div", [
    "<p>no div</p>",
    "<div>no namespace</div>",
    f"<div {XHTML}>one</div><div {XHTML}>two</div>",
    f"<div {XHTML}><script>alert(1)</script>x</div>",
    f'<div {XHTML}><img src="x.png" onerror="alert(1)"/></div>',
    f'<div {XHTML}><p onclick="alert(1)">x</p></div>',
    f'<div {XHTML}><a href="javascript:alert(1)">x</a></div>',
    f'<div {XHTML}><form><input/></form></div>',
    f'<div {XHTML}><iframe src="http://x"/>x</div>',
    f'<div {XHTML}><svg xmlns="http://www.w3.org/2000/svg"/>x</div>',
    f"<div {XHTML}>   </div>",
    f"<div {XHTML}><p>unclosed</div>",
    f'<!DOCTYPE x [<!ENTITY e "boom">]><div {XHTML}>&e;</div>',
    f"<div {XHTML}>&nbsp;</div>",
])
def test_narratives_outside_txt1_txt2_are_refused(client, store, div):
    resource = {**PATIENT, "text": {"status": "generated", "div": div}}
    body = assert_outcome(client.post(f"{BASE}/Patient", json=resource), 400)
    assert "Patient.text.div" in _expressions(body), body
    assert _stored(store) == 0


def test_a_plain_narrative_is_accepted(client):
    div = (f'<div {XHTML} xml:lang="fr"><p style="color: red">Claire <b>Martin</b> &amp; co</p>'
           f'<table><tr><td colspan="2"><a href="#x">lien</a></td></tr></table><img src="#photo" alt="p"/></div>')
    resource = {**PATIENT, "text": {"status": "generated", "div": div}}
    response = client.post(f"{BASE}/Patient", json=resource)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["text"]["div"] == div


# -- decimals as written ---------------------------------------------------------------------------------------
DIGITS_50 = "3.1415926535897932384626433832795028841971693993751"


@pytest.mark.parametrize("literal", ["1e-400", DIGITS_50, "1.50", "100.000", "-0.0000000000000000000001",
                                     "123456789012345678901234567890", "6.02214076E+23"])
def test_decimals_round_trip_digit_for_digit(client, literal):
    raw = (b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, '
           b'"valueQuantity": {"value": ' + literal.encode() + b', "unit": "u"}, '
           b'"component": [{"code": {"text": "c"}, "valueQuantity": {"value": ' + literal.encode() + b'}}]}')
    created = client.post(f"{BASE}/Observation", data=raw, content_type=FHIR_JSON)
    assert created.status_code == 201, created.get_data(as_text=True)
    rid = created.get_json()["id"]
    expected = b'"value":' + literal.encode()
    for url in (f"{BASE}/Observation/{rid}", f"{BASE}/Observation/{rid}/_history/1",
                f"{BASE}/Observation?_id={rid}"):
        data = client.get(url).get_data()
        assert data.count(expected) == 2, (url, data)
    assert created.get_data().count(expected) == 2


def test_plain_decimals_stay_plain_numbers_in_the_store(client, store):
    created = client.post(f"{BASE}/Observation", json=OBSERVATION).get_json()
    document = store.collection("Observation").find_one({"_id": created["id"]})
    assert document["valueQuantity"]["value"] == 5.4 and isinstance(document["valueQuantity"]["value"], float)
    assert "num" not in document.get("_codoc", {})


def test_an_update_keeps_the_precision_of_what_it_reads(client):
    raw = (b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, '
           b'"valueQuantity": {"value": 1.50}}')
    created = client.post(f"{BASE}/Observation", data=raw, content_type=FHIR_JSON).get_json()
    read = json.loads(client.get(f"{BASE}/Observation/{created['id']}").get_data(), parse_float=str)
    assert read["valueQuantity"]["value"] == "1.50"
    updated = client.put(f"{BASE}/Observation/{created['id']}", data=client.get(
        f"{BASE}/Observation/{created['id']}").get_data().replace(b'"final"', b'"amended"'), content_type=FHIR_JSON)
    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert b'"value":1.50' in client.get(f"{BASE}/Observation/{created['id']}/_history/2").get_data()


def test_an_integer_out_of_range_is_refused(client, store):
    raw = b'{"resourceType": "Patient", "multipleBirthInteger": 99999999999999999999999}'
    body = assert_outcome(client.post(f"{BASE}/Patient", data=raw, content_type=FHIR_JSON), 400)
    assert "Patient.multipleBirthInteger" in _expressions(body)


# -- items 4 and 5: limits, never a 500 ---------------------------------------------------------------------------
def _nested_extensions(depth: int) -> dict:
    extension = {"url": "http://x/e", "valueString": "leaf"}
    for _ in range(depth - 1):
        extension = {"url": "http://x/e", "extension": [extension]}
    return {**PATIENT, "extension": [extension]}


def test_150_nested_extensions_get_413_not_a_500(client, store):
    body = assert_outcome(client.post(f"{BASE}/Patient", json=_nested_extensions(150)), 413, "too-long")
    assert "64" in body["issue"][0]["diagnostics"]
    assert _stored(store) == 0


def test_nesting_up_to_the_limit_is_accepted(client):
    assert client.post(f"{BASE}/Patient", json=_nested_extensions(31)).status_code == 201  # 63 levels
    assert_outcome(client.post(f"{BASE}/Patient", json=_nested_extensions(32)), 413)  # 65 levels


def test_deep_arrays_get_413(client):
    raw = b'{"resourceType": "Patient", "name": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert_outcome(client.post(f"{BASE}/Patient", data=raw, content_type=FHIR_JSON), 413)


@pytest.mark.settings(CODOC_MAX_JSON_DEPTH=8)
def test_the_depth_limit_is_configurable(client):
    assert_outcome(client.post(f"{BASE}/Patient", json=_nested_extensions(4)), 413)
    assert client.post(f"{BASE}/Patient", json=_nested_extensions(3)).status_code == 201


@pytest.mark.settings(CODOC_MAX_ARRAY_ITEMS=10)
def test_arrays_longer_than_the_limit_get_413(client, store):
    long = {**PATIENT, "name": [{"family": "Martin", "given": [f"g{i}" for i in range(11)]}]}
    body = assert_outcome(client.post(f"{BASE}/Patient", json=long), 413, "too-long")
    assert "Patient.name[0].given" in _expressions(body)
    ok = {**PATIENT, "name": [{"family": "Martin", "given": [f"g{i}" for i in range(10)]}]}
    assert client.post(f"{BASE}/Patient", json=ok).status_code == 201
    assert _stored(store) == 1


@pytest.mark.settings(CODOC_MAX_BUNDLE_ENTRIES=3)
def test_bundles_with_more_entries_than_the_limit_get_413(client, store):
    entry = {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}
    for kind in ("batch", "transaction"):
        bundle = {"resourceType": "Bundle", "type": kind, "entry": [entry] * 4}
        body = assert_outcome(client.post(f"{BASE}/", json=bundle), 413, "too-long")
        assert "Bundle.entry" in _expressions(body)
    assert _stored(store) == 0
    ok = {"resourceType": "Bundle", "type": "transaction", "entry": [entry] * 3}
    assert client.post(f"{BASE}/", json=ok).status_code == 200


def test_default_limits_are_documented_settings(app):
    config = app.config
    assert (config["CODOC_MAX_JSON_DEPTH"], config["CODOC_MAX_ARRAY_ITEMS"], config["CODOC_MAX_BUNDLE_ENTRIES"],
            config["CODOC_MAX_SEARCH_KEYS"]) == (64, 10_000, 10_000, 100_000)


def test_a_1_1_mb_body_of_distinct_given_names_gets_413(client, store):
    given = [f"prenom{i:07d}" for i in range(66_000)]  # distinct: each has its own word prefixes
    names = [{"family": "Martin", "given": given[i:i + 600]} for i in range(0, len(given), 600)]
    resource = {**PATIENT, "name": names}
    assert len(json.dumps(resource)) > 1_000_000
    body = assert_outcome(client.post(f"{BASE}/Patient", json=resource), 413, "too-long")
    assert "CODOC_MAX_SEARCH_KEY" in body["issue"][0]["diagnostics"]
    assert _stored(store) == 0


@pytest.mark.settings(CODOC_MAX_SEARCH_KEYS=10)
def test_search_keys_over_the_limit_get_413(client, store):
    given = ["Anne", "Beatrice", "Claire", "Danielle", "Elise", "Fanny"]  # 12 name keys (the family is under family)
    resource = {**PATIENT, "name": [{"family": "Martin", "given": given}]}
    assert_outcome(client.post(f"{BASE}/Patient", json=resource), 413, "too-long")
    assert client.post(f"{BASE}/Patient", json=PATIENT).status_code == 201


def test_a_10_mib_single_string_gets_413(client, store):
    resource = {**PATIENT, "name": [{"family": "x" * (10 * 1024 * 1024 - 200)}]}
    body = assert_outcome(client.post(f"{BASE}/Patient", json=resource), 413, "too-long")
    assert "Patient.name[0].family" in _expressions(body)
    assert _stored(store) == 0


def test_strings_up_to_fhirs_limit_are_accepted(client):
    resource = {**PATIENT, "name": [{"family": "Martin", "text": "y" * (1024 * 1024)}]}
    assert client.post(f"{BASE}/Patient", json=resource).status_code == 201
    resource["name"][0]["text"] += "y"
    assert_outcome(client.post(f"{BASE}/Patient", json=resource), 413)


@pytest.mark.parametrize("bundle,expression", [
    ({"entry": {"resource": PATIENT}}, "Bundle.entry"),
    ({"entry": ["Patient"]}, "Bundle.entry[0]"),
    ({"entry": [None]}, "Bundle.entry[0]"),
    ({"entry": [{"resource": PATIENT, "request": "POST Patient"}]}, "Bundle.entry[0].request"),
    ({"entry": [{"resource": PATIENT, "request": {"method": 1, "url": "Patient"}}]},
     "Bundle.entry[0].request.method"),
    ({"entry": [{"resource": PATIENT, "request": {"method": "POST", "url": 7}}]}, "Bundle.entry[0].request.url"),
    ({"entry": [{"resource": "Patient", "request": {"method": "POST", "url": "Patient"}}]},
     "Bundle.entry[0].resource"),
    ({"entry": [{"fullUrl": 3, "resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}]},
     "Bundle.entry[0].fullUrl"),
    ({"entry": []}, "Bundle.entry"),
])
@pytest.mark.parametrize("kind", ["batch", "transaction"])
def test_misshapen_bundles_get_400_not_a_500(client, store, bundle, expression, kind):
    body = assert_outcome(client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": kind, **bundle}), 400)
    assert expression in _expressions(body), body
    assert _stored(store) == 0


def test_bundle_entries_are_validated_strictly(client, store):
    entry = {"resource": {**PATIENT, "active": "true"}, "request": {"method": "POST", "url": "Patient"}}
    body = assert_outcome(client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "transaction",
                                                        "entry": [entry]}), 400)
    assert "Patient.active" in _expressions(body)
    batch = client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "batch", "entry": [entry]}).get_json()
    assert batch["entry"][0]["response"]["status"] == "400"
    assert _stored(store) == 0


def test_a_500_logs_one_line_with_its_request_id_and_the_stack_only_at_debug(client, app, caplog, monkeypatch):
    handler = app.extensions["codoc.registry"].get("Patient")
    monkeypatch.setattr(type(handler), "search", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.INFO, logger="codoc"):
        response = client.get(f"{BASE}/Patient?name=x", headers={"X-Request-ID": "req-42"})
    body = assert_outcome(response, 500, "exception")
    assert "req-42" in body["issue"][0]["diagnostics"] and "ZeroDivision" not in response.get_data(as_text=True)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and "req-42" in loud[0].getMessage() and "\n" not in loud[0].getMessage()
    assert loud[0].exc_info is None
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="codoc"):
        client.get(f"{BASE}/Patient?name=x", headers={"X-Request-ID": "req-43"})
    stacks = [r for r in caplog.records if r.levelno == logging.DEBUG and "req-43" in r.getMessage()]
    assert stacks and "Traceback" not in stacks[0].getMessage() and "line" in stacks[0].getMessage()


def test_a_decimal_beyond_float64_is_stored_served_and_audited(client, store):
    raw = (b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, '
           b'"valueQuantity": {"value": 1e400}}')
    created = client.post(f"{BASE}/Observation", data=raw, content_type=FHIR_JSON)
    assert created.status_code == 201, created.get_data(as_text=True)
    reference = f"Observation/{json.loads(created.get_data(), parse_float=str)['id']}"
    assert b'"value":1e400' in client.get(f"{BASE}/{reference}").get_data()
    audited = store.db[AUDIT_COLLECTION].find_one({"entity.what.reference": reference, "subtype.code": "create"})
    assert audited is not None


@pytest.mark.settings(CODOC_MAX_SEARCH_KEY_CHARS=0, CODOC_MAX_SEARCH_KEYS=0)
def test_long_strings_do_not_multiply_the_stored_size(client, store, backend):
    """Search keys are bounded (long ones kept as a start and a digest), so ~9 MiB of names stay ~9 MiB."""
    names = [{"family": chr(ord("a") + i) * (1024 * 1024)} for i in range(9)]
    created = client.post(f"{BASE}/Patient", json={**PATIENT, "name": names})
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    assert max(len(k["_id"]) for k in store.keys.find({}, {"_id": 1})) < 400
    found = client.get(f"{BASE}/Patient?family:exact={'c' * (1024 * 1024)}").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [created.get_json()["id"]]
