"""Validate a FHIR JSON resource: strict FHIR JSON types, structure by fhir.resources R4B, required bindings."""
from __future__ import annotations

import re
from typing import Any, Iterator

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from fhirstore.errors import InvalidError, Issue, PayloadTooLargeError, ValidationError
from schemas.bindings import COMMON, REQUIRED_BINDINGS
from schemas.strict import strict_issues

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
    :raises PayloadTooLargeError: a string longer than FHIR allows, or nesting too deep for the models.
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
        strict = strict_issues(resource, resource_type)
        if strict.too_long:
            raise PayloadTooLargeError(strict.too_long[0].diagnostics, issues=strict.too_long)
        issues.extend(strict.invalid)
        get_fhir_model_class(resource_type).model_validate(resource)
    except pydantic.ValidationError as exc:
        issues.extend(_unless_reported(issues, [_pydantic_issue(resource_type, error) for error in exc.errors()]))
    except (ValueError, TypeError) as exc:  # raised by some fhir_core validators outside pydantic's wrapper
        issues.append(Issue("structure", f"invalid resource: {exc}", expression=resource_type))
    except RecursionError:  # request bodies are bounded by CODOC_MAX_JSON_DEPTH; this is for other callers
        raise PayloadTooLargeError(f"{resource_type} nests too deeply to be validated") from None
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


def _unless_reported(reported: list[Issue], found: list[Issue]) -> list[Issue]:
    """``found`` without the issues on elements (or below elements) that ``reported`` already names."""
    named = tuple(i.expression for i in reported if i.expression)
    return [i for i in found if not (i.expression and i.expression.startswith(named) and any(
        i.expression == n or i.expression[len(n)] in ".[" for n in named if i.expression.startswith(n)))]


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


def check_bundle_shape(bundle: Any) -> None:
    """A batch/transaction Bundle is shaped as FHIR JSON says before any entry is looked at: ``entry`` a non-empty
    array of objects, each ``request`` an object whose ``method`` and ``url`` are strings, ``fullUrl`` a string,
    ``resource`` an object. (Not a Bundle at all: the caller answers that.)

    :raises InvalidError: the first misshapen element, with its FHIRPath.
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return
    for key in ("type", "id"):
        if key in bundle and not isinstance(bundle[key], str):
            _misshapen(f"Bundle.{key}", "a string", bundle[key])
    if "entry" not in bundle:
        return
    entries = bundle["entry"]
    if not isinstance(entries, list) or not entries:
        _misshapen("Bundle.entry", "a non-empty array of entries", entries)
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        if not isinstance(entry, dict) or not entry:
            _misshapen(where, "a non-empty object", entry)
        if "fullUrl" in entry and not isinstance(entry["fullUrl"], str):
            _misshapen(f"{where}.fullUrl", "a string", entry["fullUrl"])
        if "resource" in entry and not isinstance(entry["resource"], dict):
            _misshapen(f"{where}.resource", "an object holding a resource", entry["resource"])
        if "request" in entry:
            request = entry["request"]
            if not isinstance(request, dict):
                _misshapen(f"{where}.request", "an object with method and url", request)
            for key in ("method", "url", "ifNoneExist", "ifMatch", "ifNoneMatch", "ifModifiedSince"):
                if key in request and not isinstance(request[key], str):
                    _misshapen(f"{where}.request.{key}", "a string", request[key])


def _misshapen(expression: str, expected: str, value: Any) -> None:
    found = ("null" if value is None else "an array" if isinstance(value, list) else "an object"
             if isinstance(value, dict) else "a string" if isinstance(value, str) else "a boolean"
             if isinstance(value, bool) else "a number")
    if isinstance(value, (list, dict)) and not value:
        found = f"an empty {'array' if isinstance(value, list) else 'object'}"
    message = f"{expression} must be {expected}, not {found}"
    raise InvalidError(message, issues=[Issue("structure", message, expression=expression)])


def check_search_keys(keys: list[str], limit: int | None, resource_type: str, max_chars: int | None = None) -> None:
    """A resource may produce at most ``limit`` search keys (``name|value``, ``CODOC_MAX_SEARCH_KEYS``) of at most
    ``max_chars`` characters in all (``CODOC_MAX_SEARCH_KEY_CHARS``): they are stored beside it, so a resource of many
    distinct words would otherwise outgrow what one database document holds (16 MB).

    :raises PayloadTooLargeError: over a limit (413), naming the parameters that produce the most.
    """
    for measure, total, bound, setting in (("search keys", len(keys), limit, "CODOC_MAX_SEARCH_KEYS"),
                                           ("characters of search keys", sum(map(len, keys)), max_chars,
                                            "CODOC_MAX_SEARCH_KEY_CHARS")):
        if bound and total > bound:
            by: dict[str, int] = {}
            for key in keys:
                name = key.partition("|")[0]
                by[name] = by.get(name, 0) + (1 if setting == "CODOC_MAX_SEARCH_KEYS" else len(key))
            worst = ", ".join(f"{name} ({n})" for name, n in sorted(by.items(), key=lambda c: -c[1])[:3])
            message = (f"{resource_type} would need {total} {measure}, over this server's limit of {bound} "
                       f"({setting}); most from {worst}")
            raise PayloadTooLargeError(message, issues=[Issue("too-long", message, expression=resource_type)])
