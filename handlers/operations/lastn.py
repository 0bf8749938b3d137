"""``Observation/$lastn``: the last n Observations per code (FHIR R4), e.g. a patient's latest creatinine and HbA1c."""
from __future__ import annotations

from typing import Any

from fhirstore.errors import InvalidError
from handlers import bundles
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.operations.parameters import named_values
from handlers.search.index import token_values
from handlers.search.plan import plan

#: Most Observations one $lastn looks at (they are sorted by date in memory).
MAX_CANDIDATES = 10_000


def lastn(handler: ResourceHandler, ctx: RequestContext, payload: Any, resource_id=None) -> dict:
    """The ``max`` (default 1) most recent Observations of each code, for ``patient`` or ``subject`` (required),
    optionally narrowed by ``category`` and ``code``; newest first within each code."""
    wanted = {name: str(value) for name, value in named_values(payload, "lastn").items()}
    raw_max = wanted.pop("max", "1")
    if not (raw_max.isascii() and raw_max.isdigit() and int(raw_max) > 0):
        raise InvalidError(f"max must be a whole number ≥ 1, not {raw_max!r}", expression="max")
    if not ({"patient", "subject"} & set(wanted)):
        raise InvalidError("$lastn needs patient= or subject=", expression="patient")
    unknown = set(wanted) - {"patient", "subject", "category", "code"}
    if unknown:
        raise InvalidError(f"$lastn does not take {', '.join(sorted(unknown))}", expression=sorted(unknown)[0])
    criteria = sorted(wanted.items())
    selection = plan(handler, criteria, ctx)
    found = []
    for resource in handler.store.scan(handler.resource_type, selection.query, keys=selection.keys):
        found.append(resource)
        if len(found) >= MAX_CANDIDATES:
            break
    found.sort(key=lambda r: r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start")
               or r.get("effectiveInstant") or r.get("issued") or "", reverse=True)
    kept, per_code = [], {}
    for resource in found:
        code = next((t for t in token_values(resource.get("code") or {}) if "|" in t and not t.endswith("|")),
                    (resource.get("code") or {}).get("text", ""))
        if per_code.get(code, 0) < int(raw_max):
            per_code[code] = per_code.get(code, 0) + 1
            kept.append(resource)
    ctx.touch_resources(kept)
    return bundles.bundle("searchset", bundles.match_entries(ctx.base_url, kept), len(kept), [
        {"relation": "self", "url": f"{ctx.base_url}/Observation/$lastn"}])


OPERATION = Operation("lastn", "Observation", "type", "GET|POST", lastn, letters="rs")
