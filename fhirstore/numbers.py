"""JSON numbers kept as written, and how the store keeps them: a decimal that float64 would change (``1.50``,
``1e-400``, 50 digits) is stored as its text, its place listed under ``_codoc.num``, and read back as a number."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson


class ExactDecimal(Decimal):
    """A JSON number with the text it was written with (``str`` gives that text back, digit for digit)."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> "ExactDecimal":
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ExactDecimal({self.text!r})"

    def __copy__(self) -> "ExactDecimal":
        return self

    def __deepcopy__(self, memo: dict) -> "ExactDecimal":
        return self

    def __reduce__(self):
        return ExactDecimal, (self.text,)


def encode_numbers(node: Any) -> tuple[Any, list[str]]:
    """``node`` with every Decimal replaced by its text, and the dotted paths of those (list indexes as digits).

    Returns ``node`` itself when it holds no Decimal (the usual case: nothing is copied).
    """
    paths: list[str] = []
    encoded = _encode(node, "", paths) if isinstance(node, (dict, list)) and _holds_decimal(node) else node
    return encoded, paths


def _holds_decimal(node: Any) -> bool:
    """Whether a Decimal is anywhere in ``node``: orjson serialises everything else a document holds and refuses a
    Decimal, in C (a twelfth of the walk's time on a Phenotype); whatever it refuses is walked."""
    try:
        orjson.dumps(node)
    except TypeError:
        return _walk_holds_decimal(node)
    return False


def _walk_holds_decimal(node: Any) -> bool:
    """Whether a Decimal is anywhere in ``node`` (a walk that builds no path)."""
    for value in node.values() if isinstance(node, dict) else node:
        if type(value) in _LEAVES:
            continue
        if isinstance(value, Decimal) or isinstance(value, (dict, list)) and _walk_holds_decimal(value):
            return True
    return False


_LEAVES = frozenset({str, int, bool, float, type(None)})


def _encode(node: Any, prefix: str, paths: list[str]) -> Any:
    """``node`` with Decimals as text (a copy only where something changed); ``prefix`` is "" or ends with "."."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    copy = None
    for key, value in items:
        if isinstance(value, Decimal):
            paths.append(f"{prefix}{key}")
            new = str(value)
        elif isinstance(value, (dict, list)):
            new = _encode(value, f"{prefix}{key}.", paths)
            if new is value:
                continue
        else:
            continue
        if copy is None:
            copy = dict(node) if isinstance(node, dict) else list(node)
        copy[key] = new
    return node if copy is None else copy


def decode_numbers(document: dict, paths: list[str]) -> dict:
    """Turn the texts at ``paths`` (from :func:`encode_numbers`) back into numbers, in place; returns ``document``."""
    for path in paths:
        parts = path.split(".")
        parent: Any = document
        try:
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            last = int(parts[-1]) if isinstance(parent, list) else parts[-1]
            if isinstance(parent[last], str):
                parent[last] = ExactDecimal(parent[last])
        except (KeyError, IndexError, ValueError, TypeError):  # a path that no longer fits: leave the value alone
            continue
    return document
