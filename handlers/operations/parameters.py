"""The input of an ``$operation`` as named values: a POSTed Parameters resource or, for GET, the query string
(the routes pass it as Parameters of ``valueString``)."""
from __future__ import annotations

from typing import Any

from fhirstore.errors import InvalidError


def named_values(payload: Any, operation: str) -> dict[str, Any]:
    """``{name: value}`` of the first ``value[x]`` of each parameter; :raises InvalidError: not a Parameters."""
    if payload is None:
        return {}
    if not isinstance(payload, dict) or payload.get("resourceType") != "Parameters":
        raise InvalidError(f"${operation} takes a Parameters resource", expression="Parameters")
    parameters = payload.get("parameter") or []
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        raise InvalidError(f"${operation}: Parameters.parameter must be a list of objects",
                           expression="Parameters.parameter")
    values: dict[str, Any] = {}
    for parameter in parameters:
        name = parameter.get("name")
        value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        if name and value is not None:
            values.setdefault(name, value)
    return values


def text(values: dict[str, Any], *names: str) -> str | None:
    """The first of ``names`` given, as a non-empty string; :raises InvalidError: not a string."""
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise InvalidError(f"the parameter {name} must be a non-empty string", expression=f"Parameters.{name}")
        return value.strip()
    return None
