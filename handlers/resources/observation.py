"""Observation, and Phenotype: an Observation profile for concepts that NLP found in a clinical note, stored with
Observations. Phenotypes of an enrichment run not yet committed are pending, hidden by the store itself."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhirstore import IndexSpec
from fhirstore.fields import REFS, RUN, SOURCE, path
from handlers.base import ResourceHandler
from handlers.enrichment import ASSERTION_PATH, PROFILE_PATH, RUN_PATH, canonical, run_of, source_of
from handlers.search.params import SearchParam


@dataclass(frozen=True)
class AssertionParam(SearchParam):
    """``assertion``: the code of the phenotype-assertion extension (affirmed, negated, hypothetical, family)."""

    def index_value(self, resource: dict) -> Any:
        return next((e["valueCode"] for e in resource.get("extension") or []
                     if str(e.get("url", "")).endswith(ASSERTION_PATH) and e.get("valueCode")), None)


class ObservationHandler(ResourceHandler):
    """Observations, generated Phenotypes included (their document and run are derived from the resource)."""

    resource_type = name = "Observation"
    index_specs = (IndexSpec(((path(SOURCE), 1),)),)  # single-key: nx-27017 uses no compound index here
    #: A generated Phenotype then is one document (was five: four SearchKey documents), a lab result most often too.
    inline_keys = ("_profile", "code", "category", "derived_from")
    search_params = (AssertionParam("assertion", "token", ("extension",),
                                    "A Phenotype's assertion: affirmed | negated | hypothetical | family",
                                    single=True),)

    def index_fields(self, resource: dict) -> dict:
        """Besides search helpers: for a generated Phenotype, its document (``src``) and enrichment run (``seq``),
        derived from ``derivedFrom`` and the run (``meta.source``), so any later write keeps them.

        A generated Phenotype with a subject has no reference key for its document: ``src`` finds it from there
        (erasure with the document, ``$everything`` through the subject), and the document's deletion never had to
        list it. ``derived-from`` stays a search key.
        """
        fields = super().index_fields(resource)
        run, source = run_of(resource, canonical(self.config, RUN_PATH)), source_of(resource)
        if run and source:
            fields.update({SOURCE: source, RUN: run})
            if (resource.get("subject") or {}).get("reference"):
                document = f"DocumentReference/{source}"
                fields[REFS] = [r for r in fields[REFS] if r != document]
        return fields


class PhenotypeHandler(ObservationHandler):
    """``/phenotype/`` routes: Observations that carry the phenotype profile (set by the server on writes)."""

    name = "Phenotype"

    @property
    def profile(self) -> str:  # type: ignore[override]
        return canonical(self.config, PROFILE_PATH)
