"""Running a search: the plan against the store, one page, its includes, as a searchset Bundle."""
from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import bundles
from handlers.context import RequestContext
from handlers.references import LOCAL_REFERENCE
from handlers.search.params import SearchParam
from handlers.search.plan import REVINCLUDE_MAX, plan
from handlers.subset import subset

if TYPE_CHECKING:
    from handlers.base import ResourceHandler


def run(handler: "ResourceHandler", params: list[tuple[str, str]], ctx: RequestContext) -> dict:
    """Answer ``GET /{type}?…`` with a searchset Bundle (matches, then included resources, then warnings)."""
    search = plan(handler, params, ctx)
    store = handler.store
    fetch = 0 if search.summary_count else search.count
    page = store.search(handler.resource_type, search.query, sort=search.sort, offset=search.offset,
                        limit=fetch + 1, count_total=False, keys=search.keys)
    resources, more = page.resources[:fetch], len(page.resources) > fetch
    total = -1
    if search.count_total or search.summary_count:
        if not more and (page.resources or search.offset == 0):
            total = search.offset + len(page.resources)  # the page tells: no count (nx-27017 counts by scanning)
        else:
            total = store.search(handler.resource_type, search.query, limit=1, keys=search.keys).total
    included = _included(handler, search.includes, resources) + _revincluded(handler, search.revincludes, resources)
    ctx.touch_resources([*resources, *included])
    resources = [subset(r, search.summary, search.elements) for r in resources]
    outcome = bundles.warnings(search.warnings) if search.warnings else None
    return bundles.searchset(ctx.base_url, handler.name, resources, total, params, search.offset, fetch,
                             included=included, outcome=outcome, more=more)


def _revincluded(handler: "ResourceHandler", revincludes: list[tuple[str, SearchParam]],
                 resources: list[dict]) -> list[dict]:
    """Resources referencing the page's matches through the ``_revinclude`` parameters: one indexed lookup of the
    matches' reference keys, then the candidates checked against the parameter's own values."""
    if not revincludes or not resources:
        return []
    targets = [f"{r['resourceType']}/{r['id']}" for r in resources]
    owners = handler.store.referrers(targets, REVINCLUDE_MAX)
    found, seen = [], {(r["resourceType"], r["id"]) for r in resources}
    for name, param in revincludes:
        referring = handler.registry.get(name)
        ids = sorted(o.split("/", 1)[1] for o in owners if o.startswith(f"{referring.resource_type}/"))
        for resource in handler.store.scan(referring.resource_type, {"_id": {"$in": ids}}) if ids else ():
            value = param.index_value(resource)
            values = [value] if isinstance(value, str) else value or []
            if (resource["resourceType"], resource["id"]) not in seen and set(values) & set(targets) \
                    and referring._matches_profile(resource):
                seen.add((resource["resourceType"], resource["id"]))
                found.append(resource)
    return found


def _included(handler: "ResourceHandler", includes: list[tuple[SearchParam, str | None]],
              resources: list[dict]) -> list[dict]:
    """The hosted resources that the page's matches reference through the ``_include`` parameters."""
    wanted: dict[str, set[str]] = {}
    for param, target in includes:
        for resource in resources:
            value = param.index_value(resource)
            for reference in [value] if isinstance(value, str) else value or []:
                match = LOCAL_REFERENCE.match(reference)
                if match and (target is None or match.group(1) == target):
                    wanted.setdefault(match.group(1), set()).add(match.group(2))
    seen = {(r["resourceType"], r["id"]) for r in resources}
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
