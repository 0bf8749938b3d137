"""Strict FHIR JSON parsing of a request body, with the limits on what one body may hold.

Refused here, before any validation: bytes that are not UTF-8, malformed JSON, ``NaN``/``Infinity``, duplicate
keys in an object, strings holding control characters (other than tab, CR, LF) or lone surrogates (400); nesting
deeper than ``max_depth``, arrays longer than ``max_array_items``, ``Bundle.entry`` longer than
``max_bundle_entries`` (413). Numbers keep their precision: a decimal that float64 would change (``1.50``,
``1e-400``, 50 digits) is an :class:`~fhirstore.numbers.ExactDecimal` holding its text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

import orjson

from fhirstore.errors import InvalidError, Issue, PayloadTooLargeError
from fhirstore.numbers import ExactDecimal

#: Characters FHIR strings must not hold: control characters but tab, LF, CR; lone UTF-16 surrogates.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
#: In the raw body, the only ways to write them (JSON refuses them unescaped): when absent, no string needs a look.
ESCAPED_SUSPECTS = re.compile(rb"\\u(?:00[01]|[dD][89a-fA-F])|\\[bf]")


@dataclass(frozen=True)
class Limits:
    """What one request body may hold (``CODOC_MAX_JSON_DEPTH``, ``CODOC_MAX_ARRAY_ITEMS``,
    ``CODOC_MAX_BUNDLE_ENTRIES``)."""

    max_depth: int = 64
    max_array_items: int = 10_000
    max_bundle_entries: int = 10_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Limits":
        return cls(int(config.get("CODOC_MAX_JSON_DEPTH", cls.max_depth)),
                   int(config.get("CODOC_MAX_ARRAY_ITEMS", cls.max_array_items)),
                   int(config.get("CODOC_MAX_BUNDLE_ENTRIES", cls.max_bundle_entries)))


class _DuplicateKeyError(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict:
    node = dict(pairs)
    if len(node) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKeyError(key)
    return node


def _decimal(text: str) -> float | ExactDecimal:
    """A float when float64 gives the same text back (``1.5``: the fast path), else the number as written."""
    value = float(text)
    return value if orjson.dumps(value) == text.encode() else ExactDecimal(text)


def _integer(text: str) -> int | ExactDecimal:
    """An int when it surely fits in int64 (what BSON stores), else the number as written."""
    return int(text) if len(text) <= 18 else ExactDecimal(text)


def _constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_decimal, parse_int=_integer,
                            parse_constant=_constant)


def parse_body(raw: bytes, limits: Limits = Limits()) -> Any:
    """The JSON value of a request body, as strict FHIR JSON reads it.

    :raises InvalidError: not UTF-8, not JSON, duplicate key, forbidden character (with the FHIRPath where known).
    :raises PayloadTooLargeError: deeper, or with longer arrays, than ``limits`` allow.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidError(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidError(f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") \
            from None
    except _DuplicateKeyError as exc:
        raise InvalidError(f"the body is not valid FHIR JSON: the key {_shown(str(exc))} appears twice in one "
                           f"object") from None
    except RecursionError:
        raise _too_deep(limits) from None
    except ValueError as exc:  # NaN / Infinity
        raise InvalidError(f"the body is not valid FHIR JSON: {exc}") from None
    strings = ESCAPED_SUSPECTS.search(raw) is not None
    if strings or (isinstance(value, (dict, list)) and not _within(
            value, 1, limits.max_depth, min(limits.max_array_items, limits.max_bundle_entries))):
        root = value.get("resourceType") if isinstance(value, dict) else None
        _Checker(limits, root if isinstance(root, str) and root.isalpha() else "$", strings).check(value, 1, [])
    return value


def _within(node: dict | list, depth: int, max_depth: int, max_items: int) -> bool:
    """The fast look: no nesting deeper than ``max_depth``, no array longer than ``max_items``."""
    if depth > max_depth:
        return False
    if type(node) is dict:
        values = node.values()
    elif len(node) > max_items:
        return False
    else:
        values = node
    for value in values:
        kind = type(value)
        if (kind is dict or kind is list) and not _within(value, depth + 1, max_depth, max_items):
            return False
    return True


class _Checker:
    """The careful walk over a parsed body (when the fast look finds something): depth, array lengths, and
    (``strings``) the characters of keys and strings; raises at the first problem, naming where it is."""

    def __init__(self, limits: Limits, root: str, strings: bool = True):
        self.limits, self.root, self.strings = limits, root, strings

    def check(self, node: Any, depth: int, path: list) -> None:
        if depth > self.limits.max_depth:
            raise _too_deep(self.limits, self.expression(path))
        if isinstance(node, dict):
            bundle = node.get("resourceType") == "Bundle"
            for key, value in node.items():
                if self.strings and FORBIDDEN_CHARACTERS.search(key):
                    raise self.bad_characters(path, "a key")
                path.append(key)
                if isinstance(value, str):
                    if self.strings and FORBIDDEN_CHARACTERS.search(value):
                        raise self.bad_characters(path, "a string")
                elif isinstance(value, list):
                    self.check_array(value, depth + 1, path, bundle and key == "entry")
                elif isinstance(value, dict):
                    self.check(value, depth + 1, path)
                path.pop()
        elif isinstance(node, list):
            self.check_array(node, depth, path, False)
        elif isinstance(node, str) and self.strings and FORBIDDEN_CHARACTERS.search(node):
            raise self.bad_characters(path, "a string")

    def check_array(self, items: list, depth: int, path: list, entries: bool) -> None:
        if depth > self.limits.max_depth:
            raise _too_deep(self.limits, self.expression(path))
        limit = self.limits.max_bundle_entries if entries else self.limits.max_array_items
        if len(items) > limit:
            expression = self.expression(path)
            what = "Bundle.entry" if entries else "an array"
            raise PayloadTooLargeError(f"{expression}: {what} may hold at most {limit} items, not {len(items)}",
                                       issues=[Issue("too-long", f"{expression}: {what} may hold at most {limit} "
                                                     f"items, not {len(items)}", expression=expression)])
        for index, item in enumerate(items):
            if isinstance(item, (dict, list)):
                path.append(index)
                self.check(item, depth + 1, path)
                path.pop()
            elif isinstance(item, str) and self.strings and FORBIDDEN_CHARACTERS.search(item):
                path.append(index)
                raise self.bad_characters(path, "a string")

    def expression(self, path: list) -> str:
        text = self.root
        for part in path:
            text += f"[{part}]" if isinstance(part, int) else f".{_shown(part, quoted=False)}"
        return text

    def bad_characters(self, path: list, what: str) -> InvalidError:
        expression = self.expression(path)
        message = (f"{expression}: {what} holds a control character (only tab, CR and LF are allowed) or a lone "
                   f"surrogate")
        return InvalidError(message, issues=[Issue("value", message, expression=expression)])


def _too_deep(limits: Limits, expression: str | None = None) -> PayloadTooLargeError:
    message = f"the body nests deeper than {limits.max_depth} levels of objects and arrays"
    if expression:
        message = f"{expression}: {message}"
    return PayloadTooLargeError(message, issues=[Issue("too-long", message, expression=expression)])


def _shown(key: str, quoted: bool = True) -> str:
    """A key as it may appear in a message: printable, at most 64 characters."""
    safe = FORBIDDEN_CHARACTERS.sub("\ufffd", key)[:64]
    return repr(safe) if quoted else safe


def loads_answer(raw: bytes) -> Any:
    """A JSON answer this server wrote, decimals as written (orjson refuses ``1e400``); ``{}`` when not JSON."""
    try:
        return json.loads(raw, parse_float=ExactDecimal, parse_int=_integer)
    except ValueError:
        return {}


def json_default(value: Any) -> Any:
    """orjson's fallback for what it cannot write itself: decimals, written with the digits they were given."""
    from decimal import Decimal

    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
