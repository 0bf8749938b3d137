"""The engine's parse stage gives what the pipeline's own pipes give: the faster stand-ins of ``nlp/components.py``
(sentence segmenter, NORM rewriters in one pass) must not change a sentence start, a NORM or a concept."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

pytestmark = pytest.mark.nlp

LETTERS = Path(__file__).parent / "data" / "nlp" / "letters"

EDGE_TEXTS = [
    "Motif : dyspnée.\n\nAntécédents :\n- HTA ancienne. Le patient 1.5 va.\n* diabète\n• BPCO",
    "Pas de fièvre.\n- Diabète de type 2 équilibré\n→ Kardégic 75 mg",
    "ATCD: HTA. 2. FA paroxystique; 3) AVC ? NON.\r\nDr. Martin, M. X., EP. à éliminer",
    "",
    "\n\n\n",
    "Hypertention artérielle et vomissments, oedemes des membres inférieurs",
]


def _letter_texts() -> list[str]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_nlp import real_letters

    return real_letters([LETTERS])


def _fuzz(n: int = 400) -> list[str]:
    rng = random.Random(15)
    alphabet = list("abcAB. ,;:!?\n\r\t-*•+12()'\"«»…·→") + ["  ", "\n\n", "M.", "Dr.", "EP.", "Le", "ALD", "1.5"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(n)]


def _arrays(doc):
    from spacy.attrs import NORM, SENT_START

    return doc.to_array([SENT_START]).tolist(), doc.to_array([NORM]).tolist()


def test_parse_pipes_are_the_fast_ones(nlp_engine):
    from nlp.components import ChainedRewriter, FastSentences

    kinds = [type(p) for p in nlp_engine._parse_pipes()]
    assert kinds == [FastSentences, ChainedRewriter]


def test_fast_pipes_give_the_pipelines_sentences_and_norms(nlp_engine):
    nlp = nlp_engine.nlp
    own = [nlp.get_pipe(name) for name in ("sentences", "normalizer", "typos")]
    for text in EDGE_TEXTS + _letter_texts() + _fuzz():
        slow = nlp.make_doc(text)
        for pipe in own:
            slow = pipe(slow)
        fast = nlp.make_doc(text)
        for pipe in nlp_engine._parse_pipes():
            fast = pipe(fast)
        assert _arrays(fast) == _arrays(slow), repr(text[:120])


def test_other_sentence_settings_keep_edsnlps_segmenter(nlp_engine):
    from edsnlp.pipes.core.sentences.sentences import SentenceSegmenter

    from nlp.components import FastSentences

    nlp = nlp_engine.nlp
    assert FastSentences.of(nlp.get_pipe("sentences"), nlp.vocab) is not None
    for settings in ({"use_bullet_start": False}, {"check_capitalized": False}, {"min_newline_count": 2},
                     {"use_bullet_start": True, "hard_newline_count": 1}):
        assert FastSentences.of(SentenceSegmenter(nlp, **settings), nlp.vocab) is None, settings
    assert FastSentences.of(object(), nlp.vocab) is None


def test_bullets_and_sentences_bound_the_qualifiers(nlp_engine):
    text = "Pas de fièvre.\n- Diabète de type 2 équilibré\nAbsence de toux. Asthme connu."
    found = {(c.code, c.assertion) for c in nlp_engine.extract(text)}
    assert ("R50", "negated") in found or ("R50.9", "negated") in found, found
    assert any(code.startswith("E11") and a == "affirmed" for code, a in found), found
    assert any(code.startswith("J45") and a == "affirmed" for code, a in found), found


@pytest.mark.parametrize("text, code", [
    ("Perte de 6 kg en deux mois.", "R63.4"),
    ("AMAIGRISSEMENT DE 5 KG.", "R63.4"),
    ("Il a perdu 4,5 Kilos.", "R63.4"),
    ("Prise de 8 kilos depuis l'arrêt du tabac.", "R63.5"),
])
def test_weight_changes_with_their_unit(nlp_engine, text, code):
    assert code in {c.code for c in nlp_engine.extract(text)}


def test_weight_changes_need_their_unit(nlp_engine):
    from nlp.engine import WEIGHT_CHANGES, EdsEngine

    assert not {"R63.4", "R63.5"} & {c.code for c in nlp_engine.extract("Perte de 6 points, prise de 3 cm.")}
    # the parse stage skips these patterns when the note has no "kg" nor "kilo": each must require one
    for pattern, _ in WEIGHT_CHANGES:
        assert "(?:kg|kilos?)" in pattern.pattern, pattern.pattern
        assert EdsEngine._WEIGHT_HINT.flags & pattern.flags & 2  # both ignore case


# the rule patterns as first written (lookbehind first: tried at every character), the oracle of their rewrites
_FEVER_AS_FIRST_WRITTEN = (r"(?<![\w°])(?:T|T°|Temp|temp|Température|température|t°)\s*(?:[:=à]\s*)?"
                           r"(?:3[89]|4[0-2])(?:(?:[,.]\d{1,2})\s*(?:°\s*C?)?|\s*°\s*C?)(?!\d|[,.]\d)")
_CODE_AS_FIRST_WRITTEN = r"(?<![A-Za-z0-9.])([A-Z][0-9]{2})\.([0-9]{1,3})(?![0-9A-Za-z])"


@given(st.text(alphabet="Tt°empératurEAJZ0123456789.,:=à C\nx", max_size=40))
@hypothesis_settings(max_examples=600, deadline=None, derandomize=True, database=None)
def test_rule_patterns_match_as_first_written(text):
    """The fever-figure and written-code patterns, rewritten letter first, find the same spans and groups."""
    import re

    from nlp import engine

    for pattern, first in ((engine._FEVER_FIGURE, _FEVER_AS_FIRST_WRITTEN),
                           (engine._WRITTEN_CODE, _CODE_AS_FIRST_WRITTEN)):
        found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert found == [(m.span(), m.groups()) for m in re.finditer(first, text)]


@pytest.mark.parametrize("text, code, expected", [
    ("À l'entrée T° 38,6 °C, frissons.", "R50", True),
    ("Température à 39° le soir.", "R50", True),
    ("AT 38,5 au contrôle.", "R50", False),  # a word ending in T is no temperature
    ("Codé E11.9 au PMSI.", "E11", True),
    ("Réf. XE11.9 du lot.", "E11", False),  # inside a reference
])
def test_fever_figures_and_written_codes(nlp_engine, text, code, expected):
    assert any(c.code.startswith(code) for c in nlp_engine.extract(text)) is expected
