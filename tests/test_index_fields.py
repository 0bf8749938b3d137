"""The search helpers of a resource, exactly: ``index_fields`` and the ``_codoc`` object the store makes of them, key
order included (what earlier versions stored, byte for byte; searches and reindexing rely on it)."""
import json

import pytest

from app import create_app
from fhirstore.errors import PayloadTooLargeError

BASE = "https://fhir.codoc.fr"
PHENOTYPE = {
    "resourceType": "Observation", "id": "0b7e7c3e-0000-7000-8000-000000000001",
    "meta": {"profile": [f"{BASE}/StructureDefinition/observation-phenotype"],
             "source": f"{BASE}/CodeSystem/nlp-run#000000000001:00000000000000000001abcdef01"},
    "extension": [{"url": f"{BASE}/StructureDefinition/phenotype-assertion", "valueCode": "affirmed"},
                  {"url": f"{BASE}/StructureDefinition/phenotype-offsets",
                   "extension": [{"url": "start", "valueInteger": 10}, {"url": "end", "valueInteger": 27}]}],
    "status": "preliminary",
    "code": {"coding": [{"system": "http://id.who.int/icd/release/10/2019", "code": "E11",
                         "display": "Diabète sucré de type 2"}]},
    "derivedFrom": [{"reference": "DocumentReference/d1"}],
    "valueString": "diabète de type 2",
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/e1"},
}
OBSERVATION = {
    "resourceType": "Observation", "id": "o1",
    "meta": {"profile": ["http://p/x"], "tag": [{"system": "urn:t", "code": "a|b"}], "security": [{"code": "R"}]},
    "identifier": [{"system": "http://h|1", "value": "1"}, {"value": "x\\y"}],
    "status": "final",
    "category": [{"coding": [{"system": "http://c", "code": "lab"}]}, {"text": "x"}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}, {"system": "http://loinc.org"},
                        {"code": "2345-7"}]},
    "subject": {"reference": "Patient/p1/_history/2"},
    "encounter": {"reference": "http://other.example/fhir/Encounter/e9"},
    "effectivePeriod": {"start": "2021-03", "end": "2021-03-04T10:20:30+02:00"},
    "derivedFrom": [{"reference": "DocumentReference/d1"}, {"reference": "Patient?identifier=x"},
                    {"reference": "#c1"}, {"reference": "Group/g1"}, {"reference": "DocumentReference/d1"}],
    "hasMember": [{"reference": "Observation/o2"}],
    "performer": [{"reference": "Practitioner/pr1"}, {"reference": "Patient/p1"}],
    "contained": [{"resourceType": "Patient", "id": "c1", "managingOrganization": {"reference": "Organization/o9"}}],
    "extension": [{"url": f"{BASE}/StructureDefinition/phenotype-assertion", "valueCode": "negated"}],
    "valueQuantity": {"value": 1.5, "unit": "mmol/L"},
}
PATIENT = {
    "resourceType": "Patient", "id": "p1",
    "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.7", "value": "123"}],
    "name": [{"family": "Dupont-Élodie", "given": ["Jean-Pierre", "Ève"], "prefix": ["Dr"]}, {"text": "JP D"}],
    "gender": "male", "birthDate": "1970-03",
    "generalPractitioner": [{"reference": "Practitioner/pr1"}],
    "managingOrganization": {"reference": "Organization/o1/_history/4"},
}
EXPECTED = {
    'phenotype': (
        {'refs': ['Patient/p1', 'Encounter/e1'],
         'sp': {'status': 'preliminary',
                'subject': 'Patient/p1',
                'patient': 'Patient/p1',
                'encounter': 'Encounter/e1',
                'assertion': 'affirmed'},
         'keys': ['_profile|https://fhir.codoc.fr/StructureDefinition/observation-phenotype',
                  'code|http://id.who.int/icd/release/10/2019|E11',
                  'code|E11',
                  'derived_from|DocumentReference/d1'],
         'src': 'd1',
         'seq': '000000000001:00000000000000000001abcdef01'},
        {'refs': ['Patient/p1', 'Encounter/e1'],
         'sp': {'status': 'preliminary',
                'subject': 'Patient/p1',
                'patient': 'Patient/p1',
                'encounter': 'Encounter/e1',
                'assertion': 'affirmed'},
         'src': 'd1',
         'seq': '000000000001:00000000000000000001abcdef01',
         'ik': {'_profile': 'Observation|_profile|https://fhir.codoc.fr/StructureDefinition/observation-phenotype\x1f'
                            'Observation/0b7e7c3e-0000-7000-8000-000000000001',
                'code_s': 'Observation|code|http://id.who.int/icd/release/10/2019|E11\x1f'
                          'Observation/0b7e7c3e-0000-7000-8000-000000000001',
                'code': 'Observation|code|E11\x1fObservation/0b7e7c3e-0000-7000-8000-000000000001',
                'derived_from': 'Observation|derived_from|DocumentReference/d1\x1f'
                                'Observation/0b7e7c3e-0000-7000-8000-000000000001'},
         'keys': ['@|Encounter/e1', '@|Patient/p1']},
    ),
    'observation': (
        {'refs': ['Patient/p1', 'DocumentReference/d1', 'Group/g1', 'Observation/o2', 'Practitioner/pr1'],
         'sp': {'status': 'final',
                'subject': 'Patient/p1',
                'patient': 'Patient/p1',
                'encounter': 'http://other.example/fhir/Encounter/e9',
                'date': {'lo': '2021-03-01T00:00:00.000Z', 'hi': '2021-03-04T08:20:30.999Z'},
                'assertion': 'negated'},
         'keys': ['_profile|http://p/x',
                  '_tag|urn:t|a\\|b',
                  '_tag|a\\|b',
                  '_security||R',
                  '_security|R',
                  'identifier|http://h\\|1|1',
                  'identifier|1',
                  'identifier||x\\\\y',
                  'identifier|x\\\\y',
                  'code|http://loinc.org|2345-7',
                  'code|2345-7',
                  'code|http://loinc.org|',
                  'code||2345-7',
                  'category|http://c|lab',
                  'category|lab',
                  'derived_from|DocumentReference/d1',
                  'derived_from|Patient?identifier=x',
                  'derived_from|#c1']},
        {'refs': ['Patient/p1', 'DocumentReference/d1', 'Group/g1', 'Observation/o2', 'Practitioner/pr1'],
         'sp': {'status': 'final',
                'subject': 'Patient/p1',
                'patient': 'Patient/p1',
                'encounter': 'http://other.example/fhir/Encounter/e9',
                'date': {'lo': '2021-03-01T00:00:00.000Z', 'hi': '2021-03-04T08:20:30.999Z'},
                'assertion': 'negated'},
         'ik': {'_profile': 'Observation|_profile|http://p/x\x1fObservation/o1',
                'code': 'Observation|code|2345-7\x1fObservation/o1',
                'category_s': 'Observation|category|http://c|lab\x1fObservation/o1',
                'category': 'Observation|category|lab\x1fObservation/o1'},
         'keys': ['@|DocumentReference/d1',
                  '@|Group/g1',
                  '@|Observation/o2',
                  '@|Patient/p1',
                  '@|Practitioner/pr1',
                  'Observation|_security|R',
                  'Observation|_security||R',
                  'Observation|_tag|a\\|b',
                  'Observation|_tag|urn:t|a\\|b',
                  'Observation|code|http://loinc.org|',
                  'Observation|code|http://loinc.org|2345-7',
                  'Observation|code||2345-7',
                  'Observation|derived_from|#c1',
                  'Observation|derived_from|DocumentReference/d1',
                  'Observation|derived_from|Patient?identifier=x',
                  'Observation|identifier|1',
                  'Observation|identifier|http://h\\|1|1',
                  'Observation|identifier|x\\\\y',
                  'Observation|identifier||x\\\\y']},
    ),
    'patient': (
        {'refs': ['Practitioner/pr1', 'Organization/o1'],
         'sp': {'birthdate': {'lo': '1970-03-01T00:00:00.000Z', 'hi': '1970-03-31T23:59:59.999Z'}, 'gender': 'male'},
         'keys': ['identifier|urn:oid:1.2.250.1.71.4.2.7|123',
                  'identifier|123',
                  'name|jp',
                  'name|d',
                  'name|jean',
                  'name|pierre',
                  'name|eve',
                  'name|dr',
                  'family|dupont',
                  'family|elodie'],
         'checks': ['name|=JP D', 'name|=Jean-Pierre', 'name|=Ève', 'name|=Dr', 'family|=Dupont-Élodie'],
         'unique': ['urn:oid:1.2.250.1.71.4.2.7|123']},
        {'refs': ['Practitioner/pr1', 'Organization/o1'],
         'sp': {'birthdate': {'lo': '1970-03-01T00:00:00.000Z', 'hi': '1970-03-31T23:59:59.999Z'}, 'gender': 'male'},
         'unique': ['!Patient|urn:oid:1.2.250.1.71.4.2.7|123'],
         'keys': ['@|Organization/o1',
                  '@|Practitioner/pr1',
                  'Patient|family|dupont',
                  'Patient|family|elodie',
                  'Patient|identifier|123',
                  'Patient|identifier|urn:oid:1.2.250.1.71.4.2.7|123',
                  'Patient|name|d',
                  'Patient|name|dr',
                  'Patient|name|eve',
                  'Patient|name|jean',
                  'Patient|name|jp',
                  'Patient|name|pierre'],
         'checks': ['Patient|name|=JP D',
                    'Patient|name|=Jean-Pierre',
                    'Patient|name|=Ève',
                    'Patient|name|=Dr',
                    'Patient|family|=Dupont-Élodie']},
    ),
}
CASES = [("phenotype", "Phenotype", PHENOTYPE), ("observation", "Observation", OBSERVATION),
         ("patient", "Patient", PATIENT)]


def _app(**settings):
    return create_app({"TESTING": True, "CODOC_MONGO_URI": "mongomock://", "CODOC_NLP": "off", **settings})


@pytest.mark.parametrize("name, handler, resource", CASES)
def test_index_fields_and_stored_helpers_are_exactly_these(name, handler, resource):
    registry = _app().extensions["codoc.registry"]
    handler = registry.get(handler)
    fields = handler.index_fields(resource)
    internal = handler.store._internal(handler.resource_type, fields, resource["id"])
    expected_fields, expected_internal = EXPECTED[name]
    assert json.dumps(fields) == json.dumps(expected_fields)
    assert json.dumps(internal) == json.dumps(expected_internal)


@pytest.mark.parametrize("setting, message", [
    ("CODOC_MAX_SEARCH_KEYS", "Observation would need 18 search keys, over this server's limit of 3 "
                              "(CODOC_MAX_SEARCH_KEYS); most from identifier (4), code (4), derived_from (3)"),
    ("CODOC_MAX_SEARCH_KEY_CHARS", "Observation would need 321 characters of search keys, over this server's limit "
                                   "of 100 (CODOC_MAX_SEARCH_KEY_CHARS); most from derived_from (82), code (73), "
                                   "identifier (67)"),
])
def test_over_a_search_key_limit_names_the_parameters_producing_the_most(setting, message):
    handler = _app(**{setting: 3 if setting == "CODOC_MAX_SEARCH_KEYS" else 100}).extensions["codoc.registry"].get(
        "Observation")
    with pytest.raises(PayloadTooLargeError) as raised:
        handler.index_fields(OBSERVATION)
    assert str(raised.value) == message


def test_a_long_reference_is_split_alike_but_not_memoised():
    from handlers.references import MEMO_CHARS, _split_local, split_local

    long_type = "P" + "a" * MEMO_CHARS
    kept = _split_local.cache_info().currsize
    assert split_local(f"{long_type}/1/_history/2") == (f"{long_type}/1", long_type)
    assert split_local(f"{long_type}/1?x") is None
    assert _split_local.cache_info().currsize == kept
    assert split_local("Patient/1/_history/2") == ("Patient/1", "Patient")
