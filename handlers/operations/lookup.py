"""``CodeSystem/$lookup``: a concept of a system held here (loaded vocabulary or stored local CodeSystem)."""
from __future__ import annotations

from fhirstore.errors import InvalidError, NotFoundError
from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.operations.parameters import named_values, text
from terminology import concepts


def system_and_code(handler: ResourceHandler, values: dict, operation: str, system_names: tuple[str, ...]):
    """The CodeSystem held here and the code asked about (``coding`` or ``system``/``url`` + ``code``).

    :raises InvalidError: no system or no code. :raises NotFoundError: the system is not held here.
    """
    coding = values.get("coding")
    if coding is not None and not isinstance(coding, dict):
        raise InvalidError("the parameter coding must be a Coding", expression="Parameters.coding")
    coding = coding or {}
    for part in ("system", "code", "version", "display"):
        if part in coding and not (isinstance(coding[part], str) and coding[part].strip()):
            raise InvalidError(f"coding.{part} must be a non-empty string", expression=f"Parameters.coding.{part}")
    system = text(values, *system_names) or coding.get("system")
    code = text(values, "code") or coding.get("code")
    missing = [name for name, value in (("system", system), ("code", code)) if not value]
    if missing:
        raise InvalidError(f"${operation} needs {' and '.join(missing)} (or a coding with them)",
                           expression=f"Parameters.{missing[0]}")
    version = text(values, "version") or coding.get("version")
    codesystem = concepts.find_codesystem(handler.store, system, version)
    if codesystem is None:
        raise NotFoundError(f"no CodeSystem {system}" + (f" version {version}" if version else "")
                            + " is held here", expression=f"Parameters.{system_names[0]}")
    return codesystem, code, values.get("display") or coding.get("display")


def lookup(handler: ResourceHandler, ctx: RequestContext, payload, resource_id=None) -> dict:
    """Display, designations, parent/child and properties of a code (``system`` + ``code``, or ``coding``)."""
    codesystem, code, _ = system_and_code(handler, named_values(payload, "lookup"), "lookup", ("system",))
    concept = concepts.lookup(handler.store, codesystem, code)
    if concept is None:
        raise NotFoundError(f"the code {code!r} is not in {codesystem['url']}", expression="Parameters.code")
    return concepts.lookup_parameters(codesystem, concept)


OPERATION = Operation("lookup", "CodeSystem", "type", "GET|POST", lookup, letters="r")
