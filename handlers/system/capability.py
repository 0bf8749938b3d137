"""The CapabilityStatement, generated from the registry so it never drifts from what is served."""
from __future__ import annotations

from typing import Any

from config import FHIR_VERSION
from fhirstore import now_instant
from handlers.search import COMMON_PARAMS

SOFTWARE_VERSION = "0.1.0"
SEARCH_TYPE_URL = "http://hl7.org/fhir/SearchParameter/{type}-{name}"


def capability_statement(registry, config: dict[str, Any], base_url: str) -> dict:
    """One ``rest.resource`` per stored type; profiles (Phenotype) appear as ``supportedProfile``."""
    resources: dict[str, dict] = {}
    for handler in sorted(registry, key=lambda h: (h.resource_type, h.profile is not None)):
        entry = resources.setdefault(handler.resource_type, {
            "type": handler.resource_type,
            "interaction": [{"code": code} for code in handler.interactions],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalUpdate": True,
            "conditionalDelete": "single",
            "referencePolicy": ["literal", "local"],
            "searchInclude": [],
            "searchRevInclude": [],
            "searchParam": [],
            "operation": [],
        })
        if handler.profile:
            entry.setdefault("supportedProfile", []).append(handler.profile)
        known = {p["name"] for p in entry["searchParam"]}
        for param in (*COMMON_PARAMS, *getattr(handler, "search_params", ())):
            if param.name not in known:
                entry["searchParam"].append({"name": param.name, "type": _search_type(param.type),
                                             "documentation": param.description or param.name})
                known.add(param.name)
        _add_includes(entry, registry, handler)
        have = {o["name"] for o in entry["operation"]}
        for op in registry.operations_of(handler):
            if op.name not in have:
                entry["operation"].append({"name": op.name, "documentation": op.description,
                                           "definition": op.definition or f"http://hl7.org/fhir/OperationDefinition/"
                                                                          f"{handler.resource_type}-{op.name}"})
                have.add(op.name)
    for entry in resources.values():
        for name in ("operation", "searchInclude", "searchRevInclude"):
            if not entry[name]:
                del entry[name]
    return {
        "resourceType": "CapabilityStatement",
        "id": "codoc-fhir-api",
        "url": f"{config['CODOC_CANONICAL_BASE'].rstrip('/')}/CapabilityStatement/codoc-fhir-api",
        "name": "CodocFHIRAPI",
        "title": "Codoc FHIR API",
        "status": "active",
        "date": now_instant(),
        "publisher": "Codoc",
        "kind": "instance",
        "software": {"name": "Codoc FHIR API", "version": SOFTWARE_VERSION},
        "implementation": {"description": "FHIR R4B API for hospital clinical data", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Seed routes (/patient/{id}/) and FHIR routes (/Patient/{id}) reach the same handlers. "
                             "GET on a type without search parameters answers 405. PATCH takes a JSON Patch "
                             "(application/json-patch+json) or a FHIRPath Patch (Parameters), conditional "
                             "PATCH ?<search> patches the one match. Modifiers: :missing (every "
                             "parameter), :exact and :contains (string), :not (token), :Type (reference); :not, "
                             ":contains and :missing=true only narrow a selective parameter (alone: 400). "
                             "_include:iterate and _revinclude:iterate go at most 3 rounds further and add at most "
                             "1000 resources (then a warning entry). An unsupported parameter or modifier is a 400 "
                             "(Prefer: handling=lenient ignores it, with a warning entry).",
            "security": security_section(config),
            "resource": list(resources.values()),
            "operation": [{"name": op.name, "definition": op.definition, "documentation": op.description}
                          for op in registry.system_operations.values()],
        }],
    }


def security_section(config: dict[str, Any]) -> dict:
    """How to get a token and what scopes mean (docs/security.md has the full story)."""
    anonymous = config.get("CODOC_ALLOW_ANONYMOUS") and config.get("CODOC_ENV") != "production"
    return {
        "cors": bool(config.get("CODOC_CORS_ORIGINS")),
        "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                 "code": "SMART-on-FHIR"}], "text": "OAuth2 bearer tokens (JWT) with SMART scopes"}],
        "description": (
            "Get a token with POST /auth/token (grant_type=client_credentials; client_id and client_secret as form "
            "or JSON fields, or HTTP Basic), then send Authorization: Bearer <token>. Scopes follow SMART: "
            "system/Patient.read, system/*.write, system/*.* (user/ alike; v2 .cruds letters accepted); "
            "Phenotype routes need Observation scopes; $everything needs read on every type; the audit trail "
            "(GET AuditEvent?entity=) needs codoc/admin, $expunge codoc/admin and delete on every type. "
            "Missing or bad token: 401; scope too narrow: 403. Rate limits: "
            f"{config.get('CODOC_RATELIMIT_ANONYMOUS')} per IP anonymous, "
            f"{config.get('CODOC_RATELIMIT_AUTHENTICATED')} per token subject (429 throttled). "
            + ("Anonymous access is allowed in this profile (never with real data)."
               if anonymous else "Every route but /metadata and /auth/token needs a token.")),
    }


def _add_includes(entry: dict, registry, handler) -> None:
    """``searchInclude``: this type's reference parameters; ``searchRevInclude``: those of hosted types that may
    refer to it."""
    for param in handler.search_params:
        if param.type == "reference" and f"{handler.name}:{param.name}" not in entry["searchInclude"]:
            entry["searchInclude"].append(f"{handler.name}:{param.name}")
    for other in registry:
        for param in other.search_params:
            name = f"{other.name}:{param.name}"
            if param.type == "reference" and (not param.targets or handler.resource_type in param.targets) \
                    and name not in entry["searchRevInclude"]:
                entry["searchRevInclude"].append(name)


def _search_type(kind: str) -> str:
    return {"special": "token"}.get(kind, kind)
