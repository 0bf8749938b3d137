"""JSON Patch (RFC 6902) on plain JSON values: ``add remove replace move copy test``, all or nothing.

Written here rather than taken from the ``jsonpatch`` package: RFC 6902 is small, and its ``test`` compares JSON
values, where Python's ``==`` takes ``true`` for ``1``; the errors also name the failing operation.
"""
from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from fhirstore.errors import InvalidError, PatchFailedError

#: The members each operation needs besides ``op`` and ``path``.
OPERATIONS = {"add": ("value",), "remove": (), "replace": ("value",), "move": ("from",), "copy": ("from",),
              "test": ("value",)}
ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
MEDIA_TYPE = "application/json-patch+json"


class _Failed(Exception):
    """An operation that cannot be applied to this document."""


def apply(document: Any, patch: Any) -> Any:
    """``document`` with ``patch`` applied, as a new value (``document`` is left as it was).

    :raises InvalidError: ``patch`` is not a JSON Patch document (400).
    :raises PatchFailedError: an operation cannot be applied: a ``test`` fails, a path leads nowhere (422).
    """
    if not isinstance(patch, list):
        raise InvalidError("a JSON Patch document is a JSON array of operations")
    result = copy.deepcopy(document)
    for number, operation in enumerate(patch, 1):
        if not isinstance(operation, dict):
            raise InvalidError(f"JSON Patch operation {number} is not a JSON object")
        op = operation.get("op")
        if op not in OPERATIONS:
            raise InvalidError(f"JSON Patch operation {number}: op must be one of {', '.join(OPERATIONS)}, "
                               f"not {_shown(op)}")
        where = f"JSON Patch operation {number} ({op} {_shown(operation.get('path'))})"
        missing = [m for m in ("path", *OPERATIONS[op]) if m not in operation]
        if missing:
            raise InvalidError(f"{where}: {' and '.join(missing)} missing")
        path = _pointer(operation["path"], where)
        source = _pointer(operation["from"], where) if "from" in operation and op in ("move", "copy") else None
        try:
            result = _apply_one(result, op, path, source, operation.get("value"))
        except _Failed as failure:
            raise PatchFailedError(f"{where}: {failure}") from None
    return result


def _apply_one(document: Any, op: str, path: list[str], source: list[str] | None, value: Any) -> Any:
    if op == "add":
        return _add(document, path, copy.deepcopy(value))
    if op == "remove":
        return _remove(document, path)
    if op == "replace":
        return _replace(document, path, copy.deepcopy(value))
    if op == "test":
        if not json_equal(_get(document, path), value):
            raise _Failed("the value at the path is not the one tested")
        return document
    moved = _get(document, source)
    if op == "move":
        if path[:len(source)] == source and len(path) > len(source):
            raise _Failed("a value cannot be moved into one of its own children")
        return _add(_remove(document, source), path, moved)
    return _add(document, path, copy.deepcopy(moved))


def _pointer(text: Any, where: str) -> list[str]:
    """The reference tokens of a JSON Pointer (RFC 6901). :raises InvalidError:"""
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise InvalidError(f"{where}: a path is a JSON Pointer: empty or starting with '/'")
    tokens = text.split("/")[1:]
    if any(re.search(r"~(?![01])", token) for token in tokens):
        raise InvalidError(f"{where}: '~' in a JSON Pointer is followed by 0 or 1")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _index(container: list, token: str, allow_end: bool) -> int:
    if allow_end and token == "-":
        return len(container)
    if not ARRAY_INDEX.fullmatch(token):
        raise _Failed(f"{_shown(token)} is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise _Failed(f"index {index} is beyond the array's {len(container)} items")
    return index


def _get(document: Any, path: list[str]) -> Any:
    node = document
    for depth, token in enumerate(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, False)]
        else:
            raise _Failed(f"nothing at /{'/'.join(path[:depth + 1])}")
    return node


def _add(document: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(document, path[:-1])
    if isinstance(parent, dict):
        parent[path[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, path[-1], True), value)
    else:
        raise _Failed("the parent of the path is neither an object nor an array")
    return document


def _replace(document: Any, path: list[str], value: Any) -> Any:
    _get(document, path)
    if not path:
        return value
    parent = _get(document, path[:-1])
    parent[_index(parent, path[-1], False) if isinstance(parent, list) else path[-1]] = value
    return document


def _remove(document: Any, path: list[str]) -> Any:
    if not path:
        raise _Failed("the whole document cannot be removed")
    parent = _get(document, path[:-1])
    if isinstance(parent, dict) and path[-1] in parent:
        del parent[path[-1]]
    elif isinstance(parent, list):
        del parent[_index(parent, path[-1], False)]
    else:
        raise _Failed(f"nothing at /{'/'.join(path)}")
    return document


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: numbers by value (``1 == 1.0``), never a boolean equal to a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        return Decimal(str(a)) == Decimal(str(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _shown(value: Any) -> str:
    """A member of the patch as diagnostics may show it (short; a path, never a value)."""
    return repr(value)[:80] if isinstance(value, str) else type(value).__name__
