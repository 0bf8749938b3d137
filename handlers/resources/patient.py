"""Patient: Multi-IPP (one master IPP, identifiers unique across patients), INS (FR Core); ``$merge`` is in
handlers/operations."""
from __future__ import annotations

from typing import Any

from fhirstore import KeyMatch, KeyTerm
from fhirstore.errors import BusinessRuleError, ConflictError, InvalidError, Issue
from fhirstore.fields import UNIQUE
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.search.index import token
from schemas.ins import (BIRTH_PLACE, IDENTITY_RELIABILITY, IDENTITY_STATUSES, INS_SYSTEMS, INSEE_CODE,
                         nir_problem)


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

    def _prepare(self, body: Any) -> dict:
        """A ``usual`` identifier without a system is an IPP of the establishment (``CODOC_IPP_SYSTEM``)."""
        resource = super()._prepare(body)
        ipp_system = self.config.get("CODOC_IPP_SYSTEM")
        identifiers = resource.get("identifier") or []
        if ipp_system and any(i.get("use") == "usual" and not i.get("system") for i in identifiers):
            resource["identifier"] = [{**i, "system": ipp_system} if i.get("use") == "usual" and not i.get("system")
                                      else i for i in identifiers]
        return resource

    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        check_ins(resource)
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


def check_ins(resource: dict) -> None:
    """FR Core's INS rules: each INS a well-formed NIR/NIA with its key, at most one INS (former ones ``use=old``
    aside), and with the identity status ``VALI`` an official INS, one official identifier, a birth place other than
    99999 (fr-core-1, -2, -3).

    :raises InvalidError: a malformed NIR or identity status. :raises BusinessRuleError: a second INS, an invariant.
    """
    identifiers = resource.get("identifier") or []
    ins = [(i, ident) for i, ident in enumerate(identifiers) if ident.get("system") in INS_SYSTEMS]
    for i, ident in ins:
        problem = nir_problem(ident.get("value") or "")
        if problem:
            raise InvalidError(f"Patient.identifier[{i}] ({INS_SYSTEMS[ident['system']]}): {problem}",
                               expression=f"Patient.identifier[{i}]")
    current = {}
    for i, ident in ins:
        if ident.get("use") != "old":
            current.setdefault((ident["system"], ident["value"].upper()), i)
    if len(current) > 1:
        second = sorted(current.values())[1]
        raise BusinessRuleError(f"a patient has at most one INS: Patient.identifier[{second}] is a second one; mark "
                                "a former INS use=old", expression=f"Patient.identifier[{second}]")
    status = identity_status(resource)
    if status != "VALI":
        return
    if not any(ident.get("use") == "official" for _, ident in ins):
        raise BusinessRuleError("fr-core-1: a validated identity (VALI) has an official INS (INS-NIR, INS-NIA, test "
                                "or demo)", expression="Patient.identifier")
    officials = [i for i, ident in enumerate(identifiers) if ident.get("use") == "official"]
    if len({identifier_key(identifiers[i]) for i in officials}) != 1:
        raise BusinessRuleError("fr-core-2: a validated identity (VALI) has exactly one official identifier, its "
                                "INS; mark the IPP usual", expression=f"Patient.identifier[{officials[-1]}]")
    for extension in resource.get("extension") or []:
        if extension.get("url") == BIRTH_PLACE:
            for sub in (extension.get("valueAddress") or {}).get("extension") or []:
                if sub.get("url") == INSEE_CODE and (sub.get("valueCoding") or {}).get("code") == "99999":
                    raise BusinessRuleError("fr-core-3: a validated identity (VALI) has a birth place code other "
                                            "than 99999", expression="Patient.extension")


def identity_status(resource: dict) -> str | None:
    """The ``identityStatus`` code of FR Core's identity reliability extension; :raises InvalidError: unknown."""
    for index, extension in enumerate(resource.get("extension") or []):
        if extension.get("url") != IDENTITY_RELIABILITY:
            continue
        for sub in extension.get("extension") or []:
            if sub.get("url") == "identityStatus":
                code = (sub.get("valueCoding") or {}).get("code")
                if code not in IDENTITY_STATUSES:
                    raise InvalidError(f"identityStatus {code!r} is not a code of fr-core-vs-identity-reliability",
                                       expression=f"Patient.extension[{index}]")
                return code
    return None


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
