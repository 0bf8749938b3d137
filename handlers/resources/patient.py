"""Patient: Multi-IPP (one master IPP, identifiers unique across patients); ``$merge`` is in handlers/operations."""
from __future__ import annotations

from typing import Any

from fhirstore import KeyMatch, KeyTerm
from fhirstore.errors import BusinessRuleError, ConflictError, Issue
from fhirstore.fields import UNIQUE
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.search.index import token


def identifier_key(identifier: dict) -> str | None:
    """``system|value`` of an identifier (``|value`` without a system), escaped; None when it has no value."""
    value = identifier.get("value")
    return token(identifier.get("system"), value) if isinstance(value, str) and value else None


class PatientHandler(ResourceHandler):
    """``official`` = master IPP (at most one per identifier system: an official INS beside the official IPP is
    fine), ``usual`` = current IPP, ``old`` = former IPPs.

    An identifier (system + value) belongs to one live patient. The store claims every ``system|value`` before the
    write (``index_fields()["unique"]``), so two concurrent writers of one IPP cannot both win; a refused claim is
    answered with the identifier's position and its holder.
    """

    resource_type = name = "Patient"

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        identifiers = resource.get("identifier") or []
        first_official: dict = {}  # per system; a repeated identical identifier counts once
        for i, ident in enumerate(identifiers):
            if ident.get("use") == "official":
                first_official.setdefault(ident.get("system") or "", {}).setdefault(
                    identifier_key(ident) or f"#{i}", i)
        extra = sorted(i for by_key in first_official.values() for i in sorted(by_key.values())[1:])
        if extra:
            raise BusinessRuleError(
                "a patient has at most one official (master) IPP per identifier system; mark the others usual or old",
                issues=[Issue("business-rule", f"Patient.identifier[{i}] is a second official identifier of its "
                              "system", expression=f"Patient.identifier[{i}]") for i in extra])

    def check_unique(self, resource: dict) -> None:
        issues = []
        for index, ident in enumerate(resource.get("identifier") or []):
            key = identifier_key(ident)
            holder = self.store.claim_holder("Patient", key) if key else None
            if holder and holder != resource.get("id"):
                system = ident.get("system") or "no system"
                issues.append(Issue("conflict", f"Patient.identifier[{index}] ({system}) is already held by "
                                                f"Patient/{holder}", expression=f"Patient.identifier[{index}]"))
        if issues:
            raise ConflictError(issues[0].diagnostics, issues=issues)

    def index_fields(self, resource: dict) -> dict:
        fields = super().index_fields(resource)
        unique = sorted({key for key in map(identifier_key, resource.get("identifier") or []) if key})
        if unique:
            fields[UNIQUE] = unique
        return fields

    def conflict_error(self, error: ConflictError, body: Any) -> ConflictError:
        return _held(error, body)


def find_by_identifier(store, identifier: dict) -> str | None:
    """The id of the live patient holding ``identifier`` (system + value), or None."""
    key = identifier_key(identifier)
    if not key:
        return None
    page = store.search("Patient", {}, limit=1, count_total=False,
                        keys=[KeyMatch(((KeyTerm(f"identifier|{key}"),),))])
    return page.resources[0]["id"] if page.resources else None


def _held(error: ConflictError, body: Any) -> ConflictError:
    """The store's refused claim, naming the identifier's position and the patient holding it."""
    holder = getattr(error, "holder", None)
    if holder is None:
        return error
    claimed = str(getattr(error, "key", "")).partition("Patient|")[2]
    identifiers = body.get("identifier") or [] if isinstance(body, dict) else []
    index = next((i for i, ident in enumerate(identifiers) if isinstance(ident, dict)
                  and identifier_key(ident) == claimed), None)
    if index is None:
        return ConflictError(f"an identifier of this patient is already held by Patient/{holder}",
                             expression="Patient.identifier")
    system = identifiers[index].get("system") or "no system"
    return ConflictError(f"Patient.identifier[{index}] ({system}) is already held by Patient/{holder}",
                         expression=f"Patient.identifier[{index}]")
