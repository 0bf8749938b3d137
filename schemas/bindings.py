"""Required value-set bindings that the fhir.resources R4B models do not enforce, as data.

Paths are dotted FHIR element paths from the resource root; lists are walked element by element.
Codes from the FHIR R4B value sets of each element (required strength).
"""

IDENTIFIER_USE = {"usual", "official", "temp", "secondary", "old"}
NAME_USE = {"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"}
CONTACT_SYSTEM = {"phone", "fax", "email", "pager", "url", "sms", "other"}
CONTACT_USE = {"home", "work", "temp", "old", "mobile"}
ADDRESS_USE = {"home", "work", "temp", "old", "billing"}
ADDRESS_TYPE = {"postal", "physical", "both"}
NARRATIVE_STATUS = {"generated", "extensions", "additional", "empty"}
QUANTITY_COMPARATOR = {"<", "<=", ">=", ">"}
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
OBSERVATION_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                      "unknown"}
EVENT_STATUS = {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error",
                "unknown"}
REQUEST_PRIORITY = {"routine", "urgent", "asap", "stat"}

COMMON = {
    "text.status": NARRATIVE_STATUS,
}

REQUIRED_BINDINGS: dict[str, dict[str, set[str]]] = {
    "Patient": {
        "gender": {"male", "female", "other", "unknown"},
        "identifier.use": IDENTIFIER_USE,
        "name.use": NAME_USE,
        "telecom.system": CONTACT_SYSTEM,
        "telecom.use": CONTACT_USE,
        "address.use": ADDRESS_USE,
        "address.type": ADDRESS_TYPE,
        "link.type": {"replaced-by", "replaces", "refer", "seealso"},
        "contact.gender": {"male", "female", "other", "unknown"},
    },
    "Organization": {
        "identifier.use": IDENTIFIER_USE,
        "telecom.system": CONTACT_SYSTEM,
        "telecom.use": CONTACT_USE,
        "address.use": ADDRESS_USE,
        "address.type": ADDRESS_TYPE,
    },
    "Encounter": {
        "status": {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                   "entered-in-error", "unknown"},
        "statusHistory.status": {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                                 "entered-in-error", "unknown"},
        "location.status": {"planned", "active", "reserved", "completed"},
        "identifier.use": IDENTIFIER_USE,
    },
    "DocumentReference": {
        "status": {"current", "superseded", "entered-in-error"},
        "docStatus": {"preliminary", "final", "amended", "entered-in-error"},
        "relatesTo.code": {"replaces", "transforms", "signs", "appends"},
        "identifier.use": IDENTIFIER_USE,
    },
    "Observation": {
        "status": OBSERVATION_STATUS,
        "valueQuantity.comparator": QUANTITY_COMPARATOR,
        "component.valueQuantity.comparator": QUANTITY_COMPARATOR,
        "identifier.use": IDENTIFIER_USE,
    },
    "Procedure": {
        "status": EVENT_STATUS,
        "identifier.use": IDENTIFIER_USE,
    },
    "MedicationRequest": {
        "status": {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"},
        "intent": {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order",
                   "option"},
        "priority": REQUEST_PRIORITY,
        "identifier.use": IDENTIFIER_USE,
    },
    "DiagnosticReport": {
        "status": {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled",
                   "entered-in-error", "unknown"},
        "identifier.use": IDENTIFIER_USE,
    },
    "CodeSystem": {
        "status": PUBLICATION_STATUS,
        "content": {"not-present", "example", "fragment", "complete", "supplement"},
        "hierarchyMeaning": {"grouped-by", "is-a", "part-of", "classified-with"},
        "property.type": {"code", "Coding", "string", "integer", "boolean", "dateTime", "decimal"},
        "filter.operator": {"=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes",
                            "exists"},
        "identifier.use": IDENTIFIER_USE,
    },
}
