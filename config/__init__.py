"""Layered configuration: defaults → profile (CODOC_ENV) → CODOC_* environment → explicit overrides."""
from __future__ import annotations

import os
from typing import Any

from config import defaults, development, production, testing

#: The FHIR release served at ``/v4.3.0`` (R4B); collections carry it as a suffix (``Patient_4_3_0``).
FHIR_VERSION = "4.3.0"
VERSION_SUFFIX = FHIR_VERSION.replace(".", "_")

PROFILES = {"development": development, "production": production, "testing": testing}


def _settings_of(module) -> dict[str, Any]:
    return {k: getattr(module, k) for k in dir(module) if k.isupper()}


def _parse(value: str, like: Any) -> Any:
    """Turn an environment string into the type of the default it replaces."""
    if isinstance(like, bool):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    if isinstance(like, (list, tuple)):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def load_config(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the settings dict for one app; ``overrides`` win over everything (tests)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    env_name = overrides.get("CODOC_ENV") or environ.get("CODOC_ENV") or defaults.CODOC_ENV
    if env_name not in PROFILES:
        raise ValueError(f"CODOC_ENV must be one of {sorted(PROFILES)}, not {env_name!r}")
    settings = _settings_of(defaults)
    settings.update(_settings_of(PROFILES[env_name]))
    for key, default in list(settings.items()):
        if key.startswith("CODOC_") and key in environ:
            settings[key] = _parse(environ[key], default)
    settings.update(overrides)
    settings["CODOC_ENV"] = env_name
    return settings
