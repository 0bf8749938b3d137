"""FHIRPath Patch (FHIR R4B, fhirpatch.html): a ``Parameters`` resource of ``operation`` parameters (``type``
add / insert / delete / replace / move, ``path``, ``name``, ``value``, ``index``, ``source``, ``destination``)
applied to FHIR JSON, all or nothing."""
from __future__ import annotations

import copy
from typing import Any

from fhirstore.errors import InvalidError, PatchFailedError
from handlers.patching.fhirpath import Node, PathError, evaluate, evaluate_parent, model_of
from schemas.strict import elements

#: The parts each operation type needs besides ``type`` and ``path``.
OPERATIONS = {"add": ("name", "value"), "insert": ("value", "index"), "delete": (), "replace": ("value",),
              "move": ("source", "destination")}
PARTS = {"type": "valueCode", "path": "valueString", "name": "valueString", "index": "valueInteger",
         "source": "valueInteger", "destination": "valueInteger", "value": None}


class _Failed(Exception):
    """An operation that cannot be applied to this resource."""


def apply(resource: dict, parameters: Any) -> dict:
    """``resource`` with the patch applied, as a new resource (``resource`` is left as it was); elements left
    empty by a deletion are dropped.

    :raises InvalidError: ``parameters`` is not a FHIRPath Patch (400).
    :raises PatchFailedError: an operation cannot be applied: a path to nothing, an index out of range (422).
    """
    result = copy.deepcopy(resource)
    for number, operation in enumerate(_operations(parameters), 1):
        where = f"FHIRPath Patch operation {number} ({operation['type']} {operation['path'][:80]})"
        try:
            APPLY[operation["type"]](result, operation)
        except PathError as error:
            raise InvalidError(f"{where}: {error}", expression=f"Parameters.parameter[{number - 1}]") from None
        except _Failed as failure:
            raise PatchFailedError(f"{where}: {failure}", expression=f"Parameters.parameter[{number - 1}]") \
                from None
    return _pruned(result)


def _operations(parameters: Any) -> list[dict]:
    """The operations of the Parameters, as ``{part name: value}`` (``value``: the part itself).

    :raises InvalidError:"""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise InvalidError("a FHIRPath Patch is a Parameters resource")
    operations = []
    for number, parameter in enumerate(_listed(parameters, "parameter", "the Parameters"), 1):
        where = f"FHIRPath Patch operation {number}"
        if not isinstance(parameter, dict) or parameter.get("name") != "operation":
            raise InvalidError(f"{where}: every parameter of a FHIRPath Patch is named 'operation'")
        operation: dict[str, Any] = {}
        for part in _listed(parameter, "part", where):
            name = part.get("name") if isinstance(part, dict) else None
            if name not in PARTS or name in operation:
                raise InvalidError(f"{where}: unknown or repeated part {name!r}")
            operation[name] = part if PARTS[name] is None else part.get(PARTS[name])
            if operation[name] is None:
                raise InvalidError(f"{where}: the part {name!r} needs a {PARTS[name]}")
        kind = operation.get("type")
        if kind not in OPERATIONS:
            raise InvalidError(f"{where}: type must be one of {', '.join(OPERATIONS)}")
        missing = [p for p in ("path", *OPERATIONS[kind]) if p not in operation]
        if missing:
            raise InvalidError(f"{where} ({kind}): {' and '.join(missing)} missing")
        if not isinstance(operation["path"], str) or not isinstance(operation.get("name", ""), str):
            raise InvalidError(f"{where} ({kind}): path and name are strings")
        operations.append(operation)
    return operations


def _listed(node: dict, key: str, where: str) -> list:
    value = node.get(key, [])
    if not isinstance(value, list):
        raise InvalidError(f"{where}: {key} is an array")
    return value


def _value(part: dict, model: type | None) -> tuple[Any, str | None]:
    """The JSON value of a ``value`` part and its type's suffix (``valueDate`` → ``Date``); nested ``part``s make
    an anonymous complex value of ``model``. :raises PathError:"""
    if "resource" in part:
        return copy.deepcopy(part["resource"]), None
    typed = [k for k in part if k.startswith("value") and k[5:6].isupper()]
    if len(typed) == 1:
        return copy.deepcopy(part[typed[0]]), typed[0][5:]
    if typed or not isinstance(part.get("part"), list):
        raise PathError(f"the part {part.get('name')!r} needs one value[x], a resource or parts")
    table = elements(model) if model else {}
    value: dict[str, Any] = {}
    for sub in part["part"]:
        if not isinstance(sub, dict) or not isinstance(sub.get("name"), str):
            raise PathError("every part of a complex value has a name")
        element = table.get(sub["name"])
        item, suffix = _value(sub, element.model if element is not None and element.kind == "element" else None)
        key, element = _key(table, sub["name"], suffix)
        if element is not None and element.many or key in value:
            held = value.setdefault(key, [])
            value[key] = (held if isinstance(held, list) else [held]) + [item]
        else:
            value[key] = item
    return value, None


def _key(table: dict, name: str, suffix: str | None):
    """The JSON key and element of ``name`` given its value's type (``deceased`` + ``Boolean``)."""
    if name in table or not suffix or f"{name}{suffix}" not in table:
        return name, table.get(name)
    return f"{name}{suffix}", table[f"{name}{suffix}"]


def _one(resource: dict, path: str, doing: str) -> Node:
    nodes = evaluate(resource, path)
    if not nodes:
        raise _Failed(f"no content found at {path} when {doing}")
    if len(nodes) > 1:
        raise _Failed(f"{path} matches {len(nodes)} elements, {doing} needs one")
    return nodes[0]


def _list(resource: dict, path: str) -> tuple[dict, str, list, type | None]:
    """The object holding the list ``path`` names, its key, the list (maybe new) and its items' model."""
    nodes = evaluate(resource, path)
    if nodes:
        if nodes[0].index is None or any(n.parent is not nodes[0].parent or n.key != nodes[0].key for n in nodes):
            raise _Failed(f"{path} is not one list")
        return nodes[0].parent, nodes[0].key, nodes[0].parent[nodes[0].key], nodes[0].model
    holders, name = evaluate_parent(resource, path)
    if len(holders) != 1 or not isinstance(holders[0].value, dict):
        raise _Failed(f"no content found at {path}")
    element = elements(holders[0].model).get(name) if holders[0].model else None
    return holders[0].value, name, [], model_of(element, None)


def _position(value: Any, upper: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
        raise _Failed(f"{what} {value!r} is outside 0..{upper}")
    return value


def _add(resource: dict, operation: dict) -> None:
    target = _one(resource, operation["path"], "adding")
    if not isinstance(target.value, dict):
        raise _Failed(f"{operation['path']} is a primitive: nothing can be added into it")
    table = elements(target.model) if target.model else {}
    element = table.get(operation["name"])
    value, suffix = _value(operation["value"], element.model if element is not None and element.kind == "element"
                           else None)
    key, element = _key(table, operation["name"], suffix)
    held = target.value.get(key)
    if element is not None and element.many or isinstance(held, list):
        target.value[key] = [*(held or []), value]
    elif held is not None:
        raise _Failed(f"{operation['name']} already has a value; replace it instead")
    else:
        target.value[key] = value


def _insert(resource: dict, operation: dict) -> None:
    holder, key, items, model = _list(resource, operation["path"])
    value, _ = _value(operation["value"], model)
    items.insert(_position(operation["index"], len(items), "index"), value)
    holder[key] = items


def _move(resource: dict, operation: dict) -> None:
    _, _, items, _ = _list(resource, operation["path"])
    if not items:
        raise _Failed(f"no content found at {operation['path']} when moving")
    item = items.pop(_position(operation["source"], len(items) - 1, "source"))
    items.insert(_position(operation["destination"], len(items), "destination"), item)


def _delete(resource: dict, operation: dict) -> None:
    nodes = evaluate(resource, operation["path"])
    if not nodes:
        return  # "delete (if found)"
    node = _one(resource, operation["path"], "deleting")
    if node.parent is None:
        raise _Failed("the resource itself cannot be deleted by a patch")
    companion = node.parent.get(f"_{node.key}")  # the id and extensions of a primitive
    if node.index is None:
        del node.parent[node.key]
        node.parent.pop(f"_{node.key}", None)
        return
    del node.parent[node.key][node.index]
    if isinstance(companion, list) and len(companion) > node.index:
        del companion[node.index]


def _replace(resource: dict, operation: dict) -> None:
    node = _one(resource, operation["path"], "replacing")
    if node.parent is None:
        raise _Failed("the resource itself cannot be replaced by a patch; use update")
    value, suffix = _value(operation["value"], node.model)
    if node.index is not None:
        node.parent[node.key][node.index] = value
        return
    key = f"{node.name}{suffix}" if node.key != node.name and suffix else node.key
    if key != node.key:  # a choice element changing type: valueString → valueQuantity
        del node.parent[node.key]
        node.parent.pop(f"_{node.key}", None)
    node.parent[key] = value


APPLY = {"add": _add, "insert": _insert, "delete": _delete, "replace": _replace, "move": _move}


def _pruned(value: Any) -> Any:
    """``value`` without the objects and arrays a deletion left empty (FHIR JSON has none)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [v for v in map(_pruned, value) if v not in ({}, [])]
    return value
