"""FHIR search: parameters declared as data per type, translated to indexed MongoDB queries, paged Bundles.

Each parameter (except ``_id`` and ``_lastUpdated``) is served from a helper value the handler computes at write time
and keeps under ``_codoc.sp.<name>`` (stripped on output): normalized tokens (``system|code``, ``code``,
``system|``), local references (``Patient/1``), word prefixes of unaccented lowercase strings, and ``{lo, hi}``
instants for dates. So every parameter is one equality or range on one indexed field, on MongoDB, nx-27017 and
mongomock alike.
"""
from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from fhirstore.base import IndexSpec
from fhirstore.errors import InvalidError, MethodNotAllowedError
from handlers import bundles
from handlers.context import RequestContext
from handlers.references import LOCAL_REFERENCE, normalize_reference

if TYPE_CHECKING:
    from handlers.base import ResourceHandler

HELPER = "_codoc.sp"
#: Parameters that shape the answer, not the selection.
CONTROL = {"_count", "_offset", "_format", "_pretty", "_summary", "_elements", "_total", "_sort", "_include"}
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le")
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
                          r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")
MIN_INSTANT = "0001-01-01T00:00:00.000Z"
MAX_INSTANT = "9999-12-31T23:59:59.999Z"
#: Longest word prefix kept for string search; longer query words match on their first PREFIX_MAX characters.
PREFIX_MAX = 20
UNESCAPED_COMMA = re.compile(r"(?<!\\),")


@dataclass(frozen=True)
class SearchParam:
    """A search parameter: its FHIR type and the JSON paths of the resource it looks at.

    ``single``: FHIR allows at most one value (a plain code, a 0..1 Reference), so the helper is stored as a scalar
    under a single-key index. Other helpers are lists under a compound ``(helper, id)`` index: nx-27017 answers
    wrongly through a single-key index on an array field (measured), and MongoDB serves both shapes.
    """

    name: str
    type: str  # special | token | reference | date | string | uri
    paths: tuple[str, ...]
    description: str = ""
    targets: tuple[str, ...] = ()  # reference: the resource types it may point to
    single: bool = False

    @property
    def key(self) -> str:
        """The helper's name under ``_codoc.sp`` (``part-of`` → ``part_of``: nx-27017 names indexes after fields)."""
        return self.name.replace("-", "_")

    @property
    def fields(self) -> tuple[str, ...]:
        """The stored fields a query on this parameter filters on (each is the first key of an index)."""
        if self.name == "_id":
            return ("_id",)
        if self.name == "_lastUpdated":
            return ("meta.lastUpdated",)
        if self.type == "date":
            return (f"{HELPER}.{self.key}.lo", f"{HELPER}.{self.key}.hi")
        return (f"{HELPER}.{self.key}",)

    @property
    def index_specs(self) -> tuple[IndexSpec, ...]:
        if self.name == "_id":
            return ()
        if self.type == "date" or self.single:
            return tuple(IndexSpec(((f, 1),)) for f in self.fields)
        return tuple(IndexSpec(((f, 1), ("id", 1))) for f in self.fields)

    def index_value(self, resource: dict) -> Any:
        """The helper value kept for this parameter, or None when the resource has nothing to find it by."""
        nodes = [node for path in self.paths for node in walk(resource, path)]
        if self.type == "date":
            ranges = [r for r in (value_range(n) for n in nodes) if r]
            return {"lo": min(r[0] for r in ranges), "hi": max(r[1] for r in ranges)} if ranges else None
        extract = {"token": token_values, "reference": self._reference_values, "string": string_keys,
                   "uri": lambda n: [n] if isinstance(n, str) else []}[self.type]
        values = list(dict.fromkeys(v for n in nodes for v in extract(n)))
        if not values:
            return None
        return values[0] if self.single else values

    def _reference_values(self, node: Any) -> list[str]:
        reference = node.get("reference") if isinstance(node, dict) else None
        if not isinstance(reference, str):
            return []
        reference = normalize_reference(reference)
        kind = reference_type(reference)
        return [reference] if not self.targets or kind is None or kind in self.targets else []


COMMON_PARAMS = (
    SearchParam("_id", "special", ("id",), "Logical id; several ids separated by commas"),
    SearchParam("_lastUpdated", "date", ("meta.lastUpdated",), "When the resource version last changed"),
)


# -- helper values -------------------------------------------------------------------------------------------------
def walk(node: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, lists flattened at each step."""
    current = [node]
    for part in path.split("."):
        following = []
        for item in current:
            value = item.get(part) if isinstance(item, dict) else None
            if isinstance(value, list):
                following.extend(value)
            elif value is not None:
                following.append(value)
        current = following
    yield from current


def index_values(params: Iterable[SearchParam], resource: dict) -> dict:
    """``{param key: helper value}`` for the parameters this resource can be found by."""
    values = {}
    for param in params:
        if param.name in ("_id", "_lastUpdated"):
            continue
        value = param.index_value(resource)
        if value is not None:
            values[param.key] = value
    return values


def token_values(node: Any) -> list[str]:
    """Tokens of a code, boolean, Coding, CodeableConcept or Identifier: ``system|code``, ``code``, ``system|``."""
    if isinstance(node, bool):
        return ["true" if node else "false"]
    if isinstance(node, str):
        return [node]
    if not isinstance(node, dict):
        return []
    if "coding" in node:
        return [token for coding in node["coding"] for token in token_values(coding)]
    code = node.get("code") if "code" in node else node.get("value")
    system = node.get("system")
    tokens = []
    if isinstance(code, str):
        tokens += [f"{system}|{code}", code] if system else [f"|{code}", code]
    if system:
        tokens.append(f"{system}|")
    return tokens


def normalize_text(text: str) -> str:
    """Lowercase without accents: ``Élodie`` → ``elodie``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", normalize_text(text)) if w]


def string_keys(node: Any) -> list[str]:
    """Search keys of a string or HumanName: every prefix of every normalized word, and ``=`` + each exact string."""
    if isinstance(node, dict):  # HumanName (or anything with these string parts)
        parts = [node.get("text"), node.get("family"), *node.get("given", []), *node.get("prefix", []),
                 *node.get("suffix", [])]
        return [key for part in parts if isinstance(part, str) for key in string_keys(part)]
    if not isinstance(node, str):
        return []
    keys = [f"={node}"]
    for word in words(node):
        keys += [word[:n] for n in range(1, min(len(word), PREFIX_MAX) + 1)]
    return keys


def reference_type(reference: str) -> str | None:
    parts = reference.split("?")[0].rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[:parts.index("_history")]
    return parts[-2] if len(parts) >= 2 and re.match(r"^[A-Z][A-Za-z]+$", parts[-2]) else None


# -- dates ---------------------------------------------------------------------------------------------------------
def date_range(text: str) -> tuple[str, str]:
    """The instants ``(lo, hi)`` a FHIR date, dateTime or instant covers at its precision, in UTC.

    A date without a time zone is taken as UTC. :raises ValueError: not a FHIR date or not a real date.
    """
    match = DATE_PATTERN.match(text)
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    y = int(year)
    if month is None:
        lo, hi = datetime(y, 1, 1), datetime(y, 12, 31, 23, 59, 59, 999000)
    elif day is None:
        m = int(month)
        lo = datetime(y, m, 1)
        hi = datetime(y, m, monthrange(y, m)[1], 23, 59, 59, 999000)
    elif hour is None:
        lo = datetime(y, int(month), int(day))
        hi = lo + timedelta(days=1, milliseconds=-1)
    else:
        lo = datetime(y, int(month), int(day), int(hour), int(minute), int(second or 0),
                      int((fraction or "0").ljust(6, "0")[:6]) // 1000 * 1000)
        if fraction is not None:
            hi = lo
        elif second is not None:
            hi = lo + timedelta(milliseconds=999)
        else:
            hi = lo + timedelta(seconds=59, milliseconds=999)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            if offset >= timedelta(hours=24) or int(zone[4:6]) >= 60:
                raise ValueError(text)
            lo, hi = lo - sign * offset, hi - sign * offset
    return _instant(lo), _instant(hi)


def _instant(moment: datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


def value_range(node: Any) -> tuple[str, str] | None:
    """``(lo, hi)`` of a date/dateTime/instant string or a Period (open ends reach the end of time)."""
    try:
        if isinstance(node, str):
            return date_range(node)
        if isinstance(node, dict) and ("start" in node or "end" in node):
            lo = date_range(node["start"])[0] if isinstance(node.get("start"), str) else MIN_INSTANT
            hi = date_range(node["end"])[1] if isinstance(node.get("end"), str) else MAX_INSTANT
            return lo, hi
    except (ValueError, OverflowError):
        return None
    return None


# -- queries -------------------------------------------------------------------------------------------------------
@dataclass
class SearchPlan:
    """What a search request asks for, ready for the store."""

    query: dict
    sort: list[tuple[str, int]]
    offset: int
    count: int
    includes: list[tuple[SearchParam, str | None]] = field(default_factory=list)
    count_total: bool = True
    summary_count: bool = False
    warnings: list[str] = field(default_factory=list)


def known_params(handler: "ResourceHandler") -> dict[str, SearchParam]:
    return {p.name: p for p in (*COMMON_PARAMS, *getattr(handler, "search_params", ()))}


def plan(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> SearchPlan:
    """Translate the query string into a MongoDB query.

    :raises MethodNotAllowedError: no selective parameter (the seed forbids listing a whole type).
    :raises InvalidError: unknown parameter (unless ``Prefer: handling=lenient``) or malformed value.
    """
    known = known_params(handler)
    config = handler.config
    count = _int_param(params, "_count", config["CODOC_PAGE_SIZE"], config["CODOC_PAGE_MAX"])
    offset = _int_param(params, "_offset", 0, 10_000_000)
    sort = _sort(known, _one(params, "_sort"))
    includes = [_include(handler, known, v) for k, v in params if k == "_include"]
    total = _one(params, "_total") or "accurate"
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
    summary = _one(params, "_summary")
    if summary not in (None, "count", "false"):
        warnings.append(f"_summary={summary} is not supported; full resources are returned")
    if _one(params, "_elements") is not None:
        warnings.append("_elements is not supported; full resources are returned")
    return SearchPlan(
        query=combine(clauses), sort=sort, offset=offset, count=count, includes=includes,
        count_total=total != "none",
        summary_count=summary == "count",
        warnings=warnings)


def run(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> dict:
    """Answer ``GET /{type}?…`` with a searchset Bundle (matches, then included resources, then warnings)."""
    search = plan(handler, params, ctx)
    store = handler.store
    fetch = 0 if search.summary_count else search.count
    page = store.search(handler.resource_type, search.query, sort=search.sort, offset=search.offset,
                        limit=fetch + 1, count_total=False)
    resources, more = page.resources[:fetch], len(page.resources) > fetch
    total = -1
    if search.count_total or search.summary_count:
        if not more and (page.resources or search.offset == 0):
            total = search.offset + len(page.resources)  # the page tells: no count (nx-27017 counts by scanning)
        else:
            total = store.search(handler.resource_type, search.query, limit=1).total
    included = _included(handler, search.includes, resources)
    outcome = None
    if search.warnings:
        outcome = bundles.operation_outcome([{"severity": "warning", "code": "not-supported", "diagnostics": w}
                                             for w in search.warnings])
    return bundles.searchset(ctx.base_url, handler.name, resources, total, params, search.offset, fetch,
                             included=included, outcome=outcome, more=more)


def combine(clauses: list[dict]) -> dict:
    """One query from several clauses: a flat document when their keys differ (nx-27017 then uses an index),
    else ``$and``."""
    flat: dict = {}
    rest = []
    for item in clauses:
        if any(key in flat or key.startswith("$") for key in item):
            rest.append(item)
        else:
            flat.update(item)
    if rest:
        flat["$and"] = rest
    return flat


def clause(param: SearchParam, modifier: str, value: str, ctx: RequestContext) -> dict:
    """The query of one ``name[:modifier]=value`` (comma-separated values are alternatives).

    :raises InvalidError: unsupported modifier or malformed value.
    """
    if value == "":
        raise InvalidError(f"{param.name} needs a value", expression=param.name)
    if modifier and not (param.type == "string" and modifier == "exact" or param.type == "reference"):
        raise InvalidError(f"modifier :{modifier} is not supported on {param.name} ({param.type})",
                           expression=f"{param.name}:{modifier}")
    values = UNESCAPED_COMMA.split(value)
    if any(v == "" for v in values):
        raise InvalidError(f"{param.name}: empty value in {value!r}", expression=param.name)
    if param.type == "token":
        return _equal(param.fields[0], [_token_key(param, v) for v in values])
    values = [_unescape(v) for v in values]
    if param.name == "_id":
        return {"_id": values[0] if len(values) == 1 else {"$in": values}}
    if param.type == "date":
        return _any_of([_date_clause(param, v) for v in values])
    target = param.fields[0]
    if param.type == "string":
        alternatives = [_string_keys(param, modifier, v) for v in values]
        if all(len(keys) == 1 for keys in alternatives):
            return _equal(target, [keys[0] for keys in alternatives])
        return _any_of([{"$and": [{target: k} for k in keys]} if len(keys) > 1 else {target: keys[0]}
                        for keys in alternatives])
    if param.type == "reference":
        keys = [k for v in values for k in _reference_keys(param, modifier, v, ctx)]
        return _equal(target, list(dict.fromkeys(keys)))
    if param.type == "uri":
        return _equal(target, values)
    raise InvalidError(f"search parameter {param.name} of type {param.type} is not supported")


def _equal(target: str, keys: list[str]) -> dict:
    return {target: keys[0] if len(keys) == 1 else {"$in": keys}}


def _any_of(values: list[dict]) -> dict:
    return values[0] if len(values) == 1 else {"$or": values}


def _unescape(value: str) -> str:
    return re.sub(r"\\([,|$\\])", r"\1", value)


def _token_key(param: SearchParam, value: str) -> str:
    """``system|code``, ``|code`` (no system), ``system|`` (any code of the system) or ``code`` (any system)."""
    parts = [_unescape(p) for p in re.split(r"(?<!\\)\|", value, maxsplit=1)]
    if len(parts) == 1:
        return parts[0]
    system, code = parts
    if not system and not code:
        raise InvalidError(f"{param.name}: {value!r} names neither a system nor a code", expression=param.name)
    return f"{system}|{code}"


def _string_keys(param: SearchParam, modifier: str, value: str) -> list[str]:
    """``:exact`` matches the whole string as written; else every query word must start a word of the value."""
    if modifier == "exact":
        return [f"={value}"]
    found = words(value)
    if not found:
        raise InvalidError(f"{param.name}: {value!r} has no letter or digit to search for", expression=param.name)
    return list(dict.fromkeys(w[:PREFIX_MAX] for w in found))


def _reference_keys(param: SearchParam, modifier: str, value: str, ctx: RequestContext) -> list[str]:
    """``Type/id``, ``id`` (with ``:Type`` or for each target type), or an absolute URL."""
    if modifier and not re.match(r"^[A-Z][A-Za-z]+$", modifier):
        raise InvalidError(f"modifier :{modifier} is not supported on {param.name} (reference)",
                           expression=f"{param.name}:{modifier}")
    if modifier and param.targets and modifier not in param.targets:
        raise InvalidError(f"{param.name} refers to {', '.join(param.targets)}, not {modifier}",
                           expression=f"{param.name}:{modifier}")
    reference = normalize_reference(value, ctx.base_url)
    if "/" not in reference:
        if not re.match(r"^[A-Za-z0-9\-.]{1,64}$", reference):
            raise InvalidError(f"{param.name}: {value!r} is not a reference (Type/id) nor an id",
                               expression=param.name)
        kinds = (modifier,) if modifier else param.targets
        if not kinds:
            raise InvalidError(f"{param.name}: give the type of the reference (Type/{reference})",
                               expression=param.name)
        return [f"{kind}/{reference}" for kind in kinds]
    kind = reference_type(reference)
    if modifier and kind != modifier:
        raise InvalidError(f"{param.name}:{modifier}: {value!r} is not a {modifier} reference",
                           expression=f"{param.name}:{modifier}")
    if LOCAL_REFERENCE.match(reference) and param.targets and kind not in param.targets:
        raise InvalidError(f"{param.name} refers to {', '.join(param.targets)}, not {kind}", expression=param.name)
    return [reference]


def _date_clause(param: SearchParam, value: str) -> dict:
    prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
    text = value[2:] if value[:2] in DATE_PREFIXES else value
    if prefix not in SUPPORTED_DATE_PREFIXES:
        raise InvalidError(f"{param.name}: prefix {prefix} is not supported (use {', '.join(SUPPORTED_DATE_PREFIXES)})",
                           expression=param.name)
    try:
        low, high = date_range(text)
    except (ValueError, OverflowError):
        raise InvalidError(f"{param.name}: {value!r} is not a FHIR date (e.g. ge2024-01-31 or "
                           f"2024-01-31T10:00:00+01:00)", expression=param.name) from None
    lo_field, hi_field = param.fields if len(param.fields) == 2 else param.fields * 2
    if prefix == "eq":  # the resource's range lies within the searched one
        if lo_field == hi_field:
            return {lo_field: {"$gte": low, "$lte": high}}
        return {lo_field: {"$gte": low}, hi_field: {"$lte": high}}
    return {"ge": {hi_field: {"$gte": low}}, "gt": {hi_field: {"$gt": high}},
            "le": {lo_field: {"$lte": high}}, "lt": {lo_field: {"$lt": low}}}[prefix]


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in params if k == name), None)


def _int_param(params: list[tuple[str, str]], name: str, default: int, high: int) -> int:
    raw = _one(params, name)
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


def _included(handler: "ResourceHandler", includes: list[tuple[SearchParam, str | None]],
              resources: list[dict]) -> list[dict]:
    """The hosted resources that the page's matches reference through the ``_include`` parameters."""
    wanted: dict[str, set[str]] = {}
    for param, target in includes:
        for resource in resources:
            value = param.index_value(resource)
            for reference in [value] if isinstance(value, str) else value or []:
                match = LOCAL_REFERENCE.match(reference)
                if match and (target is None or match.group(1) == target):
                    wanted.setdefault(match.group(1), set()).add(match.group(2))
    seen = {(r["resourceType"], r["id"]) for r in resources}
    included = []
    for kind in sorted(wanted):
        if kind not in handler.registry.stored_types:
            continue
        ids = sorted(i for i in wanted[kind] if (kind, i) not in seen)
        if ids:
            page = handler.store.search(kind, {"_id": {"$in": ids}}, sort=[("id", 1)], limit=len(ids),
                                        count_total=False)
            included += page.resources
    return included
