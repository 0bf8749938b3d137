"""Bundles and OperationOutcomes as plain FHIR JSON."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fhirstore.mongo import now_instant


def full_url(base_url: str, resource: dict) -> str:
    return f"{base_url}/{resource['resourceType']}/{resource['id']}"


def searchset(base_url: str, resource_type: str, resources: list[dict], total: int, params: list[tuple[str, str]],
              offset: int, count: int, included: list[dict] = (), outcome: dict | None = None,
              more: bool | None = None) -> dict:
    """A ``searchset`` Bundle with ``self``/``next``/``previous`` links (offset paging).

    ``more``: whether matches follow this page, when the caller knows; else guessed from ``total``.
    """
    def link(relation: str, at: int) -> dict:
        query = [(k, v) for k, v in params if k not in ("_offset", "_count")] + [("_count", str(count)),
                                                                               ("_offset", str(at))]
        return {"relation": relation, "url": f"{base_url}/{resource_type}?{urlencode(query)}"}

    links = [link("self", offset)]
    if more is None:
        more = total < 0 and len(resources) == count or 0 <= offset + count < total
    if count > 0 and more:
        links.append(link("next", offset + count))
    if count > 0 and offset > 0:
        links.append(link("previous", max(0, offset - count)))
    entries = [{"fullUrl": full_url(base_url, r), "resource": r, "search": {"mode": "match"}} for r in resources]
    entries += [{"fullUrl": full_url(base_url, r), "resource": r, "search": {"mode": "include"}} for r in included]
    if outcome:
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": now_instant()},
              "type": "searchset", "link": links, "entry": entries}
    if total >= 0:
        bundle["total"] = total
    return bundle


def history_bundle(base_url: str, resource_type: str, versions: list[dict]) -> dict:
    """A ``history`` Bundle, newest first; deletions have a request and no resource."""
    entries = []
    for version in versions:
        url = f"{base_url}/{resource_type}/{version['id']}"
        vid = version["meta"]["versionId"]
        if version.get("deleted"):
            entries.append({"fullUrl": url, "request": {"method": "DELETE", "url": f"{resource_type}/{version['id']}"},
                            "response": {"status": "410 Gone", "etag": f'W/"{vid}"',
                                         "lastModified": version["meta"]["lastUpdated"]}})
        else:
            entries.append({"fullUrl": url, "resource": version,
                            "request": {"method": "POST" if vid == "1" else "PUT",
                                        "url": resource_type if vid == "1" else f"{resource_type}/{version['id']}"},
                            "response": {"status": "201 Created" if vid == "1" else "200 OK", "etag": f'W/"{vid}"',
                                         "lastModified": version["meta"]["lastUpdated"]}})
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": now_instant()},
            "type": "history", "total": len(entries), "entry": entries}


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def information(message: str) -> dict:
    """An OperationOutcome saying all went well."""
    return operation_outcome([{"severity": "information", "code": "informational", "diagnostics": message}])
