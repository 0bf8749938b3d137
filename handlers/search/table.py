"""The search parameters of every stored type, in one table (docs/search.md lists the same).

Keyed by stored resource type, so ``/phenotype/`` searches with the Observation parameters. Each parameter is
indexed: ``ResourceHandler`` declares ``param.index_specs`` for every entry and computes the helper values on writes.
"""
from __future__ import annotations

from handlers.search.params import SearchParam

SUBJECTS = ("Patient", "Group", "Device", "Location")


def identifier(*paths: str) -> SearchParam:
    return SearchParam("identifier", "token", paths or ("identifier",), "An identifier: [system|]value")


def status() -> SearchParam:
    return SearchParam("status", "token", ("status",), "Status code", single=True)


def code(*paths: str, name: str = "code") -> SearchParam:
    return SearchParam(name, "token", paths or ("code",), "A code: [system|]code, |code (no system) or system|")


def subject(targets: tuple[str, ...] = SUBJECTS) -> SearchParam:
    return SearchParam("subject", "reference", ("subject",), "Who or what it is about: Type/id", targets, True)


def patient() -> SearchParam:
    return SearchParam("patient", "reference", ("subject",), "The Patient it is about: Patient/id or id",
                       ("Patient",), True)


def encounter(*paths: str, single: bool = True) -> SearchParam:
    return SearchParam("encounter", "reference", paths or ("encounter",), "The Encounter it belongs to",
                       ("Encounter",), single)


def date(*paths: str, name: str = "date", description: str = "When it happened (ranges with eq/ge/gt/le/lt)") \
        -> SearchParam:
    return SearchParam(name, "date", paths, description)


PARAMS: dict[str, tuple[SearchParam, ...]] = {
    "Patient": (
        SearchParam("identifier", "token", ("identifier",),
                    "An IPP (official, usual or old) or other identifier: [system|]value"),
        SearchParam("name", "string", ("name.text", "name.given", "name.prefix", "name.suffix"),
                    "Start of any word of any name part (case and accents ignored)", also=("family",)),
        SearchParam("family", "string", ("name.family",), "Start of any word of the family name"),
        date("birthDate", name="birthdate", description="Date of birth"),
        SearchParam("gender", "token", ("gender",), "male | female | other | unknown", single=True),
        SearchParam("active", "token", ("active",), "true | false (a merged record is inactive)", single=True),
        SearchParam("link", "reference", ("link.other",), "A linked Patient (merge: replaces / replaced-by)",
                    ("Patient",)),
    ),
    "Organization": (
        identifier(),
        SearchParam("name", "string", ("name", "alias"), "Start of any word of the name or an alias"),
        code("type", name="type"),
        SearchParam("partof", "reference", ("partOf",), "The parent Organization (lists its children)",
                    ("Organization",), True),
    ),
    "Encounter": (
        identifier(),
        status(),
        code("type", name="type"),
        subject(("Patient", "Group")),
        patient(),
        date("period", description="Period of the stay or movement (overlap with ge/le)"),
        SearchParam("part-of", "reference", ("partOf",), "The stay a movement belongs to", ("Encounter",), True),
        SearchParam("service-provider", "reference", ("serviceProvider",), "The Organization (unit) in charge",
                    ("Organization",), True),
    ),
    "Observation": (
        identifier(),
        status(),
        code(),
        code("category", name="category"),
        subject(),
        patient(),
        encounter(),
        date("effectiveDateTime", "effectivePeriod", "effectiveInstant"),
        SearchParam("derived-from", "reference", ("derivedFrom",),
                    "What it was derived from (a Phenotype's DocumentReference)",
                    ("DocumentReference", "ImagingStudy", "Media", "QuestionnaireResponse", "Observation",
                     "MolecularSequence")),
    ),
    "DocumentReference": (
        identifier("masterIdentifier", "identifier"),
        SearchParam("status", "token", ("status",), "current | superseded | entered-in-error", single=True),
        code("type", name="type"),
        code("category", name="category"),
        subject(("Patient", "Practitioner", "Group", "Device")),
        patient(),
        encounter("context.encounter", single=False),
        date("date", description="When the reference was created"),
    ),
    "Procedure": (
        identifier(),
        status(),
        code(),
        subject(("Patient", "Group")),
        patient(),
        encounter(),
        date("performedDateTime", "performedPeriod"),
    ),
    "MedicationRequest": (
        identifier(),
        status(),
        SearchParam("intent", "token", ("intent",), "proposal | plan | order | …", single=True),
        code("medicationCodeableConcept"),
        subject(("Patient", "Group")),
        patient(),
        encounter(),
        date("authoredOn", name="authoredon", description="When the request was written"),
    ),
    "DiagnosticReport": (
        identifier(),
        status(),
        code(),
        code("category", name="category"),
        subject(("Patient", "Group", "Device", "Location")),
        patient(),
        encounter(),
        date("effectiveDateTime", "effectivePeriod"),
    ),
    "CodeSystem": (
        SearchParam("url", "uri", ("url",), "The canonical URL", single=True),
        SearchParam("system", "uri", ("url",), "The system of the codes it defines (its url)", single=True),
        SearchParam("name", "string", ("name", "title"), "Start of a word of the name or title"),
        status(),
        code("concept.code", "concept.concept.code", "concept.concept.concept.code", name="code"),
    ),
}


def params_of(resource_type: str) -> tuple[SearchParam, ...]:
    return PARAMS.get(resource_type, ())
