"""Encounter: a hospital stay and its intra-hospital movements (an Encounter ``partOf`` its stay)."""
from __future__ import annotations

from fhirstore.errors import BusinessRuleError
from fhirstore.fields import SEARCH, path
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.search.index import value_range

MAX_DEPTH = 16


def _reference(node: dict | None) -> str | None:
    return (node or {}).get("reference")


def _describe(period: dict | None) -> str:
    period = period or {}
    return f"[{period.get('start', '…')} – {period.get('end', '…')}]"


class EncounterHandler(ResourceHandler):
    """A movement's period lies within its stay's period (open ends included), it is about the stay's patient, and
    ``partOf`` never makes a cycle; a stay's update may not leave one of its movements outside."""

    resource_type = name = "Encounter"

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        stay_ref = _reference(resource.get("partOf"))
        if stay_ref and stay_ref.startswith("Encounter/"):
            stay = self.parent_via_part_of(resource, stay_ref, MAX_DEPTH)
            self._fits_in(resource, stay, stay_ref)
        if previous is not None:
            self._movements_still_fit(resource)

    def _fits_in(self, movement: dict, stay: dict, stay_ref: str) -> None:
        subject, stay_subject = _reference(movement.get("subject")), _reference(stay.get("subject"))
        if subject and stay_subject and subject != stay_subject:
            raise BusinessRuleError(f"a movement is about its stay's patient: {stay_ref} is about {stay_subject}, "
                                    f"not {subject}", expression="Encounter.subject")
        inner, outer = value_range(movement.get("period")), value_range(stay.get("period"))
        if inner and outer and (inner[0] < outer[0] or inner[1] > outer[1]):
            raise BusinessRuleError(f"the movement's period {_describe(movement.get('period'))} is not within its "
                                    f"stay's period {_describe(stay.get('period'))} ({stay_ref})",
                                    expression="Encounter.period")

    def _movements_still_fit(self, stay: dict) -> None:
        outer = value_range(stay.get("period"))
        if not outer:
            return
        query = {path(SEARCH, "part_of"): f"Encounter/{stay['id']}",
                 "$or": [{path(SEARCH, "date", "lo"): {"$lt": outer[0]}},
                         {path(SEARCH, "date", "hi"): {"$gt": outer[1]}}]}
        outside = self.store.search("Encounter", query, sort=[("id", 1)], limit=10, count_total=False).resources
        if outside:
            raise BusinessRuleError(f"the period {_describe(stay.get('period'))} would leave movement(s) outside the "
                                    f"stay: {', '.join('Encounter/' + m['id'] for m in outside)}",
                                    expression="Encounter.period")
