"""``$validate`` on every type: all the checks of a create, nothing stored."""
from __future__ import annotations

from handlers.operations import Operation


def validate(handler, ctx, payload, resource_id=None):
    """Validate a resource (all checks of a create) without storing it."""
    return handler.validate(payload, ctx)


OPERATION = Operation("validate", "*", "type", "POST", validate, letters="r")
