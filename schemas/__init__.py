"""Validation of FHIR R4B resources: strict FHIR JSON, fhir.resources models, required bindings the models miss."""
from schemas.json import Limits, parse_body
from schemas.validation import ID_CHARS, ID_PATTERN, check_bundle_shape, check_id, check_search_keys, \
    validate_resource

__all__ = ["ID_CHARS", "ID_PATTERN", "Limits", "check_bundle_shape", "check_id", "check_search_keys", "parse_body",
           "validate_resource"]
