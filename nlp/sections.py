"""Section detection in French hospital letters (pure Python, no edsnlp).

A section starts at a header at the beginning of a line ("Antécédents
familiaux :", "ATCD :", "Traitement de sortie", "Conclusion :"...). It ends
at the next header, or at the first blank line after some content (a header
alone on its line may be followed by blank lines before its content).

Only two kinds matter to the engine:

* ``family``: "Antécédents familiaux", "ATCD familiaux"... -> every concept
  in it is about a relative;
* ``history``: the patient's own "Antécédents", "ATCD", "Antécédents
  médicaux/chirurgicaux/personnels", "Autres antécédents" -> history flag.

Every other known header only ends the previous section (kind ``other``).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import NamedTuple


def _fold_char(c: str) -> str:
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base if len(base) == 1 else c


# accented Latin letters -> base letter, lower case (one character for one);
# the other characters below U+0250 map to themselves: str.translate is three
# times faster when the characters it meets are in its table
_FOLD_TABLE = {cp: _fold_char(chr(cp)) if cp >= 0xC0 else chr(cp) for cp in range(0x250)}


def fold_chars(text: str) -> str:
    """Lower case without accents, one character for one (offsets kept)."""
    low = text.lower()
    if len(low) != len(text):  # rare characters whose lower case is longer
        return "".join(_fold_char(c) for c in text)
    return low if low.isascii() else low.translate(_FOLD_TABLE)


_fold = fold_chars


_ATCD = r"(?:antecedents?|atcds?|atc?d\.?)"
_FAMILY = re.compile(
    rf"(?:{_ATCD}\s+(?:medicaux\s+)?(?:(?:familiaux|familial|familiales?|hereditaires?)\b|fam\b\.?)"
    rf"|histoire\s+familiale\b|contexte\s+familial\b"
    # round 15: a header of the family line alone ("Familiaux : soeur ...", "Famille : pas de ...")
    rf"|(?:familiaux|famille)(?=\s*:))"
)
_HISTORY = re.compile(
    rf"(?:autres\s+{_ATCD}|{_ATCD})(?:\s+(?:personnels|medicaux|medico-chirurgicaux"
    rf"|chirurgicaux|somatiques|psychiatriques|cardio-?vasculaires|notables"
    rf"|et\s+(?:terrain|comorbidites)|medicaux\s+et\s+chirurgicaux))*\b"
)
_OTHER = re.compile(
    r"(?:motif|histoire\s+de\s+la\s+maladie|hdm|anamnese|examens?\b|biologie|imagerie"
    r"|conclusion|au\s+total|synthese|diagnostics?\b|traitements?\b|ttt\b|ordonnance"
    r"|evolution|prise\s+en\s+charge|mode\s+de\s+vie|habitus|allergies?\b|facteurs\s+de\s+risque"
    r"|projet|suivi|consignes|symptomes|a\s+l'entree|a\s+l'admission|sortie|objet"
    r"|terrain|comorbidites|devenir|recommandations|resultats|interrogatoire)"
)
# a header: the words, up to 4 more words (" CV", " de sortie") and ":", or up
# to 2 more words and the end of the line ("Traitement habituel")
_HEADER_END = re.compile(r"(?:\s+[\w'/.()+-]+){0,4}?\s*:|(?:\s+[\w'-]+){0,2}\s*$")


class Section(NamedTuple):
    start: int
    end: int
    kind: str  # "family" | "history" | "other"


def _header_kind(folded_line: str) -> str | None:
    """The kind of header the (folded) line is, or None."""
    folded = folded_line.lstrip(" \t-*•·>").rstrip()
    for kind, rx in (("family", _FAMILY), ("history", _HISTORY), ("other", _OTHER)):
        m = rx.match(folded)
        if m and _HEADER_END.match(folded, m.end()) and m.end() <= 60:
            return kind
    return None


_BULLET = re.compile(r"^\s*(?:[-*•·+>]|\d+[.)/]\s)")
MAX_LIST_LINE = 200  # a longer line without a bullet after a list is prose


def find_sections(text: str, folded_text: str | None = None) -> list[Section]:
    """Sections of kind family/history. A header with its content on the same
    line ("ATCD familiaux : père diabétique") covers that line and the next
    lines that continue it (a bullet, or a lower-case start). A header alone
    on its line covers the next lines up to a blank line after some content,
    a prose line or the next header. ``folded_text``: ``fold_chars(text)``
    if the caller has it (one character for one: lines keep their offsets)."""
    folded_text = _fold(text) if folded_text is None else folded_text
    sections: list[Section] = []
    cur_kind: str | None = None
    cur_start = 0
    inline = False
    has_content = False
    pos = 0

    def close(end):
        nonlocal cur_kind
        if cur_kind is not None:
            sections.append(Section(cur_start, end, cur_kind))
        cur_kind = None

    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        folded_line = folded_text[pos:pos + len(line)]
        kind = _header_kind(folded_line) if stripped else None
        if kind is not None:
            close(pos)
            cur_kind, cur_start = kind, pos
            inline = bool(re.search(r"[:\-]\s*\S", stripped))
            has_content = inline
        elif cur_kind is not None:
            if not stripped:
                if has_content:
                    close(pos)
            elif inline:
                if not (_BULLET.match(line) or stripped[0].islower()):
                    close(pos)
            elif not _BULLET.match(line) and len(stripped) > MAX_LIST_LINE:
                close(pos)
            else:
                has_content = True
        pos += len(line)
    close(pos)
    return [cut for s in sections if s.kind != "other" for cut in _patient_sentence(s, folded_text)]


# "Antécédents familiaux : père diabétique. Une hypercholestérolémie familiale
# est suspectée chez le patient.": a sentence that names the patient ends a
# family section (round 12a)
_THE_PATIENT = re.compile(r"(?:^|[.;]\s+)(?=[^.;\n]*\bchez\s+(?:le|la|ce|cette|notre|l')\s*patiente?\b)")


def _patient_sentence(section: Section, folded_text: str) -> list[Section]:
    """``section`` cut before its first sentence about the patient (family sections only)."""
    if section.kind != "family":
        return [section]
    m = _THE_PATIENT.search(folded_text, section.start, section.end)
    if m is None or m.end() <= section.start + 1:
        return [section]
    return [Section(section.start, m.end(), section.kind)]


class SectionIndex:
    """Which section kind holds a character offset; ``folded`` is the folded
    text (``fold_chars``), for other matchers on the same note."""

    def __init__(self, text: str):
        self.folded = fold_chars(text)
        self.sections = find_sections(text, self.folded)
        self._starts = [s.start for s in self.sections]

    def kind_at(self, offset: int) -> str | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.sections[i].end:
            return self.sections[i].kind
        return None
