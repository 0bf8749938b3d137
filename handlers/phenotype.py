"""Phenotype: an Observation profile for concepts that NLP found in a clinical note, stored with Observations."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhirstore.base import IndexSpec
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.registry import register
from handlers.search import SearchParam

PROFILE_PATH = "/StructureDefinition/observation-phenotype"
ASSERTION_PATH = "/StructureDefinition/phenotype-assertion"
RUN_PATH = "/CodeSystem/nlp-run"


def canonical(config: dict, path: str) -> str:
    return config["CODOC_CANONICAL_BASE"].rstrip("/") + path


@dataclass(frozen=True)
class AssertionParam(SearchParam):
    """``assertion``: the code of the phenotype-assertion extension (affirmed, negated, hypothetical, family)."""

    def index_value(self, resource: dict) -> Any:
        return next((e["valueCode"] for e in resource.get("extension") or []
                     if str(e.get("url", "")).endswith(ASSERTION_PATH) and e.get("valueCode")), None)


def phenotype_profile(config: dict) -> str:
    return canonical(config, PROFILE_PATH)


class CommittedPhenotypesOnly(ResourceHandler):
    """Searches over Observations hide Phenotypes of an enrichment run that is not (or no longer) committed."""

    index_specs = (IndexSpec((("_codoc.src", 1),)),)  # single-key: nx-27017 uses no compound index here
    search_params = (AssertionParam("assertion", "token", ("extension",),
                                    "A Phenotype's assertion: affirmed | negated | hypothetical | family",
                                    single=True),)

    def index_fields(self, resource: dict) -> dict:
        """Besides search helpers: for a generated Phenotype, its document (``src``) and enrichment run (``seq``),
        derived from ``derivedFrom`` and the run tag, so any later write keeps them."""
        from handlers.enrichment import run_of, source_of

        fields = super().index_fields(resource)
        run, source = run_of(resource, canonical(self.config, RUN_PATH)), source_of(resource)
        if run and source:
            fields.update(src=source, seq=run)
        return fields

    def search(self, params: list[tuple[str, str]], ctx: RequestContext) -> dict:
        from handlers.documentreference import enricher_of

        bundle = super().search(params, ctx)
        matches = [e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"]
        keep = {r["id"] for r in enricher_of(self).visible(matches)}
        if len(keep) < len(matches):
            bundle["entry"] = [e for e in bundle["entry"] if e.get("search", {}).get("mode") != "match"
                               or e["resource"]["id"] in keep]
        return bundle


@register
class ObservationHandler(CommittedPhenotypesOnly):
    resource_type = name = "Observation"


@register
class PhenotypeHandler(CommittedPhenotypesOnly):
    """``/phenotype/`` routes: Observations that carry the phenotype profile (set by the server on writes)."""

    resource_type = "Observation"
    name = "Phenotype"

    @property
    def profile(self) -> str:  # type: ignore[override]
        return phenotype_profile(self.config)
