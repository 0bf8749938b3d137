"""Round 13a of issue 15 (docs/nlp-engine.md, "Round 13a: assertion classes"): one
probe sentence per family of wordings of the assertion classes fixed on the round's
letters (tests/data/nlp/letters/11_round12b.txt, 12_round13a.txt). The sentences are
not the letters' own."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found

pytestmark = pytest.mark.nlp


@pytest.mark.parametrize("text, code, assertion", [
    # a diagnosis evoked, then ruled out, is denied, whatever stands between
    ("Une embolie pulmonaire avec infarctus pulmonaire (douleur basithoracique) a été "
     "suspectée puis éliminée.", "I26", "negated"),
    ("Une méningite a initialement été évoquée chez ce patient fébrile, puis écartée par la "
     "ponction lombaire.", "G03", "negated"),
    # ... while an evocation left open stays a hypothesis
    ("Une méningite a été évoquée, la ponction lombaire est prévue.", "G03", "hypothetical"),
    ("Une embolie pulmonaire a été évoquée puis confirmée par l'angioscanner.", "I26", "affirmed"),
    # a hedge on the origin of a diagnosis hedges neither the diagnosis nor its ground
    ("Hématome intracérébral lobaire gauche d'origine amyloïde probable.", "I61", "affirmed"),
    ("Insuffisance cardiaque globale d'origine rythmique probable sur flutter.", "I50",
     "affirmed"),
    ("Insuffisance cardiaque globale d'origine rythmique probable sur flutter.", "I48",
     "affirmed"),
    ("Pneumopathie dont l'origine reste à préciser : une légionellose est suspectée.", "J18",
     "affirmed"),
    # ... while a ground named inside the hedge stays hedged
    ("Une origine embolique sur une endocardite est suspectée.", "I38", "hypothetical"),
    # a following cue after ":" with its own subject does not reach back
    ("Ulcère de jambe : une ostéite sous-jacente est à éliminer.", "L97", "affirmed"),
    ("Ulcère de jambe : une ostéite sous-jacente est à éliminer.", "M86", "hypothetical"),
    ("Pneumopathie : à confirmer.", "J18", "hypothetical"),
    # the event after "post-" is the ground of a hedged finding
    ("Un syndrome dépressif post-infarctus est à rechercher.", "I21", "affirmed"),
    ("Un syndrome dépressif post-infarctus est à rechercher.", "F32", "hypothetical"),
    # a screening proposed or advised looks for the disease
    ("Un dépistage de la syphilis et du VIH est conseillé.", "A53", "hypothetical"),
    ("Dépistage VHC proposé au patient.", "B18", "hypothetical"),
    # ... while its result settles it
    ("Dépistage VIH négatif en 2023.", "B24", "negated"),
    # a treatment made conditional on a workup is not given yet
    # "Parmi les hypothèses, X" opens a hypothesis before the span
    ("Parmi les diagnostics différentiels, une maladie de Horton.", "M31", "hypothetical"),
    ("Parmi les hypothèses, une sarcoïdose et une tuberculose.", "A16", "hypothetical"),
    # "Antécédents personnels et familiaux :" is a header: only the relatives are family
    ("Antécédents personnels et familiaux : asthme, mère hypertendue.", "J45", "affirmed"),
    ("Antécédents personnels et familiaux : asthme, mère hypertendue.", "I10", "family"),
    # a bare "Enfant" opening a sentence is the patient
    ("Enfant fébrile depuis deux jours.", "R50", "affirmed"),
    ("Enfant : asthme.", "J45", "family"),
    ("La reprise du Xarelto est conditionnée au contrôle du scanner.", "B01AF01", "hypothetical"),
    ("Une biothérapie par Humira, subordonnée à un bilan infectieux, pourra être débutée.",
     "L04AB04", "hypothetical"),
    # ... and the cue is a treatment cue: a disease before it stays affirmed
    ("Le traitement de sa polyarthrite rhumatoïde est conditionné à la tolérance hépatique.",
     "M06", "affirmed"),
])
def test_round13a_wordings(nlp_engine, text, code, assertion):
    got = found(nlp_engine, text)
    assert any(c.startswith(code) and a == assertion for c, a in got), got


def test_a_sign_repeated_in_a_condition_in_other_words_is_not_hedged(nlp_engine):
    """"Vomissements ... Vogalène si nausées" names the same sign again (R11): no
    hypothetical triple beside the affirmed one; a condition alone still hedges."""
    got = found(nlp_engine, "Vomissements répétés depuis hier soir. Vogalène 1 cp si nausées.")
    assert ("R11", "affirmed") in got and ("R11", "hypothetical") not in got
    got = found(nlp_engine, "Enfant fébrile à 39 °C. Doliprane 15 mg/kg si fièvre.")
    assert ("R50", "affirmed") in got and ("R50", "hypothetical") not in got
    assert ("R11", "hypothetical") in found(nlp_engine, "Reconsulter en cas de nausées.")
