"""Storage of FHIR resources as native JSON, one MongoDB collection per type and FHIR version."""
from fhirstore.base import FHIRStore, IndexSpec
from fhirstore.mongo import MongoFHIRStore, connect

__all__ = ["FHIRStore", "IndexSpec", "MongoFHIRStore", "connect"]
