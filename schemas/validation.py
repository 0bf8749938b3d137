"""Validate a FHIR JSON resource: structure and datatypes by fhir.resources R4B, then required bindings."""
from __future__ import annotations

import re
from typing import Any, Iterator

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from fhirstore.errors import InvalidError, Issue, ValidationError
from schemas.bindings import COMMON, REQUIRED_BINDINGS

#: A FHIR id: 1-64 of letters, digits, ``-`` and ``.`` (the one definition; references reuse it).
ID_CHARS = r"[A-Za-z0-9\-.]{1,64}"
ID_PATTERN = re.compile(f"^{ID_CHARS}$")


def check_id(resource_id: str, expression: str = "id") -> str:
    """:raises InvalidError: the id is not a legal FHIR id."""
    if not ID_PATTERN.match(resource_id or ""):
        raise InvalidError("illegal resource id: ids are 1-64 of [A-Za-z0-9-.]", expression=expression)
    return resource_id


def validate_resource(resource: Any, resource_type: str) -> dict:
    """Check a parsed JSON body is a valid ``resource_type``; returns it unchanged.

    :raises InvalidError: not a JSON object, or wrong resourceType for the route.
    :raises ValidationError: structure, datatype or required-binding issues, each with a FHIRPath expression.
    """
    if not isinstance(resource, dict):
        raise InvalidError("the body must be a JSON object holding a FHIR resource")
    body_type = resource.get("resourceType")
    if body_type != resource_type:
        raise InvalidError(f"resourceType {body_type!r} does not match the route's type {resource_type}",
                           expression="resourceType")
    if "id" in resource:
        check_id(resource["id"] if isinstance(resource["id"], str) else "", f"{resource_type}.id")
    issues: list[Issue] = list(_null_issues(resource, resource_type))
    if issues:  # FHIR JSON has no nulls (but inside arrays, aligned with a ``_element`` array)
        raise ValidationError(f"{resource_type} is not valid: {issues[0].diagnostics}", issues=issues)
    try:
        get_fhir_model_class(resource_type).model_validate(resource)
    except pydantic.ValidationError as exc:
        issues.extend(_pydantic_issue(resource_type, error) for error in exc.errors())
    except (ValueError, TypeError) as exc:  # raised by some fhir_core validators outside pydantic's wrapper
        issues.append(Issue("structure", f"invalid resource: {exc}", expression=resource_type))
    issues.extend(binding_issues(resource, resource_type))
    if issues:
        raise ValidationError(f"{resource_type} is not valid: {len(issues)} issue(s); first: "
                              f"{issues[0].diagnostics}", issues=issues)
    return resource


def binding_issues(resource: dict, resource_type: str) -> list[Issue]:
    """Issues for codes outside the required value sets of :data:`schemas.bindings.REQUIRED_BINDINGS`."""
    issues = []
    for path, allowed in {**COMMON, **REQUIRED_BINDINGS.get(resource_type, {})}.items():
        for expression, value in _walk(resource, path.split("."), resource_type):
            if not isinstance(value, str) or value not in allowed:
                issues.append(Issue("code-invalid", f"{value!r} is not in the required value set of "
                                    f"{resource_type}.{path} ({', '.join(sorted(allowed))})",
                                    expression=expression))
    return issues


def _null_issues(node: Any, expression: str) -> Iterator[Issue]:
    if isinstance(node, dict):
        for key, value in node.items():
            if value is None:
                yield Issue("structure", f"{expression}.{key}: null is not allowed in FHIR JSON (omit the element)",
                            expression=f"{expression}.{key}")
            else:
                yield from _null_issues(value, f"{expression}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _null_issues(item, f"{expression}[{index}]")


def _walk(node: Any, parts: list[str], expression: str) -> Iterator[tuple[str, Any]]:
    """Yield (FHIRPath, value) for every value at ``parts`` below ``node``, walking lists."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, parts, f"{expression}[{index}]")
        return
    if not parts:
        yield expression, node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _walk(node[parts[0]], parts[1:], f"{expression}.{parts[0]}")


def _pydantic_issue(resource_type: str, error: dict) -> Issue:
    expression = resource_type
    for part in error.get("loc", ()):
        if isinstance(part, int):
            expression += f"[{part}]"
        elif part not in ("__root__",):
            expression += f".{part}"
    kind = error.get("type", "")
    if "missing" in kind:
        code, message = "required", "required element is missing"
    elif kind == "extra_forbidden":
        code, message = "structure", "unknown element"
    else:
        code, message = "value", error.get("msg", "invalid value")
    return Issue(code, f"{expression}: {message}", expression=expression)
