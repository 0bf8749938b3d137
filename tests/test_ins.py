"""French identity on Patient (FR Core): INS-NIR / INS-NIA format and key, one INS, identity reliability, IPP system."""
from __future__ import annotations

import pytest

from schemas.ins import IDENTITY_RELIABILITY, INS_NIA, INS_NIR, INS_NIR_DEMO, INS_NIR_TEST, nir_key
from tests.conftest import BASE, assert_outcome

IPP = "urn:oid:1.2.250.1.71.4.2.1"
INS_TYPE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"


def nir(first13: str) -> str:
    return f"{first13}{nir_key(first13):02d}"


def ins(value: str, system: str = INS_NIR, use: str = "official") -> dict:
    return {"use": use, "system": system, "value": value,
            "type": {"coding": [{"system": INS_TYPE, "code": "INS-NIR"}]}}


def patient(*identifiers: dict, status: str | None = None) -> dict:
    body = {"resourceType": "Patient", "name": [{"family": "Martin"}], "identifier": list(identifiers)}
    if status:
        body["extension"] = [{"url": IDENTITY_RELIABILITY, "extension": [{"url": "identityStatus", "valueCoding": {
            "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445", "code": status}}]}]
    return body


def test_nir_key_of_the_published_example_and_of_corsica():
    assert nir_key("1850578006084") == 91
    assert nir_key("185052A006084") == 97 - 1850519006084 % 97
    assert nir_key("185052B006084") == 97 - 1850518006084 % 97


@pytest.mark.parametrize("value, system", [
    ("185057800608491", INS_NIR), (nir("185052A006084"), INS_NIR), (nir("185052B006084"), INS_NIR),
    (nir("2690299341732"), INS_NIA), (nir("1850578006085"), INS_NIR_TEST), (nir("2850578006085"), INS_NIR_DEMO),
])
def test_a_well_formed_ins_is_accepted(client, value, system):
    response = client.post(f"{BASE}/Patient", json=patient(ins(value, system)))
    assert response.status_code == 201, response.get_data(as_text=True)
    found = client.get(f"{BASE}/Patient?identifier={system}|{value}").get_json()
    assert found["total"] == 1


@pytest.mark.parametrize("value, message", [
    ("185057800608492", "control key 92 is wrong (expected 91)"),
    ("18505780060849", "15 characters, not 14"), ("1850578006084911", "15 characters, not 16"),
    ("1 850578006084 9", "15 characters"), ("185057800608A91", "13 digits"), ("985057800608491", "13 digits"),
    ("185052C00608491", "13 digits"),
    (nir("185052A006084")[:13] + f"{(nir_key('185052A006084') % 97) + 1:02d}", "control key"),
])
def test_a_malformed_nir_is_400_naming_the_identifier(client, value, message):
    body = patient({"use": "usual", "system": IPP, "value": "IPP-1"}, ins(value))
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=body), 400, "invalid")
    assert message in outcome["issue"][0]["diagnostics"]
    assert outcome["issue"][0]["expression"] == ["Patient.identifier[1]"]
    assert client.get(f"{BASE}/Patient?identifier={IPP}|IPP-1").get_json()["total"] == 0


def test_a_second_ins_is_refused_but_a_former_one_is_kept(client):
    second = patient(ins("185057800608491"), ins(nir("2690299341732"), INS_NIA))
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=second), 422, "business-rule")
    assert outcome["issue"][0]["expression"] == ["Patient.identifier[1]"]
    former = patient(ins("185057800608491"), ins(nir("2690299341732"), INS_NIA, use="old"))
    assert client.post(f"{BASE}/Patient", json=former).status_code == 201


def test_validated_identity_needs_an_official_ins(client):
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=patient(
        {"use": "official", "system": IPP, "value": "IPP-2"}, status="VALI")), 422, "business-rule")
    assert "fr-core-1" in outcome["issue"][0]["diagnostics"]
    usual_ins = patient(ins("185057800608491", use="usual"), status="VALI")
    assert_outcome(client.post(f"{BASE}/Patient", json=usual_ins), 422, "business-rule")


def test_validated_identity_has_one_official_identifier(client):
    both = patient({"use": "official", "system": IPP, "value": "IPP-3"}, ins("185057800608491"), status="VALI")
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=both), 422, "business-rule")
    assert "fr-core-2" in outcome["issue"][0]["diagnostics"]
    fixed = patient({"use": "usual", "system": IPP, "value": "IPP-3"}, ins("185057800608491"), status="VALI")
    assert client.post(f"{BASE}/Patient", json=fixed).status_code == 201


def test_provisional_identity_needs_no_ins_and_an_unknown_status_is_400(client):
    assert client.post(f"{BASE}/Patient", json=patient({"use": "official", "system": IPP, "value": "IPP-4"},
                                                        status="PROV")).status_code == 201
    assert_outcome(client.post(f"{BASE}/Patient", json=patient(ins("185057800608491"), status="VALIDE")), 400,
                   "invalid")


def test_validated_identity_born_in_99999_is_refused(client):
    body = patient(ins("185057800608491"), status="VALI")
    body["extension"].append({"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {
        "extension": [{"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                       "valueCoding": {"system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/"
                                                 "TRE-R13-CommuneOM", "code": "99999"}}]}})
    outcome = assert_outcome(client.post(f"{BASE}/Patient", json=body), 422, "business-rule")
    assert "fr-core-3" in outcome["issue"][0]["diagnostics"]


def test_an_ins_belongs_to_one_patient(client):
    assert client.post(f"{BASE}/Patient", json=patient(ins("185057800608491"))).status_code == 201
    assert_outcome(client.post(f"{BASE}/Patient", json=patient(ins("185057800608491"))), 409, "conflict")


@pytest.mark.settings(CODOC_IPP_SYSTEM="https://chu.example/fhir/sid/ipp")
def test_a_usual_identifier_without_system_is_an_ipp_of_the_establishment(client):
    created = client.post(f"{BASE}/Patient", json=patient({"use": "usual", "value": "000123"})).get_json()
    assert created["identifier"] == [{"use": "usual", "system": "https://chu.example/fhir/sid/ipp",
                                      "value": "000123"}]
    found = client.get(f"{BASE}/Patient?identifier=https://chu.example/fhir/sid/ipp|000123").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [created["id"]]
