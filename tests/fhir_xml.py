"""FHIR XML → FHIR JSON, enough for HL7's test cases: the models say which elements repeat and which primitive
type each has (``schemas.strict``); narratives become their XHTML text."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from schemas.strict import elements, resource_model

FHIR = "{http://hl7.org/fhir}"
XHTML_NS = "http://www.w3.org/1999/xhtml"
PRIMITIVE = {"boolean": lambda v: v == "true", "integer": int, "decimal": float}


def resource_json(element: ET.Element) -> dict:
    """The JSON of a resource element (``<Patient xmlns="http://hl7.org/fhir">``)."""
    name = element.tag.removeprefix(FHIR)
    model = resource_model(name)
    if model is None:
        raise ValueError(f"unknown resource type {name}")
    return {"resourceType": name, **_object(element, model)}


def _object(element: ET.Element, model: type) -> dict:
    table, value = elements(model), {}
    if element.get("id") is not None:
        value["id"] = element.get("id")
    for child in element:
        name = child.tag.removeprefix(FHIR).removeprefix("{" + XHTML_NS + "}")
        described = table.get(name)
        if described is None:
            raise ValueError(f"{name} is not an element of {model.__name__}")
        if described.kind == "xhtml":
            ET.register_namespace("", XHTML_NS)
            item = ET.tostring(child, encoding="unicode").strip()
        elif described.kind == "resource":
            item = resource_json(child[0])
        elif described.kind == "element":
            item = _object(child, described.model)
        else:
            item = PRIMITIVE.get(described.kind, str)(child.get("value"))
        if described.many:
            value.setdefault(name, []).append(item)
        else:
            value[name] = item
    return value


def normalised(value):
    """``value`` with the whitespace of its narratives collapsed (XML layout is not content)."""
    if isinstance(value, dict):
        return {k: re.sub(r">\s+<", "><", re.sub(r"\s+", " ", v)).strip() if k == "div" and isinstance(v, str)
                else normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value
