"""Running a search: the plan against the store, one page, its includes, as a searchset Bundle."""
from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import bundles
from handlers.context import RequestContext
from handlers.references import LOCAL_REFERENCE
from handlers.search.plan import REVINCLUDE_MAX, Link, SearchPlan, plan
from handlers.subset import subset

if TYPE_CHECKING:
    from handlers.base import ResourceHandler

#: Rounds of ``:iterate`` after the first, and resources includes may add to one page, beyond which the Bundle
#: carries a warning (FHIR lets a server bound them).
ITERATE_MAX, INCLUDED_MAX = 3, 1000


def run(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> dict:
    """Answer ``GET /{type}?…`` with a searchset Bundle (matches, then included resources, then warnings)."""
    search = plan(handler, params, ctx)
    store = handler.store
    fetch = 0 if search.summary_count else search.count
    counting = search.count_total or search.summary_count
    # a keyed search counts in the same call (from the key index when it can); others only when the page cannot tell
    page = store.search(handler.resource_type, search.query, sort=search.sort, offset=search.offset,
                        limit=fetch + 1, count_total=counting and bool(search.keys), keys=search.keys)
    resources, more = page.resources[:fetch], len(page.resources) > fetch
    total = -1
    if counting:
        if search.keys:
            total = page.total
        elif not more and (page.resources or search.offset == 0):
            total = search.offset + len(page.resources)  # the page tells: no count (nx-27017 counts by scanning)
        else:
            total = store.search(handler.resource_type, search.query, limit=0, keys=search.keys).total
    included, notes = _all_included(handler, search, resources)
    warnings = [*search.warnings, *notes]
    ctx.touch_resources([*resources, *included])
    resources = [subset(r, search.summary, search.elements) for r in resources]
    outcome = bundles.warnings(warnings) if warnings else None
    return bundles.searchset(ctx.base_url, handler.name, resources, total, params, search.offset, fetch,
                             included=included, outcome=outcome, more=more)


def _all_included(handler: "ResourceHandler", search: SearchPlan,
                  resources: list[dict]) -> tuple[list[dict], list[str]]:
    """What ``_include`` and ``_revinclude`` add to the page's matches, then ``:iterate`` ones to what they added, at
    most ITERATE_MAX rounds and INCLUDED_MAX resources (beyond: a warning, the rest left out)."""
    seen = {(r["resourceType"], r["id"]) for r in resources}
    included: list[dict] = []
    frontier, notes = resources, []
    for rounds in range(ITERATE_MAX + 1):
        links = [link for link in (*search.includes, *search.revincludes) if rounds == 0 or link.iterate]
        if not frontier or not links:
            break
        found = _included(handler, [k for k in links if k in search.includes], frontier, seen) + \
            _revincluded(handler, [k for k in links if k in search.revincludes], frontier, seen)
        seen.update((r["resourceType"], r["id"]) for r in found)
        if len(included) + len(found) > INCLUDED_MAX:
            notes.append(f"_include/_revinclude stopped at {INCLUDED_MAX} included resources; narrow the search")
            return included + found[:INCLUDED_MAX - len(included)], notes
        included += found
        frontier = found
    else:
        if frontier and any(link.iterate for link in (*search.includes, *search.revincludes)):
            notes.append(f":iterate stopped after {ITERATE_MAX} iterations; resources reached further may be "
                         f"left out")
    return included, notes


def _revincluded(handler: "ResourceHandler", links: list[Link], resources: list[dict],
                 seen: set[tuple[str, str]]) -> list[dict]:
    """Resources referencing ``resources`` through the ``_revinclude`` parameters: one indexed lookup of their
    reference keys, then the candidates checked against the parameter's own values."""
    if not links or not resources:
        return []
    targets = [f"{r['resourceType']}/{r['id']}" for r in resources]
    owners = handler.store.referrers(targets, REVINCLUDE_MAX)
    found, seen = [], set(seen)
    for link in links:
        referring = handler.registry.get(link.source)
        ids = sorted(o.split("/", 1)[1] for o in owners if o.startswith(f"{referring.resource_type}/"))
        for resource in handler.store.scan(referring.resource_type, {"_id": {"$in": ids}}) if ids else ():
            value = link.param.index_value(resource)
            values = [value] if isinstance(value, str) else value or []
            if (resource["resourceType"], resource["id"]) not in seen and set(values) & set(targets) \
                    and referring._matches_profile(resource):
                seen.add((resource["resourceType"], resource["id"]))
                found.append(resource)
    return found


def _included(handler: "ResourceHandler", links: list[Link], resources: list[dict],
              seen: set[tuple[str, str]]) -> list[dict]:
    """The hosted resources that ``resources`` of each link's type reference through its parameter."""
    wanted: dict[str, set[str]] = {}
    for link in links:
        source = handler.registry.get(link.source)
        for resource in resources:
            if resource["resourceType"] != source.resource_type or not source._matches_profile(resource):
                continue
            value = link.param.index_value(resource)
            for reference in [value] if isinstance(value, str) else value or []:
                match = LOCAL_REFERENCE.match(reference)
                if match and (link.target is None or match.group(1) == link.target):
                    wanted.setdefault(match.group(1), set()).add(match.group(2))
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
