"""``CodeSystem/$validate-code``: whether a code (and its display) belongs to a system held here."""
from __future__ import annotations

from handlers.base import ResourceHandler
from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.operations.lookup import system_and_code
from handlers.operations.parameters import named_values
from terminology import concepts


def validate_code(handler: ResourceHandler, ctx: RequestContext, payload, resource_id=None) -> dict:
    """``result`` true/false with a ``message`` (an unknown code is false, not an error); ``display`` checked."""
    codesystem, code, display = system_and_code(handler, named_values(payload, "validate-code"), "validate-code",
                                                ("url", "system"))
    return concepts.validate_code(handler.store, codesystem, code, display if isinstance(display, str) else None)


OPERATION = Operation("validate-code", "CodeSystem", "type", "GET|POST", validate_code, letters="r")
