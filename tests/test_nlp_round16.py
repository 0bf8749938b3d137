"""Round 16 of issue 15 (docs/nlp-engine.md, "Round 16"): probe sentences of my own
wording, several per family of error found on the round's blind letters
(tests/data/nlp/letters/17_round16.txt, whose sentences these are not): a diagnosis "en
cours d'exploration / de bilan" (a hypothesis) against a finding "à explorer" (there),
"Diagnostic à retenir en priorité :", "X est la première hypothèse", "plutôt X que Y",
"une première poussée de SEP" (the first event presupposes no disease), "X suspectée,
non confirmée" (a hypothesis, not a negation), a list of tests closed by "négatives", a
drug in a parenthesis after a hedged treatment, a spouse as a sentence's subject (no
blood relative: no concept), a disease named in an imaging sequence's label, and two
concepts the lexicon lacked."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a diagnosis under exploration
    ("Maladie coeliaque en cours d'exploration.", "K90.0", "hypothetical"),
    ("Une sarcoïdose est en cours d'exploration.", "D86", "hypothetical"),
    ("Pneumopathie interstitielle en cours de bilan.", "J84.9", "hypothetical"),
    ("Lymphome en cours d'investigation.", "C85.9", "hypothetical"),
    ("Vascularite en cours d'exploration par biopsie.", "M31.9", "hypothetical"),
    ("Une vascularite est en cours de bilan.", "M31.9", "hypothetical"),
    # a finding whose cause is sought stays there
    ("Anémie normocytaire à explorer.", "D64.9", "affirmed"),
    ("Infertilité secondaire à explorer.", "N97.9", "affirmed"),
    ("HTA. Anémie ferriprive en cours de bilan.", "D50.9", "affirmed"),
    ("Thrombopénie en cours d'exploration.", "D69.6", "affirmed"),
    ("Diabète de type 2 connu, anémie en cours d'exploration.", "E11", "affirmed"),
    # the diagnosis to favour
    ("Diagnostic à retenir en priorité : fibrose pulmonaire.", "J84.1", "hypothetical"),
    ("Hypothèse principale : sarcoïdose.", "D86", "hypothetical"),
    ("Diagnostic à privilégier : maladie de Horton.", "M31.6", "hypothetical"),
    ("Une polyarthrite rhumatoïde est à privilégier.", "M06.9", "hypothetical"),
    ("Diagnostic retenu : pneumopathie franche lobaire aiguë.", "J18.1", "affirmed"),
    # "plutôt X que Y": both weighed
    ("Plutôt une colite microscopique qu'un syndrome de l'intestin irritable.", "K52.8", "hypothetical"),
    ("Plutôt une colite microscopique qu'un syndrome de l'intestin irritable.", "K58", "hypothetical"),
    ("Il s'agit plutôt d'une migraine que d'un AIT.", "G43", "hypothetical"),
    ("Il s'agit plutôt d'une migraine que d'un AIT.", "G45.9", "hypothetical"),
    ("On évoque plutôt une sarcoïdose qu'une tuberculose.", "A16.9", "hypothetical"),
    ("Asthme plutôt bien contrôlé sous Symbicort.", "J45", "affirmed"),
    ("Patiente plutôt asthénique ces jours-ci.", "R53", "affirmed"),
    ("Pas de fièvre plus que d'une toux.", "R05", "affirmed"),
    # "X est la première hypothèse", "reste notre hypothèse principale"
    ("Une pneumopathie médicamenteuse est la première hypothèse.", "J70.4", "hypothetical"),
    ("Une sarcoïdose est notre hypothèse principale.", "D86", "hypothetical"),
    ("Une sarcoïdose reste la principale hypothèse.", "D86", "hypothetical"),
    ("Une migraine est l'autre hypothèse.", "G43", "hypothetical"),
    # the first event of a disease does not presuppose it; a later one does
    ("Myélite très évocatrice d'une première poussée de sclérose en plaques.", "G35", "hypothetical"),
    ("Poussée inaugurale de maladie de Crohn probable.", "K50", "hypothetical"),
    ("Une première poussée de PR est possible.", "M06.9", "hypothetical"),
    ("Poussée de maladie de Crohn probable.", "K50", "affirmed"),
    # suspected, not confirmed: a hypothesis
    ("Une maladie de Crohn est suspectée, non confirmée.", "K50", "hypothetical"),
    ("Sarcoïdose suspectée, non confirmée par la biopsie.", "D86", "hypothetical"),
    ("Une embolie pulmonaire est suspectée mais non confirmée.", "I26", "hypothetical"),
    ("Lupus évoqué, pas encore confirmé.", "M32.9", "hypothetical"),
    ("Une endocardite reste possible, non prouvée.", "I38", "hypothetical"),
    ("Embolie pulmonaire non confirmée par l'angioscanner.", "I26", "negated"),
    # a relative and a spouse in one sentence: the relative's
    ("Mère et mari diabétiques.", "E14", "family"),
    ("ATCD familiaux : mère épileptique. Son mari est diabétique.", "G40", "family"),
    # a list of tests closed by a plural negative result, with items that are no concept
    ("Sérologies EBV, CMV, parvovirus B19 négatives.", "B25.9", "negated"),
    ("Sérologies CMV et EBV négatives.", "B25.9", "negated"),
    ("Quantiféron, sérologie VIH et antigénurie légionelle négatifs.", "B24", "negated"),
    ("Recherche de BK, sérologie VIH et Quantiféron négatifs.", "B24", "negated"),
    ("Sérologie VIH négative, CMV positive et EBV négatives.", "B25.9", "affirmed"),
    ("Sérologies CMV positive, EBV et VIH négatives.", "B25.9", "affirmed"),
    ("Sérologies VIH négative. Hépatite B, C traitées.", "B18.1", "affirmed"),
    # a drug in a parenthesis after a hedged treatment
    ("Un traitement de fond sera discuté au retour des résultats (Tecfidera ou Aubagio).", "N07XX09", "hypothetical"),
    ("Une anticoagulation pourra être proposée (Eliquis).", "B01AF02", "hypothetical"),
    ("Une biothérapie est à discuter (Humira ou Remicade) selon les résultats.", "L04AB02", "hypothetical"),
    ("Un traitement anti-TNF sera envisagé (Humira).", "L04AB04", "hypothetical"),
    ("Une anticoagulation est prescrite (Eliquis 5 mg x2).", "B01AF02", "affirmed"),
    ("Prolia à discuter après le bilan, vitamine D (Uvedose 100 000 UI).", "A11CC05", "affirmed"),
    ("Un relais sera discuté. Poursuite du traitement (Kardégic).", "B01AC06", "affirmed"),
    # concepts
    ("Une tumeur cérébrale reste à éliminer par l'IRM.", "D43.2", "hypothetical"),
    ("Malaise avec mouvements anormaux des membres.", "R25.8", "affirmed"),
])
def test_round16_probes(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", [
    # a spouse is no blood relative, and the disease is not the patient's
    ("Son mari est diabétique.", "E14"),
    ("Son épouse est asthmatique.", "J45"),
    ("Son époux a fait un infarctus en 2019.", "I21"),
    ("ATCD familiaux : mère épileptique. Son mari est diabétique.", "E14"),
    # a sequence's label, when the note names the disease elsewhere
    ("Crise d'épilepsie probable. IRM cérébrale avec séquences épilepsie.", "G40"),
])
def test_round16_no_concept(nlp_engine, text, code):
    got = {c for c, _ in found(nlp_engine, text)}
    if text.startswith("Crise"):
        assert (code, "affirmed") not in found(nlp_engine, text)
    else:
        assert not any(g.startswith(code) for g in got)
