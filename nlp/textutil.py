"""Pure helpers (no edsnlp import): code formatting, chunking, span selection."""

from __future__ import annotations

import re
from typing import Iterable, Iterator, NamedTuple

_ICD_RAW = re.compile(r"^[A-Z][0-9]{2}[0-9+]{0,4}$")
_ICD_DOTTED = re.compile(r"^[A-Z][0-9]{2}(\.[0-9+]{1,4})?$")
_ATC = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")


def format_icd10(code: str) -> str:
    """Format an ICD-10 / CIM-10 code for FHIR: ``E119`` -> ``E11.9``,
    ``I10`` -> ``I10``, ``B24+0`` (ATIH extension) -> ``B24.+0``.
    Already dotted codes are returned unchanged (upper-cased)."""
    code = code.strip().upper().replace(" ", "")
    if "." in code:
        if not _ICD_DOTTED.match(code):
            raise ValueError(f"not an ICD-10 code: {code!r}")
        return code
    if not _ICD_RAW.match(code):
        raise ValueError(f"not an ICD-10 code: {code!r}")
    return code if len(code) == 3 else f"{code[:3]}.{code[3:]}"


def raw_icd10(code: str) -> str:
    """Inverse of :func:`format_icd10` (``E11.9`` -> ``E119``)."""
    return code.strip().upper().replace(".", "").replace(" ", "")


def is_atc(code: str) -> bool:
    return bool(_ATC.match(code))


def clean_atc(code: str) -> str | None:
    """An ATC code as the WHO writes it, or None: the drug resource of edsnlp has a letter O where a level's digits
    go (``JO5AX09`` for ``J05AX09``); digits are at positions 2-3 and 6-7."""
    fixed = "".join("0" if c == "O" and i in (1, 2, 5, 6) else c for i, c in enumerate(code or ""))
    return fixed if is_atc(fixed) else None


# --------------------------------------------------------------------- chunks
_SEPARATORS = ("\n\n", "\n", ". ", "; ", " ")


def split_chunks(text: str, max_chars: int) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` windows covering ``text`` exactly, each at most
    ``max_chars`` long, cut preferably after a blank line, then a line break,
    a sentence end, a semicolon, a space; a hard cut only when the window has
    none of these in its second half."""
    if max_chars < 2:
        raise ValueError("max_chars must be >= 2")
    n = len(text)
    start = 0
    while start < n:
        if n - start <= max_chars:
            yield start, n
            return
        hard = start + max_chars
        floor = start + max_chars // 2
        cut = -1
        for sep in _SEPARATORS:
            i = text.rfind(sep, floor, hard - len(sep) + 1)
            if i != -1:
                cut = i + len(sep)
                break
        if cut <= start:
            cut = hard
        yield start, cut
        start = cut


# --------------------------------------------------------- candidate spans
class Candidate(NamedTuple):
    """A match before deduplication. ``start``/``end`` are token indices,
    ``cstart``/``cend`` character offsets (used for lengths and ordering)."""

    start: int
    end: int
    cstart: int
    cend: int
    priority: int  # lower wins on equal length (lexicon 0 < written code 1 < drugs 2 < cim10 3)
    system: str | None  # None = "ignore" entry of the lexicon: claims the span, emits nothing
    code: str


def select_spans(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep non-overlapping candidates: the longest (in characters) wins, then
    the lowest priority, then the shortest/smallest code (e.g. the category
    ``L01`` rather than ``L01.0`` for the same words). One code per span.
    Returned sorted by position."""
    ordered = sorted(
        candidates,
        key=lambda c: (c.cstart - c.cend, c.priority, len(c.code), c.code, c.cstart),
    )
    taken: list[Candidate] = []
    occupied: list[tuple[int, int]] = []
    # the tokens of the taken candidates, one byte each
    tokens = bytearray(max((c.end for c in ordered), default=0))
    for cand in ordered:
        start, end = cand.start, cand.end
        if start < end:
            if 1 in tokens[start:end]:
                continue
        elif any(start < e and s < end for s, e in occupied):  # pragma: no cover
            continue
        taken.append(cand)
        occupied.append((start, end))
        tokens[start:end] = b"\1" * (end - start)
    taken.sort(key=lambda c: (c.start, c.end))
    return taken
