"""The qualifier pass's faster forms keep its behaviour (nlp/qualifiers.py; bench/README.md, "the
qualifier pass"): regex cues written letter first match where the ``\\b`` form does, and the
engine still reads the "n'a pas été retrouvé" and "ne ... pas" cues at word boundaries only."""

from __future__ import annotations

import re

import pytest

# word boundaries the rewrite must keep: start of text, inside a word ("une", "aucune"), after an
# accented letter, a digit, an underscore, an apostrophe, a hyphen or a line break
TRICKY = [
    "ne fume pas", "une toux ne cede pas", "aucune ne reste pas", "éne rien", "3ne pas", "_ne pas",
    "l'ne jamais", "-ne point", "x\nne pas ni", "n'a pas ete retrouve", "un'a pas ete retrouve",
    "il n'est jamais confirmee", "ne", "n", "", "nene ne ne pas",
]


def test_literal_first_keeps_the_matches_of_the_engine_regexes():
    from nlp.pipeline import NEGATION_FOLLOWING_REGEX
    from nlp.qualifiers import _literal_first, negation_regex

    for pattern in negation_regex() + NEGATION_FOLLOWING_REGEX:
        rewritten = _literal_first(pattern)
        assert rewritten != pattern and not rewritten.startswith("\\b")
        for text in TRICKY:
            assert ([m.span() for m in re.finditer(rewritten, text)]
                    == [m.span() for m in re.finditer(pattern, text)]), (pattern, text)


def test_literal_first_leaves_other_patterns_alone():
    from nlp.qualifiers import _literal_first

    for pattern in (r"\bn?e\b", r"\bn+", r"\b(?:ne)", r"ne\b", r"\b\d+", r"\bé"):
        assert _literal_first(pattern) == pattern


def _assertions(engine, text: str) -> dict[str, str]:
    return {c.text.lower(): c.assertion for c in engine.extract(text)}


@pytest.mark.nlp
def test_regex_cues_negate_at_word_boundaries_only(nlp_engine):
    found = _assertions(nlp_engine, "Scanner thoracique : une embolie pulmonaire n'a finalement pas été "
                                    "retrouvée. Le patient ne présente pas de fièvre.")
    assert found.get("embolie pulmonaire") == "negated"
    assert found.get("fièvre") == "negated"
    found = _assertions(nlp_engine, "Le patient présente une fièvre, une toux pas grasse.")
    assert found.get("fièvre") == "affirmed"


@pytest.mark.nlp
def test_sentence_starts_of_an_empty_and_a_short_note(nlp_engine):
    from nlp.qualifiers import sentence_starts

    assert sentence_starts(nlp_engine.nlp.make_doc("")) == [0]
    doc, _ = nlp_engine._parse("Pas de fièvre. Toux sèche.", None)
    assert sentence_starts(doc) == [0, 4, len(doc)]
