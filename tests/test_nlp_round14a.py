"""Round 14a of issue 15 (docs/nlp-engine.md, "Round 14a: assertion classes"): probe
sentences per family of wordings of the assertion classes, several wordings each, with
the controls each family must keep. The sentences are not the letters' own
(tests/data/nlp/letters/14_round14a.txt)."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found

pytestmark = pytest.mark.nlp


@pytest.mark.parametrize("text, code, assertion", [
    # a sentence adverb inside a ruling-out cue keeps the cue
    ("Une néoplasie sous-jacente doit toutefois être écartée.", "C80", "hypothetical"),
    ("Une tuberculose doit néanmoins être éliminée.", "A16", "hypothetical"),
    ("Un myélome devra cependant être exclu.", "C90", "hypothetical"),
    ("Une endocardite doit également être éliminée.", "I38", "hypothetical"),
    ("Un lymphome doit aussi être écarté.", "C85", "hypothetical"),
    ("Une embolie pulmonaire reste toutefois à éliminer.", "I26", "hypothetical"),
    ("Une sarcoïdose n'est cependant pas exclue.", "D86", "hypothetical"),
    ("Un cancer ne peut toutefois pas être exclu.", "C80", "hypothetical"),
    # ... and a ruling-out already done still denies
    ("Une endocardite a été éliminée par l'ETO.", "I38", "negated"),
    # a list of differentials, its last item not found or its title worded otherwise
    ("Les diagnostics différentiels discutés sont une scarlatine, une toxidermie ou une "
     "infection à adénovirus.", "L27", "hypothetical"),
    ("Les diagnostics différentiels évoqués sont une scarlatine et une toxidermie.", "A38",
     "hypothetical"),
    ("En diagnostic différentiel, une maladie de Still.", "M06", "hypothetical"),
    ("Le diagnostic différentiel se pose avec une pancréatite aiguë.", "K85", "hypothetical"),
    ("Une scarlatine ou une toxidermie, moins probables, sont discutées.", "A38", "hypothetical"),
    ("Une sarcoïdose est discutée.", "D86", "hypothetical"),
    ("DD : lymphome, sarcoïdose.", "D86", "hypothetical"),
    ("La lésion évoque une dermatophytie, un psoriasis inversé restant le principal diagnostic "
     "différentiel.", "L40", "hypothetical"),
    # ... while "DD" followed by a result is the D-dimers
    ("DD négatifs, pas d'embolie pulmonaire.", "I26", "negated"),
    ("DD : 1200, embolie pulmonaire confirmée.", "I26", "affirmed"),
    # the leading hypothesis, and a cue after the comma that ends its predicate
    ("Conclusion : une maladie de Kawasaki est au premier plan, à confirmer par "
     "l'échographie.", "M30", "hypothetical"),
    ("Une pneumopathie est au premier plan.", "J18", "hypothetical"),
    ("Une sarcoïdose reste l'hypothèse principale, à confirmer par la biopsie.", "D86",
     "hypothetical"),
    # ... while a definite subject at the first rank is the main finding
    ("L'asthénie est au premier plan, sans perte de poids.", "R53", "affirmed"),
    # weighed in other words
    ("Les lésions sont à rapporter à une sarcoïdose.", "D86", "hypothetical"),
    ("Les lésions hépatiques peuvent aussi correspondre à des kystes biliaires.", "K83",
     "hypothetical"),
    ("La toux pourrait également traduire un asthme.", "J45", "hypothetical"),
    ("Il s'agit a priori d'une sarcoïdose.", "D86", "hypothetical"),
    ("Sarcoïdose sans certitude.", "D86", "hypothetical"),
    ("Le tableau plaide pour une sarcoïdose.", "D86", "hypothetical"),
    ("Le dosage des IgG4 permettra d'orienter vers une pancréatite auto-immune.", "K85",
     "hypothetical"),
    ("Une hépatite auto-immune fait partie des hypothèses.", "K75", "hypothetical"),
    ("Une sarcoïdose n'a pas été formellement exclue.", "D86", "hypothetical"),
    ("Une sarcoïdose n'est pas totalement éliminée.", "D86", "hypothetical"),
    ("Sarcoïdose non documentée à ce stade.", "D86", "hypothetical"),
    ("Une hypotension orthostatique pourrait être responsable de la chute.", "I95",
     "hypothetical"),
    # a disease opening its clause before "envisagée / proposée" is weighed ...
    ("Une pyélonéphrite est envisagée.", "N10", "hypothetical"),
    ("Un asthme, une BPCO ou une insuffisance cardiaque sont envisagés.", "J44", "hypothetical"),
    # ... not the ground of a treatment to come
    ("Une ablation du flutter est envisagée.", "I48", "affirmed"),
    ("Une chimiothérapie pour son cancer du sein est envisagée.", "C50", "affirmed"),
    # tests still pending, the list in parentheses
    ("Sérologies en attente (VIH, VHB).", "B24", "hypothetical"),
    ("Sérologies (VIH, VHB) en attente.", "B18", "hypothetical"),
    ("Sérologie (VIH) négative.", "B24", "negated"),
    # what a definite article names after a hedged link is known
    ("Hyponatrémie probablement iatrogène (Lasilix) et possible participation du Tramadol et "
     "du Seresta.", "N05BA04", "affirmed"),
    ("Hyponatrémie probablement iatrogène (Lasilix) et possible participation du Tramadol et "
     "du Seresta.", "N02AX02", "affirmed"),
    ("Confusion avec une possible responsabilité du Seresta.", "N05BA04", "affirmed"),
    ("Chute favorisée par le Seresta ?", "N05BA04", "affirmed"),
    ("Un rôle favorisant de l'Eliquis est possible.", "B01AF02", "affirmed"),
    ("Hépatite possiblement liée à l'Augmentin.", "J01CR02", "affirmed"),
    ("Anémie possiblement secondaire à l'hypothyroïdie.", "E03", "affirmed"),
    ("Une fibrillation atriale paroxystique pourrait expliquer l'AVC.", "I64", "affirmed"),
    ("Sa BPCO peut expliquer la dyspnée.", "J44", "affirmed"),
    ("Le patient présente une plaie du pied suspecte d'ostéite.", "T14", "affirmed"),
    # ... while an indefinite one is still weighed
    ("Anémie possiblement liée à une hypothyroïdie.", "E03", "hypothetical"),
    ("Une FA pourrait expliquer un AVC.", "I64", "hypothetical"),
    ("Le patient présente une plaie du pied suspecte d'ostéite.", "M86", "hypothetical"),
    ("Un relais par Xarelto pourra être discuté.", "B01AF01", "hypothetical"),
    # a following cue after "pour" is about the purpose, not the treatment given
    ("Augmentin pour une pneumopathie probable.", "J01CR02", "affirmed"),
    ("Augmentin pour une pneumopathie probable.", "J18", "hypothetical"),
    ("Traitement d'épreuve par Colchicine pour une possible maladie périodique.", "M04AC01",
     "affirmed"),
    # an adverb before "à éliminer" (a termination at the cue's start otherwise)
    ("Une néoplasie est toutefois à éliminer.", "C80", "hypothetical"),
    ("Une EP reste néanmoins à éliminer.", "I26", "hypothetical"),
    # a patient named in the next clause leaves the relative's clause family
    ("Mère diabétique ; un diabète est à dépister chez la patiente.", "E14", "family"),
    ("Sa mère a un lupus, un lupus est suspecté chez la patiente.", "M32", "family"),
    ("Sa mère a un lupus, un lupus est suspecté chez la patiente.", "M32", "hypothetical"),
    ("Une hypercholestérolémie familiale est suspectée chez le patient.", "E78", "hypothetical"),
    # a denied family header covers the list of what it denies
    ("Pas d'ATCD familial notable, en particulier pas d'anévrisme intracrânien.", "I67", "family"),
    ("Pas d'antécédent familial particulier, notamment pas de cancer colique.", "C18", "family"),
    ("Pas d'ATCD familial, notamment pas de diabète.", "E14", "family"),
    # ... not the next sentence, nor the patient's own clause
    ("Pas d'ATCD familial notable. Pas de cancer colique.", "C18", "negated"),
    ("Pas d'antécédent familial notable, il est diabétique.", "E14", "affirmed"),
])
def test_round14a_wordings(nlp_engine, text, code, assertion):
    got = found(nlp_engine, text)
    assert any(c.startswith(code) and a == assertion for c, a in got), got


@pytest.mark.parametrize("text, code, kept", [
    # a denied finding repeated in a condition is that finding again
    ("Pas de fièvre. Reconsulter en cas de fièvre.", "R50", "negated"),
    ("Pas de céphalée. Reconsulter en cas de céphalée brutale.", "R51", "negated"),
    ("Absence de vomissements. Primpéran si vomissements.", "R11", "negated"),
    ("Pas de douleur thoracique. Appeler le 15 en cas de douleur thoracique.", "R07", "negated"),
    # an episode of a disease the note gives, in a condition, is that disease
    ("ATCD : migraine. Relpax 40 mg si crise migraineuse.", "G43", "affirmed"),
    ("Asthme connu. Ventoline 2 bouffées si crise d'asthme.", "J45", "affirmed"),
    ("Goutte. Colchicine si crise de goutte.", "M10", "affirmed"),
])
def test_a_condition_repeating_a_finding_adds_no_hypothesis(nlp_engine, text, code, kept):
    got = {(c[:3], a) for c, a in found(nlp_engine, text)}
    assert (code, kept) in got and (code, "hypothetical") not in got, got


def test_a_condition_alone_still_hedges(nlp_engine):
    """The controls: a finding named only in a condition, or an episode of another
    disease, stays hypothetical."""
    assert ("R50", "hypothetical") in found(nlp_engine, "Reconsulter en cas de fièvre.")
    got = {(c[:3], a) for c, a in found(nlp_engine, "Patient épileptique. Buccolam si crise convulsive.")}
    assert ("R56", "hypothetical") in got and ("G40", "affirmed") in got
