"""Encounter: a hospital stay and its intra-hospital movements (an Encounter ``partOf`` its stay)."""
from __future__ import annotations

from fhirstore.errors import BusinessRuleError, GoneError, NotFoundError
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.registry import register
from handlers.search import value_range

MAX_DEPTH = 16


def _reference(node: dict | None) -> str | None:
    return (node or {}).get("reference")


def _describe(period: dict | None) -> str:
    period = period or {}
    return f"[{period.get('start', '…')} – {period.get('end', '…')}]"


@register
class EncounterHandler(ResourceHandler):
    """A movement's period lies within its stay's period (open ends included), it is about the stay's patient, and
    ``partOf`` never makes a cycle; a stay's update may not leave one of its movements outside."""

    resource_type = name = "Encounter"

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        stay_ref = _reference(resource.get("partOf"))
        if stay_ref and stay_ref.startswith("Encounter/"):
            stay = self._stay(resource, stay_ref)
            self._fits_in(resource, stay, stay_ref)
        if previous is not None:
            self._movements_still_fit(resource)

    def _stay(self, resource: dict, stay_ref: str) -> dict:
        """The stay, after checking that walking up ``partOf`` from it never comes back. :raises BusinessRuleError:"""
        seen = {resource["id"]}
        current_id, stay = stay_ref.split("/", 1)[1], None
        for _ in range(MAX_DEPTH):
            if current_id in seen:
                raise BusinessRuleError(f"partOf {stay_ref} would make a cycle: Encounter/{resource['id']} would "
                                        f"be part of itself", expression="Encounter.partOf")
            seen.add(current_id)
            try:
                node = self.store.read("Encounter", current_id)
            except (NotFoundError, GoneError):
                if stay is None:
                    raise BusinessRuleError(f"the stay {stay_ref} is not a live Encounter",
                                            expression="Encounter.partOf") from None
                return stay
            stay = stay or node
            above = _reference(node.get("partOf"))
            if not above or not above.startswith("Encounter/"):
                return stay
            current_id = above.split("/", 1)[1]
        raise BusinessRuleError(f"the chain of partOf above {stay_ref} is deeper than {MAX_DEPTH}",
                                expression="Encounter.partOf")

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
        query = {"_codoc.sp.part_of": f"Encounter/{stay['id']}",
                 "$or": [{"_codoc.sp.date.lo": {"$lt": outer[0]}}, {"_codoc.sp.date.hi": {"$gt": outer[1]}}]}
        outside = self.store.search("Encounter", query, sort=[("id", 1)], limit=10, count_total=False).resources
        if outside:
            raise BusinessRuleError(f"the period {_describe(stay.get('period'))} would leave movement(s) outside the "
                                    f"stay: {', '.join('Encounter/' + m['id'] for m in outside)}",
                                    expression="Encounter.period")
