"""``Organization/{id}/$hierarchy``: an organization and all its descendants."""
from __future__ import annotations

from handlers import bundles
from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.resources.organization import PAGE, OrganizationHandler

#: Most organizations ``$hierarchy`` returns.
MAX_SUBTREE = 5000


def hierarchy(handler: OrganizationHandler, ctx: RequestContext, payload, resource_id: str):
    """The organization and all its descendants (breadth first) as a collection Bundle."""
    root = handler.read(resource_id, ctx)
    found = [root]
    seen = {root["id"]}
    frontier = [root["id"]]
    while frontier and len(found) < MAX_SUBTREE:
        level_ids, frontier = frontier, []
        for start in range(0, len(level_ids), PAGE):
            for child in handler.store.scan("Organization", handler.children_query(level_ids[start:start + PAGE])):
                if child["id"] not in seen:
                    seen.add(child["id"])
                    found.append(child)
                    frontier.append(child["id"])
    found = found[:MAX_SUBTREE]
    ctx.touch_resources(found)
    return bundles.bundle("collection", [{"fullUrl": bundles.full_url(ctx.base_url, r), "resource": r}
                                         for r in found])


OPERATION = Operation("hierarchy", "Organization", "instance", "GET", hierarchy, letters="rs")
