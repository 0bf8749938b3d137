"""CodeSystem: codes unique within a system; loaded vocabularies keep their concepts beside it (``terminology/``)."""
from __future__ import annotations

from fhirstore.errors import BusinessRuleError, Issue
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from terminology.check import forget_absent
from terminology.concepts import walk_concepts


class CodeSystemHandler(ResourceHandler):
    """A code appears once in a CodeSystem (its nested ``concept`` tree included)."""

    resource_type = name = "CodeSystem"

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        seen: dict[str, int] = {}
        duplicates = []
        for position, (concept, _) in enumerate(walk_concepts(resource.get("concept") or [])):
            code = concept.get("code")
            if code in seen:
                duplicates.append(code)
            seen.setdefault(code, position)
        if duplicates:
            raise BusinessRuleError(f"a code appears once in a CodeSystem: {', '.join(dict.fromkeys(duplicates))} "
                                    "repeated", issues=[Issue("business-rule", f"the code {code!r} appears more "
                                                              "than once", expression="CodeSystem.concept")
                                                        for code in dict.fromkeys(duplicates)])

    def after_write(self, stored: dict, ctx: RequestContext) -> dict:
        forget_absent()  # its system is held from now on: codes of it are checked at once by this process
        self._forget_local_terms()
        return stored

    def after_delete(self, resource_id: str, ctx: RequestContext) -> None:
        self._forget_local_terms()

    def _forget_local_terms(self) -> None:
        """The next note this process reads is matched against the CodeSystems as committed (the enrichment's
        cache of their concepts; another process's cache follows within its LOCAL_TERMS_SECONDS)."""
        self.store.after_commit(self.registry.enricher.forget_local_terms)
