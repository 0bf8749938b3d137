"""Validation of FHIR R4B resources: fhir.resources models, required bindings the models miss, profiles."""
from schemas.validation import ID_CHARS, ID_PATTERN, check_id, validate_resource

__all__ = ["ID_CHARS", "ID_PATTERN", "check_id", "validate_resource"]
