"""Minimal valid bodies of the 10 served types (no references, so each stands alone)."""

MINIMAL = {
    "Patient": {"resourceType": "Patient", "gender": "female", "birthDate": "1970-03-01",
                "name": [{"family": "Martin", "given": ["Claire"]}]},
    "Organization": {"resourceType": "Organization", "name": "Laboratoire Biomed"},
    "Encounter": {"resourceType": "Encounter", "status": "finished",
                  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}},
    "DocumentReference": {"resourceType": "DocumentReference", "status": "current",
                          "content": [{"attachment": {"contentType": "application/pdf", "url": "http://x/y.pdf"}}]},
    "Observation": {"resourceType": "Observation", "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
                    "valueQuantity": {"value": 5.4, "unit": "mmol/L"}},
    "Procedure": {"resourceType": "Procedure", "status": "completed",
                  "subject": {"reference": "http://other.example/Patient/1"}},
    "MedicationRequest": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                          "medicationCodeableConcept": {"text": "Metformine 500 mg"},
                          "subject": {"reference": "http://other.example/Patient/1"}},
    "DiagnosticReport": {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "Bilan"}},
    "CodeSystem": {"resourceType": "CodeSystem", "status": "active", "content": "complete",
                   "url": "https://hopital.example/cs/local", "concept": [{"code": "X1", "display": "Trouble local"}]},
    "Phenotype": {"resourceType": "Observation", "status": "final", "code": {"text": "diabète"},
                  "valueString": "diabète"},
}

#: name → (seed route segment, FHIR route segment)
SEGMENTS = {name: (name.lower(), name) for name in MINIMAL}
