"""Run-time settings, read from the environment when needed (never cached,
so tests and the app can change them before loading)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CACHE_DIR = "./data/nlp-cache"
# 1,000,000 characters is ~500 pages of text and takes ~3-4 s on one core.
DEFAULT_MAX_CHARS = 1_000_000
# Notes are processed in chunks of at most this many characters, cut at a
# paragraph, line, sentence or word boundary.
DEFAULT_CHUNK_CHARS = 20_000
# New words (strings) the shared spaCy vocabulary may learn for good, about
# 0.6 KB each; past this budget notes are parsed in memory zones and their new
# words are forgotten afterwards (bounded memory, ~25 % slower per note).
DEFAULT_VOCAB_BUDGET = 100_000


def _int_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def cache_dir() -> Path:
    return Path(os.environ.get("CODOC_NLP_CACHE_DIR") or DEFAULT_CACHE_DIR)


def max_chars() -> int:
    return _int_env("CODOC_NLP_MAX_CHARS", DEFAULT_MAX_CHARS, 1)


def vocab_budget() -> int:
    return _int_env("CODOC_NLP_VOCAB_BUDGET", DEFAULT_VOCAB_BUDGET, 0)


def chunk_chars() -> int:
    return _int_env("CODOC_NLP_CHUNK_CHARS", DEFAULT_CHUNK_CHARS, 1_000)
