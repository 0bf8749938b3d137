"""Every Bundle, OperationOutcome, ETag and Location the server builds, as plain FHIR JSON."""
from __future__ import annotations

import uuid
from typing import Iterable
from urllib.parse import urlencode

from fhirstore import now_instant


def etag(version_id: str) -> str:
    return f'W/"{version_id}"'


def full_url(base_url: str, resource: dict) -> str:
    return f"{base_url}/{resource['resourceType']}/{resource['id']}"


def version_location(resource: dict, base_url: str = "") -> str:
    """``[base/]Type/id/_history/n`` of a stored version."""
    path = f"{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}"
    return f"{base_url}/{path}" if base_url else path


def bundle(kind: str, entries: list[dict], total: int | None = None, links: list[dict] | None = None) -> dict:
    """A Bundle of ``kind`` (searchset, history, collection, batch-response, transaction-response)."""
    result = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": now_instant()},
              "type": kind}
    if total is not None and total >= 0:
        result["total"] = total
    if links:
        result["link"] = links
    result["entry"] = entries
    return result


def match_entries(base_url: str, resources: Iterable[dict], mode: str = "match") -> list[dict]:
    return [{"fullUrl": full_url(base_url, r), "resource": r, "search": {"mode": mode}} for r in resources]


def searchset(base_url: str, path: str, resources: list[dict], total: int, params: list[tuple[str, str]],
              offset: int, count: int, included: list[dict] = (), outcome: dict | None = None,
              more: bool | None = None) -> dict:
    """A ``searchset`` Bundle with ``self``/``next``/``previous`` links (offset paging) below ``base_url/path``.

    ``more``: whether matches follow this page, when the caller knows; else guessed from ``total``.
    """
    def link(relation: str, at: int) -> dict:
        query = [(k, v) for k, v in params if k not in ("_offset", "_count")] + [("_count", str(count)),
                                                                               ("_offset", str(at))]
        return {"relation": relation, "url": f"{base_url}/{path}?{urlencode(query)}"}

    links = [link("self", offset)]
    if more is None:
        more = total < 0 and len(resources) == count or 0 <= offset + count < total
    if count > 0 and more:
        links.append(link("next", offset + count))
    if count > 0 and offset > 0:
        links.append(link("previous", max(0, offset - count)))
    entries = match_entries(base_url, resources) + match_entries(base_url, included, "include")
    if outcome:
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    return bundle("searchset", entries, total, links)


def history_bundle(base_url: str, resource_type: str, versions: list[dict]) -> dict:
    """A ``history`` Bundle, newest first; deletions have a request and no resource (versions may name their own
    type: type and server history)."""
    entries = []
    for version in versions:
        resource_type = version.get("resourceType", resource_type)
        url = f"{base_url}/{resource_type}/{version['id']}"
        vid = version["meta"]["versionId"]
        response = {"etag": etag(vid), "lastModified": version["meta"]["lastUpdated"]}
        if version.get("deleted"):
            entries.append({"fullUrl": url, "request": {"method": "DELETE", "url": f"{resource_type}/{version['id']}"},
                            "response": {"status": "410 Gone", **response}})
        else:
            first = vid == "1"
            entries.append({"fullUrl": url, "resource": version,
                            "request": {"method": "POST" if first else "PUT",
                                        "url": resource_type if first else f"{resource_type}/{version['id']}"},
                            "response": {"status": "201 Created" if first else "200 OK", **response}})
    return bundle("history", entries, len(entries))


def entry_response(status: str, resource: dict, location: bool = False) -> dict:
    """The ``response`` of a batch/transaction entry that wrote or read ``resource``."""
    response = {"status": status, "etag": etag(resource["meta"]["versionId"]),
                "lastModified": resource["meta"]["lastUpdated"]}
    if location:
        response["location"] = version_location(resource)
    return response


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def information(message: str) -> dict:
    """An OperationOutcome saying all went well."""
    return operation_outcome([{"severity": "information", "code": "informational", "diagnostics": message}])


def warnings(messages: Iterable[str], code: str = "not-supported") -> dict:
    return operation_outcome([{"severity": "warning", "code": code, "diagnostics": m} for m in messages])
