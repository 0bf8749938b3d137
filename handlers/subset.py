"""``_summary`` and ``_elements``: the parts of a resource a client asked for, tagged SUBSETTED as FHIR says."""
from __future__ import annotations

from functools import lru_cache

from fhir.resources.R4B import get_fhir_model_class

from fhirstore.errors import InvalidError

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
SUMMARIES = ("true", "text", "data", "count", "false")
ALWAYS = ("resourceType", "id", "meta")


@lru_cache(maxsize=None)
def summary_elements(resource_type: str) -> frozenset[str]:
    """The elements of ``resource_type`` marked as summary in the R4B definitions (from the fhir.resources models)."""
    model = get_fhir_model_class(resource_type)
    return frozenset((field.alias or name) for name, field in model.model_fields.items()
                     if (field.json_schema_extra or {}).get("summary_element_property")) | set(ALWAYS)


def requested(params: list[tuple[str, str]]) -> tuple[str | None, list[str] | None]:
    """``(_summary, _elements)`` of a request. :raises InvalidError: an unknown _summary value."""
    summary = next((v for k, v in params if k == "_summary"), None)
    if summary is not None and summary not in SUMMARIES:
        raise InvalidError(f"_summary must be one of {', '.join(SUMMARIES)}, not {summary!r}", expression="_summary")
    raw = next((v for k, v in params if k == "_elements"), None)
    elements = [e.strip() for e in raw.split(",") if e.strip()] if raw is not None else None
    return summary, elements


def subset(resource: dict, summary: str | None, elements: list[str] | None) -> dict:
    """The resource reduced as asked, with the SUBSETTED tag; itself when nothing is asked."""
    if summary in (None, "false", "count") and not elements:
        return resource
    if elements:
        keep = set(ALWAYS) | {e.split(".")[0] for e in elements}
        reduced = {k: v for k, v in resource.items() if k in keep}
    elif summary == "text":
        reduced = {k: v for k, v in resource.items() if k in (*ALWAYS, "text")}
    elif summary == "data":
        reduced = {k: v for k, v in resource.items() if k != "text"}
    else:
        wanted = summary_elements(resource["resourceType"])
        reduced = {k: v for k, v in resource.items() if k in wanted}
    meta = dict(reduced.get("meta") or {})
    meta["tag"] = [*(t for t in meta.get("tag") or [] if t.get("code") != "SUBSETTED"), SUBSETTED]
    reduced["meta"] = meta
    return reduced
