"""Query planning: the query string of a search → a :class:`SearchPlan` (clauses, sort, paging, includes)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from fhirstore import KeyMatch
from fhirstore.errors import InvalidError, MethodNotAllowedError, TooCostlyError
from handlers.context import RequestContext
from handlers.search.clauses import clause, combine, is_filter, unsupported
from handlers.search.params import COMMON_PARAMS, SearchParam
from handlers.subset import requested

if TYPE_CHECKING:
    from handlers.base import ResourceHandler

#: Parameters that shape the answer, not the selection.
CONTROL = {"_count", "_offset", "_format", "_pretty", "_summary", "_elements", "_total", "_sort", "_include",
           "_revinclude", "_include:iterate", "_revinclude:iterate"}
#: Most resources one ``_revinclude`` adds per match; most a chain or ``_has`` may go through.
REVINCLUDE_MAX, CHAIN_MAX = 1000, 10_000


@dataclass(frozen=True)
class Link:
    """One ``_include`` / ``_revinclude``: the referring type (handler name), its reference parameter, the target
    type (``_include=…:Type``), and whether it also applies to the resources it adds (``:iterate``)."""

    source: str
    param: SearchParam
    target: str | None = None
    iterate: bool = False


@dataclass
class SearchPlan:
    """What a search request asks for, ready for the store."""

    query: dict  # on scalar fields of the documents
    sort: list[tuple[str, int]]
    offset: int
    count: int
    includes: list[Link] = field(default_factory=list)
    count_total: bool = True
    summary_count: bool = False
    warnings: list[str] = field(default_factory=list)
    keys: list[KeyMatch] = field(default_factory=list)  # on search keys
    revincludes: list[Link] = field(default_factory=list)
    summary: str | None = None  # _summary
    elements: list[str] | None = None  # _elements


def known_params(handler: "ResourceHandler") -> dict[str, SearchParam]:
    return {p.name: p for p in (*COMMON_PARAMS, *getattr(handler, "search_params", ()))}


#: Scalar parameters whose equality names few resources (one patient's, one stay's, given ids): with one of them a
#: search lists its candidates from the document index and checks the keyed clauses on each, instead of listing
#: every holder of a keyed value (``patient=…&code=8867-4`` reads the patient's Observations, not every heart rate).
NARROW_PARAMS = frozenset({"patient", "subject", "encounter", "_id"})


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
    includes = [_include(handler, v, k != "_include") for k, v in params if k in ("_include", "_include:iterate")]
    revincludes = [_revinclude(handler, v, k != "_revinclude") for k, v in params
                   if k in ("_revinclude", "_revinclude:iterate")]
    total = one_param(params, "_total") or "accurate"
    if total not in ("none", "estimate", "accurate"):
        raise InvalidError(f"_total must be none, estimate or accurate, not {total!r}", expression="_total")
    lenient = ctx.prefer.get("handling") == "lenient"
    warnings: list[str] = []
    clauses, filters = [], []
    narrow = False  # a clause on a scalar field that names few resources: it lists the candidates, keys filter
    for key, value in params:
        if key in CONTROL:
            continue
        if key.startswith("_has:"):
            clauses.append(_has_clause(handler, key, value, ctx))
            narrow = True
            continue
        if "." in key:
            clauses.append(_chained_clause(handler, known, key, value, ctx))
            narrow = True
            continue
        name, _, modifier = key.partition(":")
        param = known.get(name)
        if param is None:
            if lenient:
                warnings.append(f"ignored unknown search parameter {key!r}")
                continue
            raise InvalidError(f"unknown search parameter {key!r} for {handler.name}; supported: "
                               f"{', '.join(sorted(known))}", expression=key)
        refused = unsupported(param, modifier)
        if refused and lenient:
            warnings.append(f"ignored {key!r}: {refused}")
            continue
        clauses.append(clause(param, modifier, value, ctx))
        if is_filter(modifier, value):
            filters.append(key)
        elif param.name in NARROW_PARAMS and not param.keyed and modifier != "missing":
            narrow = True
    if not clauses:
        raise MethodNotAllowedError(
            f"listing every {handler.name} is not allowed: give at least one search parameter "
            f"(e.g. ?_id=…)", headers={"Allow": "POST"})
    if len(filters) == len(clauses):
        raise InvalidError(f"{', '.join(dict.fromkeys(filters))}: :not, :contains and :missing=true only narrow "
                           f"the matches of a selective parameter (never a scan of every {handler.name}); add "
                           f"one, e.g. ?_id=…", expression=filters[0])
    if handler.profile:
        clauses.append({"meta.profile": handler.profile})
    keys = [c for c in clauses if isinstance(c, KeyMatch)]
    if narrow:  # e.g. `patient=…&code=…`: the patient's resources, filtered by code — not every holder of the code
        keys = [replace(k, lead=False) for k in keys]
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


def _ids_matching(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> list[str]:
    """Ids of the resources of ``handler`` matching ``params`` (an inner search), at most CHAIN_MAX.

    :raises TooCostlyError: more than CHAIN_MAX match (narrow the inner criteria).
    """
    inner = plan(handler, params, ctx)
    found = []
    for resource in handler.store.scan(handler.resource_type, inner.query, keys=inner.keys):
        found.append(resource["id"])
        if len(found) > CHAIN_MAX:
            raise TooCostlyError(f"the chained criteria match more than {CHAIN_MAX} {handler.name}; narrow them")
    return found


def _chained_clause(handler: "ResourceHandler", known: dict[str, SearchParam], key: str, value: str,
                    ctx: RequestContext):
    """``subject:Patient.identifier=sys|val`` / ``subject.family=x``: the targets found by an inner search, then
    the reference parameter on them."""
    head, _, rest = key.partition(".")
    name, _, target_type = head.partition(":")
    param = known.get(name)
    if param is None or param.type != "reference":
        raise InvalidError(f"{key!r}: {name!r} is not a reference parameter of {handler.name}", expression=key)
    types = (target_type,) if target_type else tuple(t for t in param.targets if t in handler.registry.stored_types)
    if len(types) != 1:
        raise InvalidError(f"{key!r}: say which type the chain goes through ({name}:Type.{rest})", expression=key)
    target = handler.registry.get(types[0])
    ids = _ids_matching(target, [(rest, value)], ctx)
    return clause(param, "", ",".join(f"{target.resource_type}/{i}" for i in ids) or f"{target.resource_type}/-",
                  ctx)


def _has_clause(handler: "ResourceHandler", key: str, value: str, ctx: RequestContext) -> dict:
    """``_has:Observation:subject:code=…``: the resources referenced, through ``subject``, by Observations that
    match ``code=…`` (the cohort query); served by an inner keyed search."""
    parts = key.split(":", 3)
    if len(parts) != 4:
        raise InvalidError(f"{key!r}: expected _has:<Type>:<reference parameter>:<parameter>", expression=key)
    _, source, reference, inner = parts
    try:
        referring = handler.registry.get(source)
    except Exception:  # noqa: BLE001 - an unknown type is the client's error
        raise InvalidError(f"{key!r}: {source!r} is not a type of this server", expression=key) from None
    ref_param = known_params(referring).get(reference)
    if ref_param is None or ref_param.type != "reference":
        raise InvalidError(f"{key!r}: {reference!r} is not a reference parameter of {source}", expression=key)
    inner_plan = plan(referring, [(inner, value)], ctx)
    prefix = f"{handler.resource_type}/"
    ids: set[str] = set()
    for resource in handler.store.scan(referring.resource_type, inner_plan.query, keys=inner_plan.keys):
        found = ref_param.index_value(resource)
        ids.update(v[len(prefix):] for v in ([found] if isinstance(found, str) else found or [])
                   if v.startswith(prefix))
        if len(ids) > CHAIN_MAX:
            raise TooCostlyError(f"{key!r} reaches more than {CHAIN_MAX} {handler.name}; narrow it")
    return {"_id": {"$in": sorted(ids)}}


def _hosted(handler: "ResourceHandler", kind: str, name: str, value: str) -> "ResourceHandler":
    try:
        return handler.registry.get(kind)
    except Exception:  # noqa: BLE001 - an unknown type is the client's error
        raise InvalidError(f"{name}={value!r}: {kind!r} is not a type of this server", expression=name) from None


def _revinclude(handler: "ResourceHandler", value: str, iterate: bool) -> Link:
    """``_revinclude[:iterate]=Observation:subject``: resources of that type whose parameter references a match
    (``:iterate``: or a resource added by an include).

    :raises InvalidError: not a reference parameter of a hosted type that may point to this one.
    """
    name = "_revinclude:iterate" if iterate else "_revinclude"
    source, _, rest = value.partition(":")
    referring = _hosted(handler, source, name, value)
    param = known_params(referring).get(rest.partition(":")[0])
    if param is None or param.type != "reference" or \
            not iterate and param.targets and handler.resource_type not in param.targets:
        raise InvalidError(f"{name}={value!r}: expected <Type>:<reference parameter to {handler.name}>",
                           expression=name)
    return Link(referring.name, param, iterate=iterate)


def _include(handler: "ResourceHandler", value: str, iterate: bool) -> Link:
    """``_include=Observation:subject[:Patient]`` (``:iterate``: the source may be any type the includes add).

    :raises InvalidError: not a reference parameter of this type (of a hosted type with ``:iterate``).
    """
    name = "_include:iterate" if iterate else "_include"
    source, _, rest = value.partition(":")
    param_name, _, target = rest.partition(":")
    referring = _hosted(handler, source, name, value) if iterate else handler
    param = known_params(referring).get(param_name)
    if source not in (referring.name, referring.resource_type) or param is None or param.type != "reference":
        raise InvalidError(f"{name}={value!r}: expected {'<Type>' if iterate else handler.name}:<reference "
                           f"parameter>[:Type]", expression=name)
    if target and param.targets and target not in param.targets:
        raise InvalidError(f"{name}={value!r}: {param_name} does not refer to {target}", expression=name)
    return Link(referring.name, param, target or None, iterate)
