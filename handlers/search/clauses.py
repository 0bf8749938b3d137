"""One query builder per parameter type: ``name[:modifier]=value`` → a MongoDB clause on the helper fields."""
from __future__ import annotations

import re

from fhirstore.errors import InvalidError
from handlers.context import RequestContext
from handlers.references import LOCAL_REFERENCE, normalize_reference
from handlers.search.index import PREFIX_MAX, date_range, reference_type, words
from handlers.search.params import SearchParam
from schemas import ID_PATTERN

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le")
UNESCAPED_COMMA = re.compile(r"(?<!\\),")


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
