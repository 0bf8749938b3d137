"""Curated lexicon (``nlp/data/lexicon_fr.tsv``) parsing and validation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .textutil import format_icd10, is_atc
from .types import ATC_SYSTEM, ICD10_SYSTEM

LEXICON_PATH = Path(__file__).parent / "data" / "lexicon_fr.tsv"

SYSTEM_ALIASES = {"icd10": ICD10_SYSTEM, "atc": ATC_SYSTEM, "ignore": None}


@dataclass(frozen=True)
class LexiconEntry:
    term: str
    system: str | None  # None for "ignore" rows
    code: str  # ICD-10 formatted with the dot, ATC as-is, "-" for ignore
    display: str | None
    comment: str
    line: int

    @property
    def case_sensitive(self) -> bool:
        return is_case_sensitive(self.term)


def is_case_sensitive(term: str) -> bool:
    """Terms written entirely in capitals (abbreviations such as HTA, FA, EP)
    are matched case-sensitively; every other term ignores case and accents."""
    return any(ch.isalpha() for ch in term) and term == term.upper()


def file_sha256(path: Path = LEXICON_PATH) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_lexicon(path: Path = LEXICON_PATH) -> list[LexiconEntry]:
    entries: list[LexiconEntry] = []
    header_seen = False
    seen: dict[tuple[str, bool], int] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if not header_seen:
                header_seen = True
                if cols[0].strip().lower() == "term":
                    continue
            if len(cols) < 3:
                raise ValueError(f"{path.name}:{lineno}: expected at least 3 tab-separated columns")
            cols += [""] * (5 - len(cols))
            term, system_alias, code, display, comment = (c.strip() for c in cols[:5])
            if not term:
                raise ValueError(f"{path.name}:{lineno}: empty term")
            if system_alias not in SYSTEM_ALIASES:
                raise ValueError(f"{path.name}:{lineno}: unknown system {system_alias!r}")
            system = SYSTEM_ALIASES[system_alias]
            if system == ICD10_SYSTEM:
                code = format_icd10(code)
            elif system == ATC_SYSTEM:
                if not is_atc(code):
                    raise ValueError(f"{path.name}:{lineno}: not an ATC code: {code!r}")
            else:
                code = "-"
            key = (term if is_case_sensitive(term) else term.lower(), is_case_sensitive(term))
            if key in seen:
                raise ValueError(f"{path.name}:{lineno}: duplicate term {term!r} (line {seen[key]})")
            seen[key] = lineno
            entries.append(LexiconEntry(term, system, code, display or None, comment, lineno))
    return entries


def displays(entries: list[LexiconEntry]) -> dict[tuple[str, str], str]:
    """First non-empty display of each (system, code) in the lexicon."""
    out: dict[tuple[str, str], str] = {}
    for e in entries:
        if e.system and e.display and (e.system, e.code) not in out:
            out[(e.system, e.code)] = e.display
    return out
