"""FHIR search over the hospital: every parameter of every type, paging, _include, _sort, bad values, indexes."""
from __future__ import annotations

import pytest

from handlers.search import index as search_index
from handlers.search import plan as search_plan
from handlers.context import RequestContext
from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import (IPP, LEVEL_SYSTEM, follow, hospital, hospital_app, ids, link,  # noqa: F401
                                     search)

LOINC = "http://loinc.org"
OLD_IPP = "https://pellegrin.example/fhir/sid/ipp"
DUPONT_DATA = {"obs-trop-1", "obs-bp-1", "phen-1"}
UNITS = {"unit-uhcd", "unit-neuro-vasc", "unit-usic", "unit-cardio-hc"}
PATIENTS = {"pat-dupont", "pat-lefevre", "pat-nguyen", "pat-dupond"}

#: (route, query, expected match ids). Every declared parameter of every type appears at least once (checked below).
CASES = [
    # Patient
    ("Patient", "_id=pat-dupont,pat-nguyen", {"pat-dupont", "pat-nguyen"}),
    ("Patient", "_lastUpdated=gt2000-01-01", PATIENTS),
    ("Patient", "_lastUpdated=lt2000-01-01", set()),
    ("Patient", f"identifier={IPP}|IPP-1001", {"pat-dupont"}),
    ("Patient", f"identifier={IPP}|IPP-0042", {"pat-dupont"}),  # an old IPP still finds its patient
    ("Patient", "identifier=IPP-1002", {"pat-lefevre"}),  # official and usual: one patient, once
    ("Patient", f"identifier={OLD_IPP}|P-78", {"pat-lefevre"}),
    ("Patient", f"identifier={OLD_IPP}|", {"pat-lefevre"}),
    ("Patient", "identifier=|IPP-1001", set()),  # |value means "no system"
    ("Patient", f"identifier={IPP}|IPP-1001,{IPP}|IPP-1003", {"pat-dupont", "pat-nguyen"}),
    ("Patient", "name=élo", {"pat-lefevre"}),
    ("Patient", "name=JEAN", {"pat-dupont", "pat-dupond"}),
    ("Patient", "name=marie%20dup", {"pat-dupont"}),  # every word must start a word of the name
    ("Patient", "family=lefevre", {"pat-lefevre"}),
    ("Patient", "family=MARTIN", {"pat-lefevre"}),
    ("Patient", "family=dupon", {"pat-dupont", "pat-dupond"}),
    ("Patient", "family=jean", set()),
    ("Patient", "family:exact=Lefèvre-Martin", {"pat-lefevre"}),
    ("Patient", "family:exact=lefèvre-martin", set()),
    ("Patient", "birthdate=1956-03-14", {"pat-dupont", "pat-dupond"}),
    ("Patient", "birthdate=1990", {"pat-nguyen"}),
    ("Patient", "birthdate=ge1988&birthdate=lt1990-01-20", {"pat-lefevre"}),
    ("Patient", "birthdate=le1956-03-14", {"pat-dupont", "pat-dupond"}),
    ("Patient", "birthdate=gt1990-01-20", set()),
    ("Patient", "gender=male", {"pat-dupont", "pat-dupond"}),
    ("Patient", "gender=female&family=nguyen", {"pat-nguyen"}),
    ("Patient", "active=true", {"pat-dupont", "pat-lefevre", "pat-dupond"}),
    ("Patient", "link=Patient/pat-dupont", {"pat-dupond"}),
    ("patient", "link=pat-dupont", {"pat-dupond"}),
    # Organization
    ("Organization", "_id=chu", {"chu"}),
    ("Organization", "_lastUpdated=ge2000", {"chu", "site-pellegrin", "site-haut-leveque", "dept-urgences",
                                             "dept-neuro", "dept-cardio", "lab-cerballiance", *UNITS}),
    ("Organization", "identifier=http://finess.sante.gouv.fr|330781196", {"chu"}),
    ("Organization", "name=pellegrin", {"site-pellegrin"}),
    ("Organization", "name=universitaire", {"chu"}),  # an alias
    ("Organization", "name=haut-leveque", {"site-haut-leveque"}),
    ("Organization", "type=site", {"site-pellegrin", "site-haut-leveque"}),
    ("Organization", f"type={LEVEL_SYSTEM}|unit", {"unit-uhcd", "unit-neuro-vasc", "unit-cardio-hc"}),
    ("Organization", "type=|unit", {"unit-usic"}),
    ("Organization", "type=http://terminology.hl7.org/CodeSystem/organization-type|prov", {"lab-cerballiance"}),
    ("Organization", "partof=Organization/site-pellegrin", {"dept-urgences", "dept-neuro"}),
    ("organization", "partof=dept-cardio", {"unit-usic", "unit-cardio-hc"}),
    ("Organization", "partof=Organization/chu,Organization/dept-neuro",
     {"site-pellegrin", "site-haut-leveque", "unit-neuro-vasc"}),
    # Encounter
    ("Encounter", "_id=stay-1", {"stay-1"}),
    ("Encounter", "_lastUpdated=ge2000&status=in-progress", {"stay-2", "mvt-2b"}),
    ("Encounter", "identifier=NDA-5001", {"stay-1"}),
    ("Encounter", "status=finished", {"stay-1", "mvt-1a", "mvt-1b", "mvt-2a"}),
    ("Encounter", "type=https://chu-bordeaux.example/fhir/CodeSystem/encounter-type|sejour", {"stay-1", "stay-2"}),
    ("Encounter", "subject=Patient/pat-dupont", {"stay-1", "mvt-1a", "mvt-1b"}),
    ("Encounter", "subject:Patient=pat-lefevre", {"stay-2", "mvt-2a", "mvt-2b"}),
    ("Encounter", "patient=pat-lefevre", {"stay-2", "mvt-2a", "mvt-2b"}),
    ("Encounter", "date=ge2024-04-01", {"stay-2", "mvt-2a", "mvt-2b"}),
    ("Encounter", "date=ge2024-03-03T09:30:00Z&date=le2024-03-03T09:30:00Z", {"stay-1", "mvt-1b"}),  # overlap
    ("Encounter", "date=2024-03", {"stay-1", "mvt-1a", "mvt-1b"}),  # lies within March
    ("Encounter", "date=lt2024-03-01T07:00:00Z", set()),
    ("Encounter", "date=gt2030-01-01", {"stay-2", "mvt-2b"}),  # still open
    ("Encounter", "part-of=Encounter/stay-1", {"mvt-1a", "mvt-1b"}),
    ("encounter", "part-of=stay-2", {"mvt-2a", "mvt-2b"}),
    ("Encounter", "service-provider=Organization/unit-uhcd", {"mvt-2a"}),
    ("Encounter", "service-provider=site-pellegrin,site-haut-leveque", {"stay-1", "stay-2"}),
    # Observation (Phenotypes are Observations too)
    ("Observation", "_id=obs-bp-1", {"obs-bp-1"}),
    ("Observation", "_lastUpdated=ge2000&patient=pat-lefevre", {"obs-glu-2"}),
    ("Observation", "identifier=OBS-TROP-1", {"obs-trop-1"}),
    ("Observation", "status=preliminary", {"obs-glu-2"}),
    ("Observation", f"code={LOINC}|6598-7", {"obs-trop-1"}),
    ("Observation", "code=2345-7", {"obs-glu-2"}),
    ("Observation", "code=http://hl7.org/fhir/sid/icd-10|", {"phen-1"}),
    ("Observation", "category=vital-signs", {"obs-bp-1"}),
    ("Observation", "subject=Patient/pat-dupont", DUPONT_DATA),
    ("Observation", "patient=pat-dupont", DUPONT_DATA),
    ("Observation", "subject=http://localhost/v4.3.0/Patient/pat-dupont", DUPONT_DATA),  # this server's own URL
    ("Observation", "subject=http://elsewhere.example/fhir/Patient/pat-dupont", set()),
    ("Observation", "encounter=Encounter/mvt-1a", {"obs-trop-1", "obs-bp-1"}),
    ("Observation", "date=2024-03-01", {"obs-trop-1", "obs-bp-1"}),
    ("Observation", "date=lt2024-03-01T09:00:00%2B01:00", {"obs-trop-1"}),  # %2B is +
    ("Observation", "date=ge2024-03-01T08:00:00Z", {"obs-bp-1", "obs-glu-2"}),
    ("Observation", "derived-from=DocumentReference/doc-cr-1", {"phen-1"}),
    ("Phenotype", "derived-from=DocumentReference/doc-cr-1", {"phen-1"}),
    ("Phenotype", "subject=Patient/pat-dupont", {"phen-1"}),
    ("phenotype", "code=I21.4", {"phen-1"}),
    ("Phenotype", "_id=phen-1,obs-bp-1", {"phen-1"}),  # only Observations with the phenotype profile
    ("Phenotype", "_lastUpdated=ge2000", {"phen-1"}),
    ("Phenotype", "identifier=OBS-TROP-1", set()),
    ("Phenotype", "status=final&patient=pat-dupont", {"phen-1"}),
    ("Phenotype", "category=laboratory", set()),
    ("Phenotype", "encounter=Encounter/mvt-1a", set()),
    ("Phenotype", "date=2024", set()),
    ("Phenotype", "assertion=affirmed", {"phen-1"}),
    ("Phenotype", "assertion=negated&subject=Patient/pat-dupont", set()),
    ("Observation", "assertion=affirmed", {"phen-1"}),
    # DocumentReference
    ("DocumentReference", "_id=doc-cr-1", {"doc-cr-1"}),
    ("DocumentReference", "_lastUpdated=ge2000&status=current", {"doc-cr-1"}),
    ("DocumentReference", "identifier=https://chu-bordeaux.example/fhir/sid/doc|CR-2024-0001", {"doc-cr-1"}),
    ("DocumentReference", "status=superseded", set()),
    ("DocumentReference", f"type={LOINC}|11490-0", {"doc-cr-1"}),
    ("DocumentReference", "category=clinical-note", {"doc-cr-1"}),
    ("DocumentReference", "subject=Patient/pat-dupont", {"doc-cr-1"}),
    ("DocumentReference", "patient=pat-lefevre", set()),
    ("DocumentReference", "encounter=Encounter/stay-1", {"doc-cr-1"}),
    ("DocumentReference", "date=ge2024-03-10T11:00:00Z", {"doc-cr-1"}),
    ("DocumentReference", "date=lt2024-03-10T11:00:00Z", set()),
    # Procedure
    ("Procedure", "_id=proc-1", {"proc-1"}),
    ("Procedure", "_lastUpdated=ge2000&status=completed", {"proc-1"}),
    ("Procedure", "identifier=ACTE-1", {"proc-1"}),
    ("Procedure", "status=in-progress", set()),
    ("Procedure", "code=https://www.atih.sante.fr/ccam|DDQH009", {"proc-1"}),
    ("Procedure", "subject=Patient/pat-dupont", {"proc-1"}),
    ("Procedure", "patient=pat-dupont", {"proc-1"}),
    ("Procedure", "encounter=mvt-1a", {"proc-1"}),
    ("Procedure", "date=2024-03-01", {"proc-1"}),
    ("Procedure", "date=2024-03-02", set()),
    # MedicationRequest
    ("MedicationRequest", "_id=medrq-1", {"medrq-1"}),
    ("MedicationRequest", "_lastUpdated=ge2000&intent=order", {"medrq-1"}),
    ("MedicationRequest", "identifier=RX-1", {"medrq-1"}),
    ("MedicationRequest", "status=active", {"medrq-1"}),
    ("MedicationRequest", "intent=plan", set()),
    ("MedicationRequest", "code=http://www.whocc.no/atc|B01AC06", {"medrq-1"}),
    ("MedicationRequest", "subject=Patient/pat-dupont", {"medrq-1"}),
    ("MedicationRequest", "patient=pat-nguyen", set()),
    ("MedicationRequest", "encounter=Encounter/stay-1", {"medrq-1"}),
    ("MedicationRequest", "authoredon=2024-03-02", {"medrq-1"}),
    # DiagnosticReport
    ("DiagnosticReport", "_id=dr-1", {"dr-1"}),
    ("DiagnosticReport", "_lastUpdated=ge2000&category=LAB", {"dr-1"}),
    ("DiagnosticReport", "identifier=BIO-1", {"dr-1"}),
    ("DiagnosticReport", "status=final", {"dr-1"}),
    ("DiagnosticReport", f"code={LOINC}|89579-7", {"dr-1"}),
    ("DiagnosticReport", "category=http://terminology.hl7.org/CodeSystem/v2-0074|LAB", {"dr-1"}),
    ("DiagnosticReport", "subject=Patient/pat-dupont", {"dr-1"}),
    ("DiagnosticReport", "patient=pat-dupont", {"dr-1"}),
    ("DiagnosticReport", "encounter=Encounter/stay-1", {"dr-1"}),
    ("DiagnosticReport", "date=le2024-03-01", {"dr-1"}),
    # CodeSystem
    ("CodeSystem", "_id=cs-motifs", {"cs-motifs"}),
    ("CodeSystem", "_lastUpdated=ge2000&status=active", {"cs-motifs"}),
    ("CodeSystem", "url=https://chu-bordeaux.example/fhir/CodeSystem/motifs", {"cs-motifs"}),
    ("CodeSystem", "system=https://chu-bordeaux.example/fhir/CodeSystem/motifs", {"cs-motifs"}),
    ("CodeSystem", "url=https://chu-bordeaux.example/fhir/CodeSystem", set()),  # uri: exact
    ("CodeSystem", "name=motifs", {"cs-motifs"}),
    ("CodeSystem", "name=admission", {"cs-motifs"}),  # the title
    ("CodeSystem", "status=draft", set()),
    ("CodeSystem", "code=DT-A", {"cs-motifs"}),  # a nested concept
]
#: _profile, _tag, _security on every type (the hospital has none of them; tests/test_search_forms.py finds some).
CASES += [(route, f"{name}=http://example.org/none|x", set()) for route in dict.fromkeys(r for r, _, _ in CASES)
          if route[0].isupper() for name in ("_profile", "_tag", "_security")]


@pytest.mark.parametrize("route,query,expected", CASES, ids=[f"{r}?{q}" for r, q, _ in CASES])
def test_search_parameter_finds_exactly_the_matching_resources(hospital, route, query, expected):
    bundle = search(hospital, route, query)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert ids(bundle) == expected
    assert bundle["total"] == len(expected)
    for entry in bundle.get("entry", []):
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")
        assert "_codoc" not in entry["resource"]


def test_every_declared_parameter_has_a_search_case(hospital_app):
    covered = {(route.lower(), query.split("=")[0].split(":")[0]) for route, query, _ in CASES}
    covered |= {(route.lower(), part.split("=")[0].split(":")[0]) for route, query, _ in CASES
                for part in query.split("&")}
    for handler in hospital_app.extensions["codoc.registry"]:
        for param in search_plan.known_params(handler):
            assert (handler.name.lower(), param) in covered, f"no search case for {handler.name}?{param}"


def test_every_declared_parameter_is_in_the_capability_statement(hospital, hospital_app):
    statement = hospital.get(f"{BASE}/metadata").get_json()
    by_type = {r["type"]: {p["name"]: p["type"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]}
    for handler in hospital_app.extensions["codoc.registry"]:
        for name, param in search_plan.known_params(handler).items():
            expected = "token" if param.type == "special" else param.type
            assert by_type[handler.resource_type].get(name) == expected, (handler.name, name)


def test_every_declared_parameter_is_backed_by_an_index(hospital_app):
    """Scalar parameters: each stored field they filter on is the first key of an index of the collection; keyed
    ones: the search key collection is indexed on its scalar key."""
    store = hospital_app.extensions["codoc.store"]
    key_indexes = [spec["key"] for spec in store.keys.index_information().values()]
    assert [("o", 1)] in key_indexes and [("r", 1)] in key_indexes
    for handler in hospital_app.extensions["codoc.registry"]:
        indexes = store.collection(handler.resource_type).index_information().values()
        first_keys = {spec["key"][0][0] for spec in indexes}
        for param in search_plan.known_params(handler).values():
            for field in ([] if param.keyed else param.fields):
                assert field in first_keys, f"{handler.name}?{param.name}: no index starts with {field}"


def test_explain_shows_the_wire_server_uses_an_index(hospital_app):
    """On nx-27017, the queries of scalar parameters (dates, _lastUpdated, _id, 0..1 codes and references) are
    answered from an index. nx cannot use an index for array values (it scans with json_each), so list-valued
    parameters are only proven by test_every_declared_parameter_is_backed_by_an_index."""
    store = hospital_app.extensions["codoc.store"]
    if not hospital_app.config["CODOC_MONGO_URI"].startswith("mongodb://"):
        pytest.skip("explain() needs a wire-protocol server; mongomock has none")
    ctx = RequestContext(base_url="http://localhost/v4.3.0")
    checked = 0
    for handler in hospital_app.extensions["codoc.registry"]:
        if handler.profile:
            continue
        for param in search_plan.known_params(handler).values():
            if not (param.single or param.type in ("date", "special")):
                continue
            value = {"date": "ge2024-01-01", "special": "x", "token": "x", "uri": "http://x",
                     "reference": f"{(param.targets or ('Patient',))[0]}/x"}[param.type]
            plan = search_plan.plan(handler, [(param.name, value)], ctx)
            query = {**plan.query, "_codoc.deleted": {"$exists": False}}
            explained = store.collection(handler.resource_type).find(query).sort(plan.sort).limit(20).explain()
            winning = str(explained["queryPlanner"]["winningPlan"])
            assert "USING INDEX" in winning or "IXSCAN" in winning, (handler.name, param.name, winning)
            checked += 1
    assert checked >= 40


# -- paging, counts, totals ----------------------------------------------------------------------------------------
def test_count_pages_with_next_links_until_every_match_is_seen(hospital):
    first = search(hospital, "Organization", "_lastUpdated=ge2000&_count=4")
    assert first["total"] == 11 and len(first["entry"]) == 4
    assert "_count=4" in link(first, "self") and link(first, "previous") is None
    seen, page, pages = [], first, 0
    while page:
        seen += [e["resource"]["id"] for e in page["entry"]]
        pages += 1
        following = link(page, "next")
        page = follow(hospital, following) if following else None
    assert pages == 3 and len(seen) == 11 == len(set(seen))
    last = search(hospital, "Organization", "_lastUpdated=ge2000&_count=4&_offset=8")
    assert link(last, "next") is None and "_offset=4" in link(last, "previous")


def test_count_defaults_to_20_and_is_capped_at_100(hospital):
    assert "_count=20" in link(search(hospital, "Patient", "gender=male"), "self")
    capped = search(hospital, "Patient", "gender=male&_count=500")
    assert "_count=100" in link(capped, "self") and len(capped["entry"]) == 2


def test_count_zero_and_summary_count_give_only_the_total(hospital):
    for query in ("gender=male&_count=0", "gender=male&_summary=count"):
        bundle = search(hospital, "Patient", query)
        assert bundle["total"] == 2 and not bundle.get("entry") and link(bundle, "next") is None


def test_total_none_leaves_the_total_out(hospital):
    bundle = search(hospital, "Patient", "gender=male&_total=none")
    assert "total" not in bundle and len(bundle["entry"]) == 2


def test_offset_beyond_the_matches_gives_an_empty_page(hospital):
    bundle = search(hospital, "Patient", "gender=male&_offset=50")
    assert bundle["total"] == 2 and not bundle.get("entry")


def test_sort_by_date_and_by_last_updated(hospital):
    ordered = search(hospital, "Encounter", "patient=pat-dupont&_sort=-date")
    assert [e["resource"]["id"] for e in ordered["entry"]] == ["mvt-1b", "mvt-1a", "stay-1"]  # ties by id
    births = search(hospital, "Patient", "_lastUpdated=ge2000&_sort=birthdate,-_id")
    assert [e["resource"]["id"] for e in births["entry"]] == ["pat-dupont", "pat-dupond", "pat-lefevre", "pat-nguyen"]
    updated = search(hospital, "Patient", "_lastUpdated=ge2000&_sort=-_lastUpdated")
    stamps = [e["resource"]["meta"]["lastUpdated"] for e in updated["entry"]]
    assert stamps == sorted(stamps, reverse=True)


def test_default_order_is_by_id(hospital):
    bundle = search(hospital, "Organization", "type=unit")
    order = [e["resource"]["id"] for e in bundle["entry"]]
    assert order == sorted(order)


# -- _include ------------------------------------------------------------------------------------------------------
def test_include_adds_each_referenced_patient_once(hospital):
    bundle = search(hospital, "Observation", "category=laboratory&_include=Observation:subject")
    assert ids(bundle) == {"obs-trop-1", "obs-glu-2"}
    assert ids(bundle, "include") == {"pat-dupont", "pat-lefevre"}
    assert bundle["total"] == 2  # included resources are not counted
    included = [e for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert len(included) == 2 and all(e["resource"]["resourceType"] == "Patient" for e in included)


def test_include_with_a_target_type_and_several_includes(hospital):
    bundle = search(hospital, "Observation",
                    "patient=pat-dupont&_include=Observation:subject:Patient&_include=Observation:encounter")
    assert ids(bundle, "include") == {"pat-dupont", "mvt-1a"}
    movements = search(hospital, "Encounter", "part-of=stay-1&_include=Encounter:part-of")
    assert ids(movements, "include") == {"stay-1"}
    phenotypes = search(hospital, "Phenotype", "subject=Patient/pat-dupont&_include=Phenotype:derived-from")
    assert ids(phenotypes, "include") == {"doc-cr-1"}


@pytest.mark.parametrize("include", ["Observation:nope", "Patient:subject", "Observation:code", "Observation",
                                     "Observation:subject:Encounter"])
def test_bad_include_returns_400(hospital, include):
    assert_outcome(hospital.get(f"{BASE}/Observation?patient=pat-dupont&_include={include}"), 400, "invalid")


# -- bad input -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("route,query", [
    ("Encounter", "date=yesterday"),
    ("Patient", "birthdate=1990-13-45"),
    ("Patient", "birthdate=1990-02-30"),
    ("Patient", "birthdate=19900101"),
    ("Patient", "birthdate=sa1990"),  # prefix not supported
    ("Patient", "birthdate=ge"),
    ("Encounter", "date=2024-03-01T25:00:00Z"),
    ("Patient", "gender=male&_count=-1"),
    ("Patient", "_count=-1"),
    ("Patient", "gender=male&_count=ten"),
    ("Patient", "gender=male&_offset=-2"),
    ("Patient", "gender=male&_total=maybe"),
    ("Patient", "gender=male&_sort=family"),
    ("Patient", "gender=male&_sort=nope"),
    ("Patient", "identifier="),
    ("Patient", "identifier=|"),
    ("Patient", "identifier=a,,b"),
    ("Patient", "name=--"),
    ("Patient", "family:contains=dup"),
    ("Patient", "gender:missing=true"),
    ("Observation", "patient=Observation/obs-bp-1"),
    ("Observation", "subject:Encounter=stay-1"),
    ("Observation", "subject=not a reference"),
    ("Patient", "_id:exact=pat-dupont"),
])
def test_malformed_search_values_return_400(hospital, route, query):
    assert_outcome(hospital.get(f"{BASE}/{route}?{query}"), 400, "invalid")


def test_unknown_parameter_returns_400_naming_it(hospital):
    body = assert_outcome(hospital.get(f"{BASE}/Patient?gender=male&colour=blue"), 400, "invalid")
    assert "colour" in body["issue"][0]["diagnostics"]


def test_unknown_parameter_is_ignored_with_a_warning_when_lenient(hospital):
    response = hospital.get(f"{BASE}/Patient?gender=male&colour=blue", headers={"Prefer": "handling=lenient"})
    assert response.status_code == 200
    bundle = response.get_json()
    assert ids(bundle) == {"pat-dupont", "pat-dupond"}
    outcome = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert outcome and outcome[0]["issue"][0]["severity"] == "warning"
    assert "colour" in outcome[0]["issue"][0]["diagnostics"]


def test_only_unknown_parameters_when_lenient_is_still_a_listing_405(hospital):
    response = hospital.get(f"{BASE}/Patient?colour=blue", headers={"Prefer": "handling=lenient"})
    assert_outcome(response, 405, "not-supported")


def test_control_parameters_alone_are_not_selective_405(hospital):
    for query in ("_count=5", "_sort=-_lastUpdated", "_include=Observation:subject", "_total=none"):
        assert_outcome(hospital.get(f"{BASE}/Observation?{query}"), 405, "not-supported")


def test_escaped_comma_is_part_of_the_value(hospital):
    assert ids(search(hospital, "Patient", r"family=dupont\,x")) == set()
    assert ids(search(hospital, "Patient", "family=dupont,nguyen")) == {"pat-dupont", "pat-nguyen"}


# -- helpers ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,lo,hi", [
    ("2024", "2024-01-01T00:00:00.000Z", "2024-12-31T23:59:59.999Z"),
    ("2024-02", "2024-02-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z"),
    ("2024-03-01", "2024-03-01T00:00:00.000Z", "2024-03-01T23:59:59.999Z"),
    ("2024-03-01T10:00+01:00", "2024-03-01T09:00:00.000Z", "2024-03-01T09:00:59.999Z"),
    ("2024-03-01T00:30:00-02:30", "2024-03-01T03:00:00.000Z", "2024-03-01T03:00:00.999Z"),
    ("2024-03-01T10:00:00.1234Z", "2024-03-01T10:00:00.123Z", "2024-03-01T10:00:00.123Z"),
])
def test_date_range_covers_the_precision_in_utc(text, lo, hi):
    assert search_index.date_range(text) == (lo, hi)


def test_string_keys_are_unaccented_lowercase_words_and_exact_strings():
    keys = search_index.string_keys({"family": "Lefèvre-Martin", "given": ["Élodie"]})
    assert set(keys) == {"lefevre", "martin", "elodie", "=Lefèvre-Martin", "=Élodie"}
