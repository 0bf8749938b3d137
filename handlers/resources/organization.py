"""Organization: the hospital hierarchy instance → site → department → unit (``$hierarchy`` walks it down)."""
from __future__ import annotations

from fhirstore.errors import BusinessRuleError, ConflictError
from fhirstore.fields import SEARCH, path
from handlers.base import ResourceHandler
from handlers.context import RequestContext

LEVELS = ("instance", "site", "department", "unit")
PARENT_LEVEL = {"instance": None, "site": "instance", "department": "site", "unit": "department"}
LEVEL_PATH = "/CodeSystem/organization-level"
#: A walk up ``partOf`` longer than this is a cycle or a broken hierarchy.
MAX_DEPTH = 32
PAGE = 500
PARTOF_HELPER = path(SEARCH, "partof")


def level_system(config: dict) -> str:
    """The server's own CodeSystem of hierarchy levels."""
    return config["CODOC_CANONICAL_BASE"].rstrip("/") + LEVEL_PATH


def level_of(organization: dict, config: dict) -> str | None:
    """The level of an organization: a ``type.coding`` with one of the four codes and no system or the server's
    level system. :raises BusinessRuleError: two different levels."""
    system = level_system(config)
    found = {coding.get("code") for concept in organization.get("type") or [] for coding in concept.get("coding") or []
             if coding.get("code") in LEVELS and coding.get("system") in (None, system)}
    if len(found) > 1:
        raise BusinessRuleError(f"an organization has one hierarchy level, not {', '.join(sorted(found))}",
                                expression="Organization.type")
    return found.pop() if found else None


def _parent_reference(organization: dict) -> str | None:
    return (organization.get("partOf") or {}).get("reference")


class OrganizationHandler(ResourceHandler):
    """An instance has no ``partOf``; a site's parent is an instance, a department's a site, a unit's a department.

    Organizations without a level (a lab, a GP practice, a payer) are unconstrained, but a leveled organization's
    parent must be leveled. ``partOf`` never makes a cycle. An organization with children cannot be deleted.
    """

    resource_type = name = "Organization"

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        level = level_of(resource, self.config)
        parent_ref = _parent_reference(resource)
        if parent_ref is not None:
            parent = self._parent(resource, parent_ref, level)
        else:
            parent = None
        if level == "instance" and parent_ref is not None:
            raise BusinessRuleError("an instance is the top of the hierarchy: it has no partOf",
                                    expression="Organization.partOf")
        if level in LEVELS[1:]:
            expected = PARENT_LEVEL[level]
            if parent_ref is None:
                raise BusinessRuleError(f"a {level} must be partOf an Organization of level {expected}",
                                        expression="Organization.partOf")
            parent_level = level_of(parent, self.config) if parent else None
            if parent_level != expected:
                raise BusinessRuleError(f"a {level}'s parent must be of level {expected}, but {parent_ref} is "
                                        f"{'of level ' + parent_level if parent_level else 'not leveled'}",
                                        expression="Organization.partOf")
        if previous is not None:
            self._children_still_fit(resource, level)

    def _parent(self, resource: dict, parent_ref: str, level: str | None) -> dict | None:
        """The parent, after checking that walking up from it never comes back. :raises BusinessRuleError:"""
        kind, _, parent_id = parent_ref.partition("/")
        if kind != "Organization" or not parent_id or "/" in parent_id:
            if level is None:
                return None  # unleveled: an external parent is the client's business
            raise BusinessRuleError(f"a {level}'s partOf must be a local Organization/{{id}}, not {parent_ref!r}",
                                    expression="Organization.partOf")
        return self.parent_via_part_of(resource, parent_ref, MAX_DEPTH)

    def _children_still_fit(self, resource: dict, level: str | None) -> None:
        """An update must not strand the leveled children (e.g. a site with departments turned into a unit)."""
        page = self.store.search("Organization", {PARTOF_HELPER: f"Organization/{resource['id']}"},
                                 sort=[("id", 1)], limit=PAGE, count_total=False)
        misfits = []
        for child in page.resources:
            child_level = level_of(child, self.config)
            if child_level is not None and PARENT_LEVEL[child_level] != level:
                misfits.append(f"Organization/{child['id']} ({child_level})")
        if misfits:
            raise BusinessRuleError(f"Organization/{resource['id']} as {level or 'unleveled'} would no longer fit "
                                    f"its children: {', '.join(misfits[:10])}", expression="Organization.type")

    def before_delete(self, current: dict, ctx: RequestContext) -> None:
        children = self.children([current["id"]], limit=10)
        if children:
            raise ConflictError(f"Organization/{current['id']} still has children: "
                                f"{', '.join('Organization/' + c['id'] for c in children)}; delete or move them first")

    def children(self, parent_ids: list[str], limit: int = PAGE) -> list[dict]:
        """The first ``limit`` children of these organizations, in id order."""
        children = []
        for child in self.store.scan("Organization", self.children_query(parent_ids), batch=min(limit, PAGE)):
            children.append(child)
            if len(children) >= limit:
                break
        return children

    @staticmethod
    def children_query(parent_ids: list[str]) -> dict:
        references = [f"Organization/{i}" for i in parent_ids]
        return {PARTOF_HELPER: references[0] if len(references) == 1 else {"$in": references}}
