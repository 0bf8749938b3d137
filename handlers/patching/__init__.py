"""PATCH documents applied to FHIR JSON: JSON Patch (``application/json-patch+json``) and FHIRPath Patch (a
``Parameters`` resource), as pure functions on dicts."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fhirstore.errors import InvalidError, UnsupportedMediaTypeError
from handlers.patching import fhirpath_patch, json_patch

JSON_PATCH = json_patch.MEDIA_TYPE
FHIR_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
MEDIA_TYPES = (JSON_PATCH, *FHIR_TYPES)


def apply(resource: dict, document: Any, media_type: str) -> dict:
    """``resource`` patched by ``document`` of ``media_type`` (a new dict).

    :raises UnsupportedMediaTypeError: neither JSON Patch nor FHIR JSON (415).
    :raises InvalidError: not a patch document of that kind (400).
    :raises PatchFailedError: the patch cannot be applied to this resource (422).
    """
    media_type = (media_type or "").split(";")[0].strip().lower()
    if media_type == JSON_PATCH:
        return json_patch.apply(resource, document)
    if media_type in FHIR_TYPES:
        return fhirpath_patch.apply(resource, document)
    raise UnsupportedMediaTypeError(f"PATCH takes application/json-patch+json (JSON Patch) or "
                                    f"application/fhir+json (FHIRPath Patch, a Parameters), not {media_type or 'none'}")


def from_bundle_entry(resource: Any) -> tuple[Any, str]:
    """``(document, media_type)`` of a Bundle entry whose ``request.method`` is PATCH: its resource is a
    ``Parameters`` (FHIRPath Patch) or a ``Binary`` of ``contentType`` application/json-patch+json whose ``data``
    is the JSON Patch in base64. :raises InvalidError:"""
    if isinstance(resource, dict) and resource.get("resourceType") == "Parameters":
        return resource, "application/fhir+json"
    if isinstance(resource, dict) and resource.get("resourceType") == "Binary":
        if (resource.get("contentType") or "").split(";")[0].strip().lower() != JSON_PATCH:
            raise InvalidError("a Binary PATCH entry has contentType application/json-patch+json",
                               expression="Binary.contentType")
        try:
            return json.loads(base64.b64decode(resource.get("data") or "", validate=True)), JSON_PATCH
        except (binascii.Error, ValueError):
            raise InvalidError("the Binary's data is not base64 of a JSON Patch document",
                               expression="Binary.data") from None
    raise InvalidError("a PATCH entry carries a Parameters (FHIRPath Patch) or a Binary (JSON Patch)")
