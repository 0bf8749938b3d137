"""Public data types of the Codoc NLP engine (no heavy imports here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
ATC_SYSTEM = "http://www.whocc.no/atc"

AFFIRMED = "affirmed"
NEGATED = "negated"
HYPOTHETICAL = "hypothetical"
FAMILY = "family"
ASSERTIONS = (AFFIRMED, NEGATED, HYPOTHETICAL, FAMILY)


@dataclass(frozen=True)
class Concept:
    """A coded mention found in a note.

    ``text == note[start:end]`` always holds (offsets are character offsets in
    the original, unmodified note).
    """

    system: str
    code: str
    display: str | None
    text: str
    start: int
    end: int
    assertion: str
    history: bool = False


@dataclass(frozen=True)
class LocalTerm:
    """A concept of a CodeSystem stored in the server, matched by its display
    and synonyms."""

    system: str
    code: str
    display: str
    synonyms: tuple[str, ...] = ()

    def __post_init__(self):  # accept any iterable of synonyms, keep the term hashable
        if not isinstance(self.synonyms, tuple):
            object.__setattr__(self, "synonyms", tuple(self.synonyms))


@runtime_checkable
class Engine(Protocol):
    def extract(self, text: str, local_terms: Sequence[LocalTerm] = ()) -> list[Concept]: ...


class EngineError(RuntimeError):
    """The NLP pipeline could not be loaded (or built)."""


class NoteTooLargeError(ValueError):
    """The note is longer than the configured limit (``CODOC_NLP_MAX_CHARS``)."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"note of {size} characters exceeds the limit of {limit} characters")
        self.size = size
        self.limit = limit
