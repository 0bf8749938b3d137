"""FHIR JSON datatypes, strictly: what fhir.resources' models coerce (``"true"`` → True, ``1`` → True, ``"3"`` → 3,
``"1.5"`` → Decimal) is refused here, element by element, with the element's FHIRPath.

The models say which type each element has; this walk checks the JSON type of each value against it: booleans are
JSON booleans, integers JSON integers, decimals JSON numbers, every other primitive a JSON string (at most
:data:`MAX_STRING_CHARS` characters), complex elements and resources non-empty objects, repeated elements non-empty
arrays. Narratives are checked by :mod:`schemas.narrative`.
"""
from __future__ import annotations

import decimal
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.types import Base64Binary, FhirBase, Xhtml

from fhirstore.errors import Issue
from fhirstore.numbers import ExactDecimal
from schemas.narrative import narrative_issues

#: FHIR: "strings SHALL NOT exceed 1,048,576 (1024*1024) characters in size" (base64Binary excepted).
MAX_STRING_CHARS = 1024 * 1024
ACCEPTS = {"boolean": frozenset({bool}), "integer": frozenset({int}), "decimal": frozenset({int, float}),
           "string": frozenset({str}), "base64": frozenset({str})}
JSON_TYPE = {"boolean": "boolean (true or false)", "integer": "integer number", "decimal": "number",
             "string": "string", "base64": "string", "xhtml": "string", "element": "object", "resource": "object"}


@dataclass(frozen=True)
class Element:
    """How one JSON key of a model is written: its kind, whether it repeats, and its model (complex kinds)."""

    kind: str  # boolean | integer | decimal | string | base64 | xhtml | element | resource
    many: bool
    model: type | None = None

    @property
    def accepts(self) -> frozenset:
        """The Python types of values that need no closer look (strings: up to :data:`MAX_STRING_CHARS`)."""
        return ACCEPTS.get(self.kind, frozenset())


@dataclass
class Findings:
    """Issues found by the walk: ``invalid`` answer 400, ``too_long`` 413."""

    invalid: list[Issue]
    too_long: list[Issue]


def strict_issues(resource: dict, resource_type: str) -> Findings:
    """The strict-JSON issues of a resource whose models exist (unknown elements are left to the models)."""
    findings = Findings([], [])
    _walk_object(resource, get_fhir_model_class(resource_type), resource_type, findings)
    return findings


def _walk_object(node: dict, model: type, expression: str, findings: Findings) -> None:
    if not node:
        findings.invalid.append(Issue("structure", f"{expression}: empty objects are not allowed in FHIR JSON",
                                      expression=expression))
        return
    table = _table(model)
    for key, value in node.items():
        found = table.get(key)
        if found is None or value is None:  # unknown keys and nulls: the models and the null check report them
            continue
        element, accepts, bounded = found
        kind_of = type(value)
        if kind_of is list:
            if not element.many:
                _add(findings, f"{expression}.{key}", "must be a single value, not an array")
            elif not value:
                _add(findings, f"{expression}.{key}", "empty arrays are not allowed in FHIR JSON")
            else:
                for index, item in enumerate(value):
                    kind_of = type(item)
                    if kind_of in accepts and not (bounded and kind_of is str and len(item) > MAX_STRING_CHARS):
                        continue
                    if kind_of is dict and element.model is not None:
                        _walk_object(item, element.model, f"{expression}.{key}[{index}]", findings)
                    elif item is not None:
                        _walk_value(item, element, f"{expression}.{key}[{index}]", findings)
                    elif not _aligned(node, key, index):
                        _add(findings, f"{expression}.{key}[{index}]", "null in an array only stands for a value "
                             "whose id or extensions are in the matching item of the _-prefixed array")
        elif element.many:
            _add(findings, f"{expression}.{key}", "a repeating element must be an array")
        elif kind_of in accepts and not (bounded and kind_of is str and len(value) > MAX_STRING_CHARS):
            continue
        elif kind_of is dict and element.model is not None:
            _walk_object(value, element.model, f"{expression}.{key}", findings)
        else:
            _walk_value(value, element, f"{expression}.{key}", findings)


def _aligned(node: dict, key: str, index: int) -> bool:
    """A null at ``key[index]`` has its partner: ``given[i]`` ↔ ``_given[i]`` (FHIR JSON's primitive arrays)."""
    partner = node.get(key[1:] if key.startswith("_") else f"_{key}")
    return isinstance(partner, list) and index < len(partner) and partner[index] is not None


def _add(findings: Findings, expression: str, text: str) -> None:
    findings.invalid.append(Issue("structure", f"{expression}: {text}", expression=expression))


def _walk_value(value: Any, element: Element, expression: str, findings: Findings) -> None:
    kind = element.kind
    if kind == "element":
        if isinstance(value, dict):
            _walk_object(value, element.model, expression, findings)
            return
    elif kind == "resource":
        if isinstance(value, dict):
            model = _resource_model(value.get("resourceType"))
            if model is None:  # unknown or missing resourceType: the models report it
                return
            _walk_object(value, model, expression, findings)
            return
    elif kind in ("string", "base64", "xhtml"):
        if isinstance(value, str):
            if kind != "base64" and len(value) > MAX_STRING_CHARS:
                findings.too_long.append(Issue("too-long", f"{expression}: a FHIR string holds at most "
                                               f"{MAX_STRING_CHARS} characters, not {len(value)}",
                                               expression=expression))
            elif kind == "xhtml":
                findings.invalid.extend(narrative_issues(value, expression))
            return
    elif kind == "boolean":
        if value is True or value is False:
            return
    elif kind == "integer":
        if type(value) is int:
            return
        if isinstance(value, ExactDecimal) and value == value.to_integral_value() and "." not in value.text \
                and "e" not in value.text.lower():
            findings.invalid.append(Issue("value", f"{expression}: {value.text[:40]} is out of the range of a FHIR "
                                          f"integer", expression=expression))
            return
    elif kind == "decimal":
        if type(value) in (int, float) or isinstance(value, decimal.Decimal):
            return
    _add(findings, expression, f"must be a JSON {JSON_TYPE[kind]}, not {_describe(value)}")


def _describe(value: Any) -> str:
    if value is True or value is False:
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def resource_model(resource_type: Any) -> type | None:
    """The fhir.resources R4B model of a resource type, None when there is none."""
    return _resource_model(resource_type)


def elements(model: type) -> dict[str, Element]:
    """JSON key → :class:`Element` (kind, repeats, model) of every element of a fhir.resources model."""
    return _elements(model)


@cache
def _resource_model(resource_type: Any) -> type | None:
    if not isinstance(resource_type, str):
        return None
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError, ImportError):
        return None


@cache
def _table(model: type) -> dict[str, tuple[Element, frozenset, bool]]:
    """:func:`_elements` with, per key, the types needing no closer look and whether strings are bounded."""
    return {key: (element, element.accepts, element.kind == "string") for key, element in _elements(model).items()}


@cache
def _elements(model: type) -> dict[str, Element]:
    """JSON key → :class:`Element` for every element of a fhir.resources model (``_x`` extensions included)."""
    table = {}
    for name, info in model.model_fields.items():
        if name == "fhir_comments":
            continue
        element = _element(info.annotation)
        if element is not None:
            table[info.alias or name] = element
    return table


def _element(annotation: Any) -> Element | None:
    many, metadata = False, ()
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return None
            annotation = options[0]
        elif origin in (list, typing.List):
            many, annotation = True, typing.get_args(annotation)[0]
        elif origin is typing.Annotated:
            metadata = annotation.__metadata__
            annotation = annotation.__origin__
        else:
            break
    if isinstance(annotation, type) and issubclass(annotation, FhirBase):
        model = annotation.get_model_klass()
        if model.__name__ in ("Resource", "DomainResource"):
            return Element("resource", many)
        return Element("element", many, model)
    if annotation is bool:
        return Element("boolean", many)
    if annotation is int:
        return Element("integer", many)
    if annotation is decimal.Decimal:
        return Element("decimal", many)
    if any(isinstance(m, Base64Binary) for m in metadata):
        return Element("base64", many)
    if any(isinstance(m, Xhtml) for m in metadata):
        return Element("xhtml", many)
    return Element("string", many)
