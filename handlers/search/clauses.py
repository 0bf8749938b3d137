"""One query builder per parameter type: ``name[:modifier]=value`` → a clause.

A clause is either a MongoDB query on a scalar field of the document (``_id``, dates, single-valued parameters) or a
:class:`~fhirstore.base.KeyMatch` on search keys (every other parameter). Comma-separated values are alternatives.
"""
from __future__ import annotations

import re
from dataclasses import replace
from itertools import product
from typing import Union

from fhirstore import KeyMatch, KeyTerm
from fhirstore.errors import InvalidError
from handlers.context import RequestContext
from handlers.references import LOCAL_REFERENCE, normalize_reference
from handlers.search.index import WORD_MAX, bounded, date_range, escape_token, exact_word, reference_type, search_key, \
    token, words
from handlers.search.params import SearchParam
from schemas import ID_PATTERN

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le")
UNESCAPED_COMMA = re.compile(r"(?<!\\),")
Clause = Union[dict, KeyMatch]
#: Modifiers served per parameter type (and ``:missing`` on all but ``_id``/``_lastUpdated``; ``:Type`` on
#: references). ``:not``, ``:contains`` and ``:missing=true`` only filter another clause's candidates.
MODIFIERS = {"token": ("not",), "string": ("exact", "contains"), "reference": (), "date": (), "uri": (),
             "special": ()}
#: Most words in one string search value (each may be in the parameter's or an ``also`` parameter's keys).
WORDS_MAX = 6


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


def is_filter(modifier: str, value: str) -> bool:
    """Whether ``name:modifier=value`` only filters the candidates another clause finds (alone it would scan)."""
    return modifier in ("not", "contains") or modifier == "missing" and value == "true"


def clause(param: SearchParam, modifier: str, value: str, ctx: RequestContext) -> Clause:
    """The clause of one ``name[:modifier]=value``. :raises InvalidError: unsupported modifier or malformed value."""
    if value == "":
        raise InvalidError(f"{param.name} needs a value", expression=param.name)
    if modifier == "missing":
        return missing_clause(param, value)
    refused = unsupported(param, modifier)
    if refused:
        raise InvalidError(refused, expression=f"{param.name}:{modifier}")
    values = UNESCAPED_COMMA.split(value)
    if any(v == "" for v in values):
        raise InvalidError(f"{param.name}: empty value in {value!r}", expression=param.name)
    builder = {"token": token_clause, "string": string_clause, "reference": reference_clause, "date": date_clause,
               "uri": uri_clause, "special": id_clause}.get(param.type)
    if builder is None:
        raise InvalidError(f"search parameter {param.name} of type {param.type} is not supported")
    return builder(param, modifier, values, ctx)


def unsupported(param: SearchParam, modifier: str) -> str | None:
    """Why ``name:modifier`` cannot be served here, None when it can (``:Type`` on references is checked later)."""
    if not modifier or modifier == "missing" or modifier in MODIFIERS.get(param.type, ()) \
            or param.type == "reference" and re.match(r"^[A-Z][A-Za-z]+$", modifier):
        return None
    why = ": display texts are not indexed (search by code)" if modifier == "text" else ""
    return f"modifier :{modifier} is not supported on {param.name} ({param.type}){why}"


def missing_clause(param: SearchParam, value: str) -> Clause:
    """``:missing=false``: any key of the parameter (a range of keys) or any value of its field (a range);
    ``:missing=true``: none of them, a filter on the candidates of another clause."""
    if value not in ("true", "false"):
        raise InvalidError(f"{param.name}:missing must be true or false, not {value!r}",
                           expression=f"{param.name}:missing")
    if param.type == "special" or param.name == "_lastUpdated":
        raise InvalidError(f"{param.name}:missing is not supported: every resource has one",
                           expression=f"{param.name}:missing")
    if param.keyed:
        return KeyMatch(tuple((KeyTerm(f"{key}|", prefix=True),) for key in param.searched_keys),
                        negated=value == "true")
    return {param.fields[0]: {"$exists": False} if value == "true" else {"$gte": ""}}


def _served(param: SearchParam, values: list[str], prefixes: list[str] = ()) -> Clause:
    """Equality with any of ``values`` or a start among ``prefixes``: a key match for keyed parameters, else a
    query on the scalar field."""
    if param.keyed:
        return KeyMatch(tuple((KeyTerm(search_key(param, v)),) for v in dict.fromkeys(values))
                        + tuple((KeyTerm(f"{param.key}|{p}", prefix=True),) for p in dict.fromkeys(prefixes)))
    field = param.fields[0]
    ranges = [{field: {"$gte": p, "$lt": p + "\uffff"}} for p in dict.fromkeys(prefixes)]
    if values:
        ranges.insert(0, {field: values[0] if len(values) == 1 else {"$in": values}})
    return ranges[0] if len(ranges) == 1 else {"$or": ranges}


def negate(served: Clause) -> Clause:
    """``:not``: the resources the clause does not match (those without the parameter included)."""
    if isinstance(served, KeyMatch):
        return replace(served, negated=True)
    return {"$nor": [served]}


def token_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    """``system|code``, ``|code`` (no system), ``system|`` (any code of the system: the range of keys starting with
    it) or ``code`` (any system); ``:not`` the complement."""
    keys, prefixes = [], []
    for value in values:
        parts = [_unescape(p) for p in re.split(r"(?<!\\)\|", value, maxsplit=1)]
        if len(parts) == 1:
            keys.append(escape_token(parts[0]))
            continue
        if not parts[0] and not parts[1]:
            raise InvalidError(f"{param.name}: {value!r} names neither a system nor a code", expression=param.name)
        (keys if parts[1] else prefixes).append(token(*parts))
    served = _served(param, keys, prefixes)
    return negate(served) if modifier == "not" else served


def string_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    """``:exact`` matches the whole string as written; ``:contains`` every query word within a word of the value
    (a filter); else every query word must start a word of the value. Each word is looked for in the keys of the
    parameter and of its ``also`` parameters (alternatives: at most WORDS_MAX words)."""
    alternatives: list[tuple[KeyTerm, ...]] = []
    for value in map(_unescape, values):
        if modifier == "exact":
            word = exact_word(f"={value}")
            alternatives += [(KeyTerm(bounded(f"{key}|={value}"), via=word and bounded(f"{key}|{word}")),)
                             for key in param.searched_keys]
            continue
        found = list(dict.fromkeys(w[:WORD_MAX] for w in words(value)))
        if not found:
            raise InvalidError(f"{param.name}: {value!r} has no letter or digit to search for",
                               expression=param.name)
        if len(found) > WORDS_MAX:
            raise InvalidError(f"{param.name}: at most {WORDS_MAX} words, not {len(found)}", expression=param.name)
        choices = [[KeyTerm(f"{key}|", within=w) if modifier == "contains" else
                    KeyTerm(bounded(f"{key}|{w}"), prefix=True) for key in param.searched_keys] for w in found]
        alternatives += product(*choices)
    return KeyMatch(tuple(dict.fromkeys(alternatives)))


def reference_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    keys = [k for v in map(_unescape, values) for k in _reference_keys(param, modifier, v, ctx)]
    return _served(param, list(dict.fromkeys(keys)))


def uri_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    return _served(param, [_unescape(v) for v in values])


def id_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    values = [_unescape(v) for v in values]
    return {"_id": values[0] if len(values) == 1 else {"$in": values}}


def date_clause(param: SearchParam, modifier: str, values: list[str], ctx: RequestContext) -> Clause:
    ranges = [_date_range_clause(param, _unescape(v)) for v in values]
    return ranges[0] if len(ranges) == 1 else {"$or": ranges}


def _unescape(value: str) -> str:
    return re.sub(r"\\([,|$\\])", r"\1", value)


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
        if not ID_PATTERN.match(reference):
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


def _date_range_clause(param: SearchParam, value: str) -> dict:
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
