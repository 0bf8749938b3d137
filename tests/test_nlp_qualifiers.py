"""The one-pass qualifier (nlp/qualifiers.py) against the edsnlp qualifiers it
replaces: built with the same cue lists, on the spans the engine finds in the
development letters and the gold sentences, both give the same negation,
hypothesis and family flags and the same cues."""

from __future__ import annotations

import pytest

try:
    from test_nlp_letters import load_letters
    from test_nlp_quality import load_gold
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_letters import load_letters
    from tests.test_nlp_quality import load_gold

SPANS_KEY = "test_qualifier_spans"


def _spans_of(doclike):
    doc = getattr(doclike, "doc", doclike)
    spans = doc.user_data.get(SPANS_KEY, ())
    if doclike is doc:
        return spans
    return [s for s in spans if s.start >= doclike.start and s.end <= doclike.end]


@pytest.fixture(scope="module")
def edsnlp_qualifiers(nlp_engine):
    from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier
    from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
    from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier

    from nlp.pipeline import _cues
    from nlp.qualifiers import cue_terms

    nlp = nlp_engine.nlp
    cues = _cues()
    family = cue_terms(cues)["family"]["family"]
    return [
        NegationQualifier(nlp, "test_negation", span_getter=_spans_of, explain=True,
                          pseudo=cues["negation_pseudo"], preceding=cues["negation_preceding"],
                          following=cues["negation_following"], termination=cues["termination"]),
        HypothesisQualifier(nlp, "test_hypothesis", span_getter=_spans_of, explain=True,
                            pseudo=cues["hypothesis_pseudo"],
                            preceding=cues["hypothesis_preceding"],
                            following=cues["hypothesis_following"],
                            termination=cues["hypothesis_termination"]),
        FamilyContextQualifier(nlp, "test_family", span_getter=_spans_of, explain=True,
                               use_sections=False, termination=cues["family_termination"],
                               family=family),
    ]


# "ne ... pas" wordings (edsnlp's regex cue) that the letters seldom use
NE_PAS = [
    "Le patient ne présente pas de fièvre. Il NE fume   plus et ne boit point d'alcool.",
    "Elle ne   \n  rapporte ni douleur ni dyspnée ; né le 3 mai, ne signale aucun malaise.",
    "Ne-pas (ne) jamais ; il ne l'a rien dit. Pas de diabète.",
]


def _texts():
    return ([item["text"] for item in load_letters()] + [item["text"] for item in load_gold()]
            + NE_PAS)


@pytest.mark.nlp
def test_one_pass_qualifier_agrees_with_edsnlp(nlp_engine, edsnlp_qualifiers):
    from spacy.tokens import Span

    checked = qualified = regex_cues = 0
    regex_matcher = edsnlp_qualifiers[0].regex_matcher  # "ne ... pas" on NORM
    for text in _texts():
        doc, items = nlp_engine._parse(text, None)
        expected = [(m.start, m.end) for m in regex_matcher(doc, as_spans=True)]
        assert nlp_engine.payload.qualifier._regex_cues(doc) == expected
        regex_cues += len(expected)
        ranges = [(c.start, c.end) for c, _ in items]
        ours = nlp_engine.payload.qualifier(doc, ranges, own_rules=False)
        spans = [Span(doc, s, e, label="test") for s, e in ranges]
        doc.user_data[SPANS_KEY] = spans
        for pipe in edsnlp_qualifiers:
            doc = pipe(doc)
        for span, q in zip(spans, ours):
            theirs = (bool(span._.negation), bool(span._.hypothesis),
                      {(c.start, c.end) for c in span._.hypothesis_cues}, bool(span._.family),
                      {(c.start, c.end) for c in span._.family_cues})
            mine = (q.negation, q.hypothesis, set(q.hypothesis_cues), q.family, set(q.family_cues))
            assert mine == theirs, (span.text, span.sent.text)
            checked += 1
            qualified += q.negation or q.hypothesis or q.family
    assert checked > 1000 and qualified > 150 and regex_cues >= 5  # every kind of cue


def test_pseudo_cue_removes_the_cues_it_covers():
    from nlp.qualifiers import _filter_pseudo

    matches = [(0, 2, "pseudo"), (1, 2, "preceding"), (3, 4, "following"), (0, 3, "preceding")]
    # "pas de doute" (pseudo) hides "de doute"; a longer cue survives it
    assert _filter_pseudo(matches) == [(0, 3, "preceding"), (3, 4, "following")]


def test_scopes_end_at_terminations_and_sentences():
    from nlp.qualifiers import PRECEDING, FOLLOWING, _scoped

    starts = [0, 10, 20]  # two sentences
    spans = [(2, 3), (6, 7), (12, 13)]
    matches = [(0, 1, "preceding"), (4, 5, "termination"), (14, 15, "following")]
    cues = _scoped(spans, matches, starts, PRECEDING, FOLLOWING)
    # the cue before the termination qualifies the first span only; a
    # following cue qualifies what precedes it in its sentence
    assert cues == [[(0, 1)], [], [(14, 15)]]
