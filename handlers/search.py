"""FHIR search: parameters declared as data per type, translated to indexed MongoDB queries, paged Bundles."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from fhirstore.base import IndexSpec
from fhirstore.errors import InvalidError, MethodNotAllowedError
from handlers import bundles
from handlers.context import RequestContext

if TYPE_CHECKING:
    from handlers.base import ResourceHandler

#: Parameters that shape the answer, not the selection.
CONTROL = {"_count", "_offset", "_format", "_pretty", "_summary", "_elements", "_total", "_sort", "_include"}
DATE_PREFIXES = {"eq": None, "ge": "$gte", "le": "$lte", "gt": "$gt", "lt": "$lt"}
DATE_PATTERN = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?)$")


@dataclass(frozen=True)
class SearchParam:
    """A search parameter: its FHIR type and the JSON paths (of the stored document) it looks at."""

    name: str
    type: str  # token | reference | date | string | uri
    paths: tuple[str, ...]
    description: str = ""


COMMON_PARAMS = (
    SearchParam("_id", "special", ("_id",), "Logical id"),
    SearchParam("_lastUpdated", "date", ("meta.lastUpdated",), "When the resource version last changed"),
)


def run(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> dict:
    """Answer ``GET /{type}?…`` with a searchset Bundle.

    :raises MethodNotAllowedError: no selective parameter (the seed forbids listing a whole type).
    :raises InvalidError: unknown parameter (unless ``Prefer: handling=lenient``) or malformed value.
    """
    known = {p.name: p for p in (*COMMON_PARAMS, *getattr(handler, "search_params", ()))}
    selective = [(k, v) for k, v in params if k not in CONTROL]
    ignored = []
    clauses = []
    for key, value in selective:
        name, _, modifier = key.partition(":")
        param = known.get(name)
        if param is None:
            if ctx.prefer.get("handling") == "lenient":
                ignored.append(key)
                continue
            raise InvalidError(f"unknown search parameter {key!r} for {handler.name}; supported: "
                               f"{', '.join(sorted(known))}", expression=key)
        clauses.append(_clause(param, modifier, value))
    if not clauses:
        raise MethodNotAllowedError(
            f"listing every {handler.name} is not allowed: give at least one search parameter "
            f"(e.g. ?_id=…)", headers={"Allow": "POST"})
    count = _int_param(params, "_count", handler.config["CODOC_PAGE_SIZE"], 0, handler.config["CODOC_PAGE_MAX"])
    offset = _int_param(params, "_offset", 0, 0, 10_000_000)
    query = {"$and": clauses} if len(clauses) > 1 else clauses[0]
    if handler.profile:
        query = {"$and": [query, {"meta.profile": handler.profile}]}
    page = handler.store.search(handler.resource_type, query, sort=[("_id", 1)], offset=offset, limit=count)
    outcome = None
    if ignored:
        outcome = bundles.operation_outcome([{"severity": "warning", "code": "not-supported",
                                              "diagnostics": f"ignored unknown search parameter {k!r}"}
                                             for k in ignored])
    return bundles.searchset(ctx.base_url, handler.name, page.resources, page.total, params, offset, count,
                             outcome=outcome)


def _int_param(params: list[tuple[str, str]], name: str, default: int, low: int, high: int) -> int:
    raw = next((v for k, v in params if k == name), None)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw):
        raise InvalidError(f"{name} must be a whole number ≥ {low}, not {raw!r}", expression=name)
    return min(int(raw), high)


def _clause(param: SearchParam, modifier: str, value: str) -> dict:
    builders: dict[str, Callable[[SearchParam, str, str], dict]] = {
        "special": _id_clause, "date": _date_clause}
    builder = builders.get(param.type)
    if builder is None:
        raise InvalidError(f"search parameter {param.name} of type {param.type} is not supported")
    return builder(param, modifier, value)


def _any_of(values: list[dict]) -> dict:
    return values[0] if len(values) == 1 else {"$or": values}


def _id_clause(param: SearchParam, modifier: str, value: str) -> dict:
    ids = [v for v in value.split(",") if v]
    return {"_id": {"$in": ids}}


def _date_clause(param: SearchParam, modifier: str, value: str) -> dict:
    match = DATE_PATTERN.match(value)
    if not match:
        raise InvalidError(f"{param.name}: {value!r} is not a FHIR date (e.g. ge2024-01-31)", expression=param.name)
    prefix, date = match.group(1) or "eq", match.group(2)
    operator = DATE_PREFIXES[prefix]
    ors = []
    for path in param.paths:
        if operator is None:
            ors.append({path: {"$gte": date, "$lt": date + "\uffff"}})
        elif operator in ("$gt", "$lte"):
            ors.append({path: {operator: date + "\uffff"}})
        else:
            ors.append({path: {operator: date}})
    return _any_of(ors)
