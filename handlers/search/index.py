"""Index side: the helper values a resource is found by, computed at write time (no query here).

Normalized tokens (``system|code``, ``code``), local references (``Patient/1``), word prefixes of
unaccented lowercase strings, and ``{lo, hi}`` instants for dates.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from calendar import monthrange
from datetime import datetime, timedelta
from typing import Any, Iterable

from fhirstore.fields import CHECKS, KEYS, SEARCH
from handlers.search.params import META_PARAMS, SearchParam

DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
                          r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")
TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]+$")
WORD_BREAK = re.compile(r"[\W_]+")
MIN_INSTANT = "0001-01-01T00:00:00.000Z"
MAX_INSTANT = "9999-12-31T23:59:59.999Z"
#: Longest word kept for string search; longer query words match on their first WORD_MAX characters.
WORD_MAX = 64
#: Longer search keys are kept as their start and a digest (an index key has a size limit, a value has not).
KEY_MAX = 256


def index_values(params: Iterable[SearchParam], resource: dict) -> dict:
    """``{"sp": {param key: scalar helper}, "keys": [search key, …], "checks": [verified-only key, …]}`` for what
    this resource can be found by (``checks``: exact strings, found through their first word's key)."""
    scalars, keys, checks = {}, [], []
    for param in (*META_PARAMS, *params):
        value = param.index_value(resource)
        if value is None:
            continue
        if param.keyed:
            for v in value:
                (checks if param.type == "string" and exact_word(v) else keys).append(search_key(param, v))
        else:
            scalars[param.key] = value
    fields: dict = {}
    if scalars:
        fields[SEARCH] = scalars
    if keys:
        fields[KEYS] = list(dict.fromkeys(keys))
    if checks:
        fields[CHECKS] = list(dict.fromkeys(checks))
    return fields


def exact_word(value: str) -> str | None:
    """The word key an exact string value (``=Jean-Pierre``) is found through (``jean``); None for other values
    and for exact strings without a letter or digit (those keep a key of their own)."""
    if not value.startswith("="):
        return None
    found = words(value[1:])
    return found[0][:WORD_MAX] if found else None


def search_key(param: SearchParam, value: str) -> str:
    """The search key of one value of a keyed parameter: ``name|value``, bounded in length."""
    key = f"{param.key}|{value}"
    return key if len(key) <= KEY_MAX else bounded(key)


def bounded(key: str) -> str:
    if len(key) <= KEY_MAX:
        return key
    return f"{key[:KEY_MAX - 42]}#{hashlib.sha1(key.encode()).hexdigest()}"


def escape_token(part: str) -> str:
    """``\\`` and ``|`` escaped, so that ``system|code`` is unambiguous whatever the two hold."""
    return part.replace("\\", "\\\\").replace("|", "\\|") if "|" in part or "\\" in part else part


def token(system: str | None, code: str | None) -> str:
    """``system|code``, ``|code`` (no system) or ``system|`` (any code), each part escaped."""
    return f"{escape_token(system or '')}|{escape_token(code or '')}"


def token_values(node: Any) -> list[str]:
    """Tokens of a code, boolean, Coding, CodeableConcept or Identifier: ``system|code`` and ``code`` (a search on
    ``system|`` is the range of keys starting with it)."""
    if isinstance(node, bool):
        return ["true" if node else "false"]
    if isinstance(node, str):
        return [escape_token(node)]
    if not isinstance(node, dict):
        return []
    if "coding" in node:
        return [token for coding in node["coding"] for token in token_values(coding)]
    code = node.get("code") if "code" in node else node.get("value")
    system = node.get("system") if isinstance(node.get("system"), str) else None
    tokens = []
    if isinstance(code, str):
        tokens += [token(system, code), escape_token(code)]
    elif system:
        tokens.append(token(system, None))  # a system without a code: still found by ``system|``
    return tokens


def normalize_text(text: str) -> str:
    """Lowercase without accents: ``Élodie`` → ``elodie``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w for w in WORD_BREAK.split(normalize_text(text)) if w]


def string_keys(node: Any) -> list[str]:
    """Search values of a string or HumanName: each normalized word (a search on its start is a range of keys),
    and ``=`` + each exact string."""
    if isinstance(node, dict):  # HumanName (or anything with these string parts)
        parts = [node.get("text"), node.get("family"), *node.get("given", []), *node.get("prefix", []),
                 *node.get("suffix", [])]
        return [key for part in parts if isinstance(part, str) for key in string_keys(part)]
    if not isinstance(node, str):
        return []
    return [f"={node}", *(word[:WORD_MAX] for word in words(node))]


def reference_type(reference: str) -> str | None:
    parts = reference.split("?")[0].rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[:parts.index("_history")]
    return parts[-2] if len(parts) >= 2 and TYPE_NAME.match(parts[-2]) else None


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
