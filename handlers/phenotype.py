"""Phenotype: an Observation profile for concepts that NLP found in a clinical note, stored with Observations."""
from __future__ import annotations

from handlers.base import ResourceHandler
from handlers.registry import register

PROFILE_PATH = "/StructureDefinition/observation-phenotype"


def phenotype_profile(config: dict) -> str:
    return config["CODOC_CANONICAL_BASE"].rstrip("/") + PROFILE_PATH


@register
class PhenotypeHandler(ResourceHandler):
    """``/phenotype/`` routes: Observations that carry the phenotype profile (set by the server on writes)."""

    resource_type = "Observation"
    name = "Phenotype"

    @property
    def profile(self) -> str:  # type: ignore[override]
        return phenotype_profile(self.config)
