"""A search parameter as data: its FHIR type, the JSON paths it looks at, the helper fields that serve it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

from fhirstore import IndexSpec
from fhirstore.fields import SEARCH, path
from handlers.references import split_local

HELPER = path(SEARCH)


@dataclass(frozen=True)
class SearchParam:
    """A search parameter: its FHIR type and the JSON paths of the resource it looks at.

    ``also``: other parameters of the type whose keys this one also searches, so that it needs no copy of them.
    ``single``: FHIR allows at most one value (a plain code, a 0..1 Reference), so the helper is a scalar field of
    the document under a single-key index, as are date ranges (``lo``/``hi``). Every other parameter is *keyed*:
    each of its values is a search key (``name|value``), one document in the search key collection, found through
    its scalar indexed key, because the embedded store scans the collection for any query on an array field.
    """

    name: str
    type: str  # special | token | reference | date | string | uri
    paths: tuple[str, ...]
    description: str = ""
    targets: tuple[str, ...] = ()  # reference: the resource types it may point to
    single: bool = False
    also: tuple[str, ...] = ()  # string: parameters whose keys it searches too (``name`` → ``family``: no duplicates)

    @cached_property
    def key(self) -> str:
        """The helper's name under ``_codoc.sp`` (``part-of`` → ``part_of``: nx-27017 names indexes after fields)."""
        return self.name.replace("-", "_")

    @property
    def searched_keys(self) -> tuple[str, ...]:
        """The key names a search on this parameter looks at: its own, then those of ``also``."""
        return (self.key, *(name.replace("-", "_") for name in self.also))

    @cached_property
    def keyed(self) -> bool:
        """Served by search keys rather than a field of the document."""
        return not self.single and self.type not in ("date", "special")

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
        if self.name == "_id" or self.keyed:
            return ()
        return tuple(IndexSpec(((f, 1),)) for f in self.fields)

    @cached_property
    def _steps(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(p.split(".")) for p in self.paths)

    @cached_property
    def _roots(self) -> frozenset[str]:
        """The fields of the resource its paths start at."""
        return frozenset(steps[0] for steps in self._steps)

    @cached_property
    def _extract(self) -> Callable[[Any], Any]:
        """What gives one node's values (a date's: its range), by type."""
        index = _index()
        extract = {"token": index.token_values, "reference": self._reference_values, "string": index.string_keys,
                   "uri": _uri_values, "date": index.value_range}.get(self.type)
        if extract is None:
            raise KeyError(self.type)
        return extract

    def index_value(self, resource: dict) -> Any:
        """The helper value kept for this parameter, or None when the resource has nothing to find it by."""
        if resource.keys().isdisjoint(self._roots):  # most parameters of a resource: nothing to walk
            return None
        nodes = values_at(resource, self._steps[0])
        for steps in self._steps[1:]:
            nodes += values_at(resource, steps)
        if not nodes:
            return None
        extract = self._extract
        if self.type == "date":
            ranges = [r for r in map(extract, nodes) if r]
            return {"lo": min(r[0] for r in ranges), "hi": max(r[1] for r in ranges)} if ranges else None
        values = extract(nodes[0]) if len(nodes) == 1 else [v for n in nodes for v in extract(n)]
        if not values:
            return None
        if self.single:
            return values[0]
        return list(dict.fromkeys(values)) if len(values) > 1 else values

    def _reference_values(self, node: Any) -> list[str]:
        reference = node.get("reference") if isinstance(node, dict) else None
        if not isinstance(reference, str):
            return []
        local = split_local(reference)  # normalize_reference and reference_type in one match
        reference, kind = local or (reference, _index().reference_type(reference))
        return [reference] if not self.targets or kind is None or kind in self.targets else []


def values_at(resource: Any, steps: tuple[str, ...]) -> list:
    """Every value at a path of ``resource`` given as its steps, lists flattened at each step."""
    current: list = [resource]
    for step in steps:
        following: list = []
        for item in current:
            value = item.get(step) if isinstance(item, dict) else None
            if isinstance(value, list):
                following.extend(value)
            elif value is not None:
                following.append(value)
        if not following:
            return following
        current = following
    return current


def _uri_values(node: Any) -> list[str]:
    return [node] if isinstance(node, str) else []


_INDEX: list = []


def _index():
    """``handlers.search.index`` (which imports this module), imported on first use then kept."""
    if not _INDEX:
        from handlers.search import index

        _INDEX.append(index)
    return _INDEX[0]


#: Parameters of every type read from ``meta``: keyed like any other (a resource without them has no key).
META_PARAMS = (
    SearchParam("_profile", "uri", ("meta.profile",), "A profile the resource claims to conform to (canonical URL)"),
    SearchParam("_tag", "token", ("meta.tag",), "A tag: [system|]code"),
    SearchParam("_security", "token", ("meta.security",), "A security label: [system|]code"),
)
COMMON_PARAMS = (
    SearchParam("_id", "special", ("id",), "Logical id; several ids separated by commas"),
    SearchParam("_lastUpdated", "date", ("meta.lastUpdated",), "When the resource version last changed"),
    *META_PARAMS,
)
