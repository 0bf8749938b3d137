"""Query planning: the query string of a search → a :class:`SearchPlan` (clauses, sort, paging, includes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fhirstore import KeyMatch
from fhirstore.errors import InvalidError, MethodNotAllowedError
from handlers.context import RequestContext
from handlers.search.clauses import clause, combine
from handlers.search.params import COMMON_PARAMS, SearchParam
from handlers.subset import requested

if TYPE_CHECKING:
    from handlers.base import ResourceHandler

#: Parameters that shape the answer, not the selection.
CONTROL = {"_count", "_offset", "_format", "_pretty", "_summary", "_elements", "_total", "_sort", "_include",
           "_revinclude"}
#: Most resources one ``_revinclude`` adds per match.
REVINCLUDE_MAX = 1000


@dataclass
class SearchPlan:
    """What a search request asks for, ready for the store."""

    query: dict  # on scalar fields of the documents
    sort: list[tuple[str, int]]
    offset: int
    count: int
    includes: list[tuple[SearchParam, str | None]] = field(default_factory=list)
    count_total: bool = True
    summary_count: bool = False
    warnings: list[str] = field(default_factory=list)
    keys: list[KeyMatch] = field(default_factory=list)  # on search keys
    revincludes: list[tuple[str, SearchParam]] = field(default_factory=list)  # (source handler name, its param)
    summary: str | None = None  # _summary
    elements: list[str] | None = None  # _elements


def known_params(handler: "ResourceHandler") -> dict[str, SearchParam]:
    return {p.name: p for p in (*COMMON_PARAMS, *getattr(handler, "search_params", ()))}


def plan(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> SearchPlan:
    """Translate the query string into a MongoDB query.

    :raises MethodNotAllowedError: no selective parameter (the seed forbids listing a whole type).
    :raises InvalidError: unknown parameter (unless ``Prefer: handling=lenient``) or malformed value.
    """
    known = known_params(handler)
    config = handler.config
    count = int_param(params, "_count", config["CODOC_PAGE_SIZE"], config["CODOC_PAGE_MAX"])
    offset = int_param(params, "_offset", 0, 10_000_000)
    sort = _sort(known, one_param(params, "_sort"))
    includes = [_include(handler, known, v) for k, v in params if k == "_include"]
    revincludes = [_revinclude(handler, v) for k, v in params if k == "_revinclude"]
    total = one_param(params, "_total") or "accurate"
    if total not in ("none", "estimate", "accurate"):
        raise InvalidError(f"_total must be none, estimate or accurate, not {total!r}", expression="_total")
    lenient = ctx.prefer.get("handling") == "lenient"
    warnings: list[str] = []
    clauses = []
    for key, value in params:
        if key in CONTROL:
            continue
        name, _, modifier = key.partition(":")
        param = known.get(name)
        if param is None:
            if lenient:
                warnings.append(f"ignored unknown search parameter {key!r}")
                continue
            raise InvalidError(f"unknown search parameter {key!r} for {handler.name}; supported: "
                               f"{', '.join(sorted(known))}", expression=key)
        clauses.append(clause(param, modifier, value, ctx))
    if not clauses:
        raise MethodNotAllowedError(
            f"listing every {handler.name} is not allowed: give at least one search parameter "
            f"(e.g. ?_id=…)", headers={"Allow": "POST"})
    if handler.profile:
        clauses.append({"meta.profile": handler.profile})
    keys = [c for c in clauses if isinstance(c, KeyMatch)]
    clauses = [c for c in clauses if not isinstance(c, KeyMatch)]
    summary, elements = requested(params)
    return SearchPlan(
        query=combine(clauses), keys=keys, sort=sort, offset=offset, count=count, includes=includes,
        revincludes=revincludes,
        count_total=total != "none",
        summary_count=summary == "count", summary=summary, elements=elements,
        warnings=warnings)


def one_param(params: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in params if k == name), None)


def int_param(params: list[tuple[str, str]], name: str, default: int, high: int) -> int:
    """A whole-number parameter (ASCII digits only), capped at ``high``. :raises InvalidError:"""
    raw = one_param(params, name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidError(f"{name} must be a whole number ≥ 0, not {raw!r}", expression=name)
    return min(int(raw), high)


def _sort(known: dict[str, SearchParam], raw: str | None) -> list[tuple[str, int]]:
    """``_sort=-date,_id``: by ``_id``, ``_lastUpdated`` or a date parameter (its start); ties by id."""
    keys: list[tuple[str, int]] = []
    for item in (raw or "").split(","):
        if not item:
            continue
        direction = -1 if item.startswith("-") else 1
        param = known.get(item.lstrip("-"))
        if param is None or param.type not in ("date", "special"):
            raise InvalidError(f"cannot sort by {item!r}: sort by _id, _lastUpdated or a date parameter",
                               expression="_sort")
        keys.append(("id" if param.name == "_id" else param.fields[0], direction))
    if not any(k == "id" for k, _ in keys):
        keys.append(("id", 1))
    return keys


def _revinclude(handler: "ResourceHandler", value: str) -> tuple[str, SearchParam]:
    """``_revinclude=Observation:subject``: resources of that type whose parameter references a match.

    :raises InvalidError: not a reference parameter of a hosted type that may point to this one.
    """
    source, _, name = value.partition(":")
    try:
        referring = handler.registry.get(source)
    except Exception:  # noqa: BLE001 - an unknown type is the client's error
        raise InvalidError(f"_revinclude={value!r}: {source!r} is not a type of this server",
                           expression="_revinclude") from None
    param = known_params(referring).get(name.partition(":")[0])
    if param is None or param.type != "reference" or param.targets and handler.resource_type not in param.targets:
        raise InvalidError(f"_revinclude={value!r}: expected <Type>:<reference parameter to {handler.name}>",
                           expression="_revinclude")
    return referring.name, param


def _include(handler: "ResourceHandler", known: dict[str, SearchParam], value: str) -> tuple[SearchParam, str | None]:
    """``_include=Observation:subject[:Patient]``. :raises InvalidError: not a reference parameter of this type."""
    source, _, rest = value.partition(":")
    name, _, target = rest.partition(":")
    param = known.get(name)
    if source not in (handler.name, handler.resource_type) or param is None or param.type != "reference":
        raise InvalidError(f"_include={value!r}: expected {handler.name}:<reference parameter>[:Type]",
                           expression="_include")
    if target and param.targets and target not in param.targets:
        raise InvalidError(f"_include={value!r}: {name} does not refer to {target}", expression="_include")
    return param, target or None
