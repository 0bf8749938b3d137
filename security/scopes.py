"""SMART on FHIR scopes: what a token may do, per resource type and interaction. No Flask here.

Accepted forms (``user/`` and ``system/`` are treated alike: this server has no per-user access lists):

- SMART v1: ``system/Patient.read``, ``system/*.write``, ``system/*.*``;
- SMART v2: ``system/Observation.rs``, ``system/*.cruds`` (letters in the order c r u d s).

``patient/`` scopes need a launch context this server does not have, and v2 scopes narrowed by a query
(``system/Observation.rs?category=…``) cannot be enforced at the type level: both grant nothing (fail closed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

#: The administrator scope: reads the audit trail; with delete rights on every type, runs ``$expunge``.
ADMIN_SCOPE = "codoc/admin"
#: Every permission letter.
ALL = "cruds"
#: What a scope's action grants: v1 words and the v2 letters.
V1_ACTIONS = {"read": "rs", "write": "cud", "*": ALL}
#: The permission letter each interaction needs.
INTERACTIONS = {"read": "r", "vread": "r", "history": "r", "search": "s", "create": "c", "update": "u",
                "patch": "u", "delete": "d"}
_SCOPE = re.compile(r"^(?:user|system)/(?P<type>\*|[A-Z][A-Za-z]+)\.(?P<action>read|write|\*|c?r?u?d?s?)$")


@dataclass(frozen=True)
class Need:
    """What one request needs: permission letters on some resource types, maybe the admin scope."""

    types: tuple[str, ...]
    letters: str
    admin: bool = False
    or_admin: bool = False  # the administrator scope alone suffices too

    def describe(self) -> str:
        if not self.types:
            return f"the {ADMIN_SCOPE} scope" if self.admin else "nothing"
        who = ", ".join(self.types)
        return f"{'/'.join(self.letters)} on {who}" + (f" and {ADMIN_SCOPE}" if self.admin else "") + (
            f" (or {ADMIN_SCOPE})" if self.or_admin else "")


def parse(scope: str | Iterable[str] | None) -> frozenset[str]:
    """Scopes of a token: a space-separated ``scope`` string (OAuth2) or a list (``scp`` of some IdPs)."""
    if not scope:
        return frozenset()
    items = scope.split() if isinstance(scope, str) else [s for s in scope if isinstance(s, str)]
    return frozenset(s.strip() for s in items if s.strip())


def grants(scopes: Iterable[str]) -> dict[str, set[str]]:
    """Resource type (or ``*``) → the permission letters the scopes grant on it."""
    granted: dict[str, set[str]] = {}
    for scope in scopes:
        match = _SCOPE.match(scope)
        if not match or not match.group("action"):
            continue
        action = match.group("action")
        granted.setdefault(match.group("type"), set()).update(V1_ACTIONS.get(action, action))
    return granted


def is_valid(scope: str) -> bool:
    """A scope this server understands (clients may only be given these)."""
    return scope == ADMIN_SCOPE or bool(_SCOPE.match(scope)) and not scope.endswith(".")


def allows(scopes: Iterable[str], need: Need) -> bool:
    """Do ``scopes`` cover ``need`` on every type it names?"""
    return _allows(frozenset(scopes), need)


@lru_cache(maxsize=4096)
def _allows(scopes: frozenset[str], need: Need) -> bool:
    """:func:`allows`, computed once per (scopes, need): a pure function of two immutable values."""
    if need.or_admin and ADMIN_SCOPE in scopes:
        return True
    if need.admin and ADMIN_SCOPE not in scopes:
        return False
    granted = grants(scopes)
    wildcard = granted.get("*", set())
    return all(set(need.letters) <= (wildcard | granted.get(t, set())) for t in need.types)


@lru_cache(maxsize=1024)
def need_for(interaction: str, resource_type: str) -> Need:
    """The need of one REST interaction on one type (operations declare their own)."""
    return Need((resource_type,), INTERACTIONS.get(interaction, ALL))


#: What an anonymous caller may do where anonymous access is allowed: everything but the admin operations.
ANONYMOUS_SCOPES = frozenset({"system/*.*"})
