"""Property tests: whatever a client sends, the answer is a FHIR JSON answer below 500 (never a stack trace)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from app import create_app
from tests.conftest import BASE
from tests.samples import MINIMAL

APP = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_DB": "fuzz", "CODOC_RATELIMIT_ENABLED": False})
CLIENT = APP.test_client()
FIELDS = ["id", "meta", "gender", "birthDate", "name", "identifier", "active", "status", "code", "subject",
          "partOf", "period", "content", "extension", "valueQuantity", "type", "unknownField"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from(FIELDS + ["reference",
                                                                                              "system", "value"]),
                                                                      inner, max_size=3)), max_leaves=8)
TYPES = sorted(MINIMAL)


def assert_fhir_answer(response) -> None:
    assert response.status_code < 500 and response.status_code != 429, response.get_data(as_text=True)
    if response.status_code >= 400:
        body = response.get_json()
        assert body["resourceType"] == "OperationOutcome" and body["issue"]


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(TYPES), extra=st.dictionaries(st.sampled_from(FIELDS), values, max_size=4))
def test_random_resources_are_stored_or_refused_cleanly(name, extra):
    body = {**MINIMAL[name], **extra}
    assert_fhir_answer(CLIENT.post(f"{BASE}/{name}", json=body))
    assert_fhir_answer(CLIENT.put(f"{BASE}/{name}/fuzz-1", json={**body, "id": "fuzz-1"}))


@hsettings(max_examples=150, deadline=None)
@given(name=st.sampled_from(TYPES), key=st.sampled_from(["_id", "_count", "_offset", "date", "code", "identifier",
                                                          "subject", "name", "birthdate", "status", "_include",
                                                          "_sort", "partof", "unknown"]),
       value=st.text(max_size=30))
def test_random_searches_answer_a_bundle_or_an_outcome(name, key, value):
    assert_fhir_answer(CLIENT.get(f"{BASE}/{name}", query_string={key: value}))


@hsettings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(raw):
    response = CLIENT.post(f"{BASE}/Patient", data=raw, content_type="application/fhir+json")
    assert_fhir_answer(response)
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        assert response.status_code == 400


@hsettings(max_examples=100, deadline=None)
@given(entries=st.lists(st.fixed_dictionaries({
    "request": st.fixed_dictionaries({"method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", ""]),
                                      "url": st.sampled_from(["Patient", "Patient/fuzz-1", "Observation", "Nope/1",
                                                              "Patient?name=x", "", "a/b/c", "Patient/bad id"])}),
    "resource": st.one_of(st.none(), st.sampled_from([MINIMAL["Patient"], MINIMAL["Observation"], {}]), values),
    "fullUrl": st.sampled_from(["urn:uuid:a", "urn:uuid:b", "x"])}), max_size=4),
    kind=st.sampled_from(["transaction", "batch", "collection"]))
def test_random_bundles_answer_cleanly(entries, kind):
    assert_fhir_answer(CLIENT.post(f"{BASE}/", json={"resourceType": "Bundle", "type": kind, "entry": entries}))


@hsettings(max_examples=80, deadline=None)
@given(operation=st.sampled_from(["$merge", "$validate", "$everything", "$expunge", "$hierarchy", "$enrich"]),
       target=st.sampled_from(["Patient", "Organization", "DocumentReference"]),
       instance=st.sampled_from([None, "fuzz-1", "unknown"]), payload=values)
def test_random_operations_answer_cleanly(operation, target, instance, payload):
    url = f"{BASE}/{target}/{instance + '/' if instance else ''}{operation}"
    assert_fhir_answer(CLIENT.post(url, json=payload))
    assert_fhir_answer(CLIENT.get(url))


CONTROL = st.characters(min_codepoint=0, max_codepoint=31).filter(lambda c: c not in "\t\r\n")


@hsettings(max_examples=60, deadline=None)
@given(before=st.text(max_size=8), bad=CONTROL, after=st.text(max_size=8))
def test_strings_with_control_characters_are_refused(before, bad, after):
    family = before + bad + after
    response = CLIENT.post(f"{BASE}/Patient", json={**MINIMAL["Patient"], "name": [{"family": family}]})
    assert response.status_code == 400, response.get_data(as_text=True)


@hsettings(max_examples=60, deadline=None)
@given(name=st.sampled_from(TYPES), key=st.sampled_from(["id", "meta", "status", "text", "extension", "x"]),
       first=values, second=values)
def test_duplicate_keys_are_refused_whatever_they_hold(name, key, first, second):
    body = json.dumps({**MINIMAL[name], key: first})[:-1] + f", {json.dumps(key)}: {json.dumps(second)}}}"
    response = CLIENT.post(f"{BASE}/{name}", data=body, content_type="application/fhir+json")
    assert response.status_code == 400, response.get_data(as_text=True)
