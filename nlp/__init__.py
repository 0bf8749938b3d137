"""Codoc NLP engine: French clinical notes -> coded concepts (ICD-10, ATC,
server-side CodeSystems), with negation / hypothesis / family / history.

Importing this package is cheap: edsnlp is only imported by the loader
thread. See docs/guides/nlp-pipeline.md (method) and docs/nlp-engine.md (gold sets, figures).
"""

from .loader import engine_status, get_engine, start_loading
from .types import (
    ATC_SYSTEM,
    ICD10_SYSTEM,
    Concept,
    Engine,
    EngineError,
    LocalTerm,
    NoteTooLargeError,
)

__all__ = [
    "ATC_SYSTEM",
    "ICD10_SYSTEM",
    "Concept",
    "Engine",
    "EngineError",
    "LocalTerm",
    "NoteTooLargeError",
    "engine_status",
    "get_engine",
    "start_loading",
]
