"""The FHIRPath of patch paths, restricted: element names, ``[n]``, ``where(a = 'x' and b != 1)``, ``first()``,
``last()``, ``ofType(T)`` and ``$this``, evaluated on FHIR JSON.

Every result knows where it sits (the object holding it, its key, its index), so that a patch can change it in
place, and its fhir.resources model, so that a patch knows which elements repeat.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers.patching.json_patch import json_equal
from schemas.strict import elements, resource_model

TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?)"
                   r"|(?P<name>\$this|[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)|(?P<symbol>!=|[.\[\](),=]))")
LITERALS = {"true": True, "false": False}
MAX_PATH_CHARS = 1000


class PathError(ValueError):
    """The path is not FHIRPath, or uses more of FHIRPath than is served here."""


@dataclass
class Node:
    """One value a path selects, and where it sits."""

    value: Any
    parent: dict | None = None  # the object holding it (None: the resource itself)
    key: str | None = None  # its JSON key in ``parent`` (``valueQuantity``)
    index: int | None = None  # its position when the key holds an array
    model: type | None = None  # the fhir.resources model of a complex value
    name: str | None = None  # its FHIRPath name (``value``)


def root(resource: dict) -> Node:
    return Node(resource, model=resource_model(resource.get("resourceType")), name=resource.get("resourceType"))


def evaluate(resource: dict, path: str) -> list[Node]:
    """The nodes ``path`` selects in ``resource``. :raises PathError:"""
    return _run(_parsed(path), [root(resource)], top=True)


def _parsed(path: Any) -> list[tuple]:
    if isinstance(path, str) and len(path) > MAX_PATH_CHARS:
        raise PathError(f"a patch path has at most {MAX_PATH_CHARS} characters")
    try:
        return _Parser(path).whole()
    except RecursionError:
        raise PathError("the path nests too deeply") from None


def evaluate_parent(resource: dict, path: str) -> tuple[list[Node], str]:
    """The nodes of ``path`` without its last step, and that step's element name (``Patient.identifier`` →
    the Patient, ``identifier``). :raises PathError: the last step is not an element name."""
    steps = _parsed(path)
    if not steps or steps[-1][0] != "name" or len(steps) == 1 and _is_type_name(steps[0][1]):
        raise PathError(f"{path} does not end with an element name")
    return _run(steps[:-1], [root(resource)], top=True), steps[-1][1]


def children(node: Node, name: str) -> list[Node]:
    """The values of the element ``name`` of ``node`` (``value`` finds ``valueQuantity``, a choice)."""
    if not isinstance(node.value, dict):
        return []
    table = elements(node.model) if node.model else {}
    if name in node.value or name in table:
        keys = [name]
    else:
        keys = [k for k in node.value if k.startswith(name) and k[len(name):len(name) + 1].isupper()
                and (not table or k in table)]
    found = []
    for key in keys:
        value = node.value.get(key)
        if value is None:
            continue
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        found.extend(Node(item, node.value, key, index, model_of(table.get(key), item), name) for index, item in items)
    return found


def model_of(element, value: Any) -> type | None:
    """The model of a value of ``element`` (``schemas.strict.Element``; None: unknown, read the JSON)."""
    if element is not None and element.kind == "element":
        return element.model
    if isinstance(value, dict) and (element is None or element.kind == "resource"):
        return resource_model(value.get("resourceType"))
    return None


def _is_type_name(name: str) -> bool:
    return name[:1].isupper()


def _run(steps: list[tuple], nodes: list[Node], top: bool = False) -> list[Node]:
    for position, step in enumerate(steps):
        kind = step[0]
        if kind == "name":
            name = step[1]
            if name == "$this":
                continue
            if top and position == 0 and len(nodes) == 1 and nodes[0].parent is None and _is_type_name(name):
                if name != nodes[0].value.get("resourceType"):
                    raise PathError(f"the path starts with {name}, not with the resource's type")
                continue
            nodes = [child for node in nodes for child in children(node, name)]
        elif kind == "index":
            nodes = nodes[step[1]:step[1] + 1]
        else:
            nodes = _call(step[1], step[2], nodes)
    return nodes


def _call(function: str, arguments: list, nodes: list[Node]) -> list[Node]:
    if function in ("first", "last") and not arguments:
        return nodes[:1] if function == "first" else nodes[-1:]
    if function == "ofType" and len(arguments) == 1 and arguments[0][0] == "path" and len(arguments[0][1]) == 1:
        wanted = arguments[0][1][0][1]
        return [n for n in nodes if n.key == f"{n.name}{wanted[:1].upper()}{wanted[1:]}"
                or n.model is not None and n.model.__name__ == wanted
                or isinstance(n.value, dict) and n.value.get("resourceType") == wanted]
    if function == "where" and len(arguments) == 1:
        return [n for n in nodes if _true(arguments[0], n)]
    raise PathError(f"{function}() with {len(arguments)} argument(s) is not served in patch paths")


def _true(expression: tuple, node: Node) -> bool:
    kind = expression[0]
    if kind == "and":
        return _true(expression[1], node) and _true(expression[2], node)
    if kind == "or":
        return _true(expression[1], node) or _true(expression[2], node)
    if kind == "compare":
        left, right = _values(expression[2], node), _values(expression[3], node)
        same = len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right))
        return bool(left and right) and (same if expression[1] == "=" else not same)
    return any(v is True for v in _values(expression, node))


def _values(operand: tuple, node: Node) -> list:
    if operand[0] == "literal":
        return [operand[1]]
    return [n.value for n in _run(operand[1], [node])]


class _Parser:
    """Recursive descent over the tokens of one path."""

    def __init__(self, text: Any):
        if not isinstance(text, str) or not text.strip():
            raise PathError("a path is a non-empty FHIRPath string")
        self.text, self.tokens, position = text, [], 0
        while position < len(text):
            match = TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip():
                    raise PathError(f"unexpected {text[position:position + 10]!r} in the path {text[:80]!r}")
                break
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self.at = 0

    def whole(self) -> list[tuple]:
        steps = self.path()
        if self.at != len(self.tokens):
            raise PathError(f"unexpected {self.tokens[self.at][1]!r} in the path {self.text[:80]!r}")
        return steps

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token = self.peek()
        if token is None or (value is not None and token[1] != value) or (kind is not None and token[0] != kind):
            raise PathError(f"expected {value or kind} in the path {self.text[:80]!r}")
        self.at += 1
        return token[1]

    def path(self) -> list[tuple]:
        steps = [self.step()]
        while self.peek() in (("symbol", "."), ("symbol", "[")):
            if self.take() == ".":
                steps.append(self.step())
            else:
                number = self.take(kind="number")
                if not number.isdigit():
                    raise PathError(f"an index is a whole number, not {number} in the path {self.text[:80]!r}")
                steps.append(("index", int(number)))
                self.take("]")
        return steps

    def step(self) -> tuple:
        name = self.take(kind="name").strip("`")
        if self.peek() != ("symbol", "("):
            return ("name", name)
        self.take("(")
        arguments = []
        while self.peek() != ("symbol", ")"):
            arguments.append(self.expression())
            if self.peek() == ("symbol", ","):
                self.take(",")
        self.take(")")
        return ("call", name, arguments)

    def expression(self) -> tuple:
        return self.joined("or", lambda: self.joined("and", self.comparison))

    def joined(self, word: str, operand) -> tuple:
        """``operand (word operand)*``, left-associative."""
        left = operand()
        while self.peek() == ("name", word):
            self.take()
            left = (word, left, operand())
        return left

    def comparison(self) -> tuple:
        left = self.operand()
        if self.peek() in (("symbol", "="), ("symbol", "!=")):
            return ("compare", self.take(), left, self.operand())
        return left

    def operand(self) -> tuple:
        token = self.peek()
        if token is None:
            raise PathError(f"the path {self.text[:80]!r} ends too early")
        if token[0] == "string":
            self.take()
            return ("literal", re.sub(r"\\(.)", r"\1", token[1][1:-1]))
        if token[0] == "number":
            self.take()
            return ("literal", float(token[1]) if "." in token[1] else int(token[1]))
        if token[0] == "name" and token[1] in LITERALS:
            self.take()
            return ("literal", LITERALS[token[1]])
        return ("path", self.path())
