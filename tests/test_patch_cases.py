"""HL7's official R4B PATCH test cases (tests/data/hl7-patch) through the patch engines, and the FHIRPath Patch
ones through the server's PATCH on Patient."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fhirstore.errors import FHIRError
from handlers.patching import fhirpath_patch, json_patch
from tests.conftest import BASE
from tests.fhir_xml import normalised, resource_json

DATA = Path(__file__).parent / "data" / "hl7-patch"
#: The passes reached; a change of the engines may raise them, never lower them.
FHIRPATH_PASSING, JSON_PASSING = 32, 16


def fhirpath_cases() -> list[dict]:
    """Each case as JSON: ``name``, ``input``, ``diff`` and ``output`` (None when the case expects an error)."""
    cases = []
    for case in ET.parse(DATA / "fhir-patch-tests.xml").getroot().iter("case"):
        output = case.find("output")
        cases.append({"name": case.get("name"), "input": resource_json(case.find("input")[0]),
                      "diff": resource_json(case.find("diff")[0]),
                      "output": resource_json(output[0]) if output is not None else None})
    return cases


def outcome(apply, document, patch, expected) -> bool:
    """Whether applying ``patch`` gives ``expected`` (None: an error is expected, and is the server's kind)."""
    try:
        result = apply(document, patch)
    except FHIRError as error:
        return expected is None and error.status in (400, 422)
    return expected is not None and normalised(result) == normalised(expected)


def test_hl7_fhirpath_patch_cases():
    cases = fhirpath_cases()
    failed = [c["name"] for c in cases if not outcome(fhirpath_patch.apply, c["input"], c["diff"], c["output"])]
    print(f"FHIRPath Patch: {len(cases) - len(failed)}/{len(cases)} HL7 cases pass; failing: {failed}")
    assert len(cases) == 32 and len(cases) - len(failed) >= FHIRPATH_PASSING, failed


def test_hl7_json_patch_cases():
    cases = json.loads((DATA / "json-patch-tests.json").read_text())
    failed = [c["comment"] for c in cases if not outcome(json_patch.apply, c["doc"], c["patch"], c.get("expected"))]
    print(f"JSON Patch: {len(cases) - len(failed)}/{len(cases)} HL7 cases pass; failing: {failed}")
    assert len(cases) == 16 and len(cases) - len(failed) >= JSON_PASSING, failed


@pytest.mark.settings(CODOC_ENFORCE_REFERENCES_ON_WRITE=False)
@pytest.mark.parametrize("case", fhirpath_cases(), ids=lambda c: c["name"])
def test_hl7_fhirpath_patch_cases_through_the_server(client, case):
    """The same cases as PATCH requests on a stored Patient: the served result is the case's output."""
    stored = client.put(f"{BASE}/Patient/hl7-case", json={**case["input"], "id": "hl7-case"})
    assert stored.status_code == 201, stored.get_json()
    answer = client.patch(f"{BASE}/Patient/hl7-case", json=case["diff"],
                          headers={"Content-Type": "application/fhir+json"})
    if case["output"] is None:
        assert answer.status_code in (400, 422) and answer.get_json()["resourceType"] == "OperationOutcome"
        return
    assert answer.status_code == 200, answer.get_json()
    served = {k: v for k, v in answer.get_json().items() if k not in ("id", "meta")}
    assert normalised(served) == normalised({k: v for k, v in case["output"].items() if k != "id"})
    assert answer.get_json()["meta"]["versionId"] == "2"
