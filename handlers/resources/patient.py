"""Patient: Multi-IPP (one master IPP, identifiers unique across patients); ``$merge`` is in handlers/operations."""
from __future__ import annotations

from typing import Any

from fhirstore.errors import BusinessRuleError, ConflictError, Issue
from fhirstore.fields import SEARCH, UNIQUE, path
from handlers.base import ResourceHandler
from handlers.context import RequestContext

IDENTIFIER_HELPER = path(SEARCH, "identifier")


def identifier_key(identifier: dict) -> str | None:
    """``system|value`` of an identifier (``|value`` without a system); None when it has no value."""
    value = identifier.get("value")
    return f"{identifier.get('system') or ''}|{value}" if value else None


class PatientHandler(ResourceHandler):
    """``official`` = master IPP (at most one per identifier system: an official INS beside the official IPP is
    fine), ``usual`` = current IPP, ``old`` = former IPPs.

    An identifier (system + value) belongs to one live patient. The store claims every ``system|value`` before the
    write (``index_fields()["unique"]``), so two concurrent writers of one IPP cannot both win; ``check`` looks
    first to answer the common case with the identifier's position.
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
        keys = {identifier_key(ident): i for i, ident in enumerate(identifiers) if identifier_key(ident)}
        if not keys:
            return
        page = self.store.search("Patient", {IDENTIFIER_HELPER: {"$in": sorted(keys)}}, limit=10,
                                 count_total=False)
        issues = []
        for holder in page.resources:
            if holder["id"] == resource["id"]:
                continue
            for ident in holder.get("identifier") or []:
                index = keys.get(identifier_key(ident))
                if index is not None:
                    system = identifiers[index].get("system") or "no system"
                    issues.append(Issue("duplicate", f"Patient.identifier[{index}] ({system}) is already held by "
                                                     f"Patient/{holder['id']}",
                                        expression=f"Patient.identifier[{index}]"))
        if issues:
            raise ConflictError(issues[0].diagnostics, issues=[Issue("conflict", i.diagnostics,
                                                                     expression=i.expression) for i in issues])

    def index_fields(self, resource: dict) -> dict:
        fields = super().index_fields(resource)
        unique = sorted({key for key in map(identifier_key, resource.get("identifier") or []) if key})
        if unique:
            fields[UNIQUE] = unique
        return fields

    def create(self, body: Any, ctx: RequestContext) -> dict:
        try:
            return super().create(body, ctx)
        except ConflictError as error:
            raise _held(error) from None

    def update(self, resource_id: str, body: Any, ctx: RequestContext) -> tuple[dict, bool]:
        try:
            return super().update(resource_id, body, ctx)
        except ConflictError as error:
            raise _held(error) from None


def find_by_identifier(store, identifier: dict) -> str | None:
    """The id of the live patient holding ``identifier`` (system + value), or None."""
    key = identifier_key(identifier)
    if not key:
        return None
    page = store.search("Patient", {IDENTIFIER_HELPER: key}, limit=1, count_total=False)
    return page.resources[0]["id"] if page.resources else None


def _held(error: ConflictError) -> ConflictError:
    """The store's claim conflict (a concurrent writer won the IPP), naming the holder like ``check`` does."""
    holder = getattr(error, "holder", None)
    if holder is None:
        return error
    return ConflictError(f"an identifier of this patient is already held by Patient/{holder}",
                         expression="Patient.identifier")
