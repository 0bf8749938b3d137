"""The engine's settings, read from ``config/`` (defaults, profile, ``CODOC_NLP_*`` environment) when needed, so
tests and the app can change them before loading."""

from __future__ import annotations

import os
from pathlib import Path

from config import load_config

MINIMUM = {"CODOC_NLP_MAX_CHARS": 1, "CODOC_NLP_CHUNK_CHARS": 1_000, "CODOC_NLP_VOCAB_BUDGET": 0}

# (name, CODOC_ENV, the variable's value) -> setting: the environment is read at
# every call, the layered configuration built once per value (building it at
# every note cost ~7 % of the engine's time)
_memo: dict[tuple[str, str | None, str | None], object] = {}


def _setting(name: str):
    key = (name, os.environ.get("CODOC_ENV"), os.environ.get(name))
    if key in _memo:
        return _memo[key]
    try:
        value = load_config()[name]
    except ValueError as exc:  # an environment value that is not a number
        raise ValueError(f"{name} must be an integer: {exc}") from None
    if name in MINIMUM and value < MINIMUM[name]:
        raise ValueError(f"{name} must be >= {MINIMUM[name]}, got {value}")
    if len(_memo) > 64:
        _memo.clear()
    _memo[key] = value
    return value


def cache_dir() -> Path:
    return Path(_setting("CODOC_NLP_CACHE_DIR"))


def max_chars() -> int:
    return _setting("CODOC_NLP_MAX_CHARS")


def vocab_budget() -> int:
    return _setting("CODOC_NLP_VOCAB_BUDGET")


def chunk_chars() -> int:
    return _setting("CODOC_NLP_CHUNK_CHARS")
