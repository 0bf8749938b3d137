"""Round 11 of issue 15 (docs/nlp-engine.md, "Round 11"): one probe sentence per
family of wordings of undecided diagnoses and of differential diagnoses fixed on
the round's letters (tests/data/nlp/letters/09_round11.txt). The sentences are
not the letters' own."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found

pytestmark = pytest.mark.nlp


@pytest.mark.parametrize("text, code, assertion", [
    # "X doit être éliminé(e)": a workup still to do, not a ruled-out diagnosis
    ("Une embolie pulmonaire doit être éliminée par un angioscanner.", "I26", "hypothetical"),
    ("Une endocardite devra être exclue par une ETO.", "I38", "hypothetical"),
    ("Une tuberculose et une sarcoïdose doivent être écartées.", "D86", "hypothetical"),
    ("Une maladie de Horton doit être recherchée.", "M31.6", "hypothetical"),
    ("Il faudra éliminer une insuffisance surrénale.", "E27.4", "hypothetical"),
    ("Il convient d'exclure une embolie pulmonaire.", "I26", "hypothetical"),
    ("Une myocardite n'a pas pu être formellement éliminée.", "I40", "hypothetical"),
    ("Une leucémie aiguë paraît improbable.", "C95.0", "hypothetical"),
    ("Un myélome sera éliminé par l'électrophorèse des protéines.", "C90.0", "hypothetical"),
    ("Une embolie pulmonaire ou une pneumopathie sont les deux hypothèses.", "I26", "hypothetical"),
    ("Un passage au Xarelto est à l'étude.", "B01AF01", "hypothetical"),
    ("Une corticothérapie par Cortancyl pourra être nécessaire.", "H02AB07", "hypothetical"),
    # ... while the finished workup still denies
    ("Une embolie pulmonaire a été éliminée par l'angioscanner.", "I26", "negated"),
    # "n'est pas suspecté(e)" denies
    ("Une endocardite n'est pas suspectée.", "I38", "negated"),
    ("Pas de rejet de greffe suspecté à la biopsie.", "T86", "negated"),
    # a cue after a parenthesis qualifies what it explains; a cue opening one, the span before
    ("Une épidermolyse nécrosante (syndrome de Lyell) n'est pas retenue.", "L51.2", "negated"),
    ("Une pancréatite (lipasémie normale) n'est pas retenue.", "K85", "negated"),
    ("Une sarcoïdose (maladie de Besnier) est possible.", "D86", "hypothetical"),
    ("Une pneumopathie (à confirmer) est traitée par amoxicilline.", "J18", "hypothetical"),
    # hypothesis predicates after the span
    ("Un lymphome reste le principal diagnostic différentiel.", "C85.9", "hypothetical"),
    ("Une maladie de Still est un diagnostic différentiel.", "M06.1", "hypothetical"),
    ("Une embolie pulmonaire reste une hypothèse.", "I26", "hypothetical"),
    ("Une sarcoïdose pourrait expliquer les adénopathies.", "D86", "hypothetical"),
    ("Une maladie coeliaque serait en cause.", "K90.0", "hypothetical"),
    ("Une chimiothérapie par carboplatine se discute.", "L01XA02", "hypothetical"),
    ("Une immunothérapie par pembrolizumab est en discussion.", "L01FF02", "hypothetical"),
    ("Une carence en vitamine B12 reste à documenter.", "E53.8", "hypothetical"),
    # ... and before it
    ("On discute une sarcoïdose devant les adénopathies.", "D86", "hypothetical"),
    ("Nous proposons l'introduction d'un traitement par apixaban.", "B01AF02", "hypothetical"),
    # a drug the patient takes, discussed at another dose or beside the new one
    ("Traitement : Kardégic 75 mg/j. Un relais par Xarelto en association avec l'aspirine "
     "pourra être discuté.", "B01AC06", "affirmed"),
    ("Lasilix 40 mg/j. Une majoration du Lasilix pourra être discutée.", "C03CA01", "affirmed"),
    ("Eliquis 2,5 mg x2/j. Un passage à l'Eliquis à pleine dose sera discuté.", "B01AF02",
     "affirmed"),
    # denials: "indemne de", "exempt de", "dément toute"
    ("Patiente indemne de toute récidive de cancer du sein.", "C50", "negated"),
    ("Exempt de métastase au bilan d'extension.", "C79.9", "negated"),
    ("Le patient dément toute consommation d'alcool.", "F10.1", "negated"),
    ("La coronarographie a écarté une sténose coronaire.", "I25.1", "negated"),
    # a relative's own clause; "hérédité" is family history
    ("Le père, décédé à 70 ans d'une embolie pulmonaire.", "I26", "family"),
    ("Chez la mère, une maladie de Basedow.", "E05.0", "family"),
    ("Hérédité coronarienne au premier degré.", "I25", "family"),
    # concepts of differential diagnoses the lexicon lacked
    ("Fracture-tassement ostéoporotique de T12.", "M80.8", "affirmed"),
    ("Une neurosarcoïdose est évoquée devant la méningite lymphocytaire.", "D86.8", "hypothetical"),
    ("Syndrome DRESS à la carbamazépine.", "L27.0", "affirmed"),
    ("Un BAV paroxystique est suspecté.", "I44.3", "hypothetical"),
    ("Pneumonie à cytomégalovirus chez un greffé.", "B25.0", "affirmed"),
    ("Rhume de hanche droite, apyrétique.", "M12.8", "affirmed"),
    ("Synovite transitoire de hanche probable.", "M12.8", "hypothetical"),
    ("Maladie de Legg-Calvé-Perthes de la hanche gauche.", "M91.1", "affirmed"),
    ("Epanchement articulaire du genou droit.", "M25.4", "affirmed"),
    ("Hémibloc antérieur gauche sur l'ECG.", "I44.4", "affirmed"),
    ("Bloc bifasciculaire connu.", "I45.2", "affirmed"),
    ("Souffle systolique au foyer aortique.", "R01.1", "affirmed"),
    ("Nécrolyse épidermique toxique au cotrimoxazole.", "L51.2", "affirmed"),
    ("Eruption virale probable chez l'enfant.", "B09", "hypothetical"),
    ("Lésions prurigineuses des avant-bras.", "L29.9", "affirmed"),
    ("Emphysème bulleux des apex.", "J43.9", "affirmed"),
    ("Une histiocytose langerhansienne pulmonaire est évoquée.", "C96.6", "hypothetical"),
    ("Déficit en alpha-1-antitrypsine connu chez le frère.", "E88.0", "family"),
    ("ABPA sous itraconazole.", "B44.8", "affirmed"),
    ("Arthrose de hanche droite opérée.", "M16.9", "affirmed"),
    ("Arthrose des genoux invalidante.", "M17.9", "affirmed"),
    ("Diabète cortico-induit sous insuline.", "E13", "affirmed"),
    ("Lamaline 2 gélules si douleurs.", "N02BE71", "affirmed"),
])
def test_round11_wordings(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.parametrize("text, code", [
    ("Pneumopathie à CMV sous ganciclovir.", "J18"),  # B25.0, not an unspecified pneumonia
    ("Asymétrie faciale sur paralysie faciale.", "Q67.0"),  # a sign, not a congenital deformity
    ("Test de la sueur demandé.", "R61"),  # the test, not hyperhidrosis
    ("Dystrophie bulleuse apicale.", "L13.9"),
    ("Il dément toute prise de toxiques.", "F03"),  # the verb démentir, not dementia
])
def test_round11_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert code not in {c for c, _ in found(nlp_engine, text)}


def test_a_new_drug_discussed_stays_hypothetical(nlp_engine):
    """Only the drug already taken is affirmed: the new one is still discussed."""
    got = found(nlp_engine, "Kardégic 75 mg/j. Un relais par Xarelto en association avec "
                            "l'aspirine pourra être discuté.")
    assert ("B01AF01", "hypothetical") in got
    assert ("B01AF01", "affirmed") not in got
    # a drug not taken, at a dose, is still a proposal
    assert ("J01EE01", "hypothetical") in found(
        nlp_engine, "Un traitement par Bactrim à dose curative pourra être discuté.")


def test_a_relative_in_apposition_is_not_always_the_subject(nlp_engine):
    """"Sa mère, présente à la consultation, signale une toux": the patient's cough."""
    assert ("R05", "affirmed") in found(
        nlp_engine, "Sa mère, présente à la consultation, signale une toux.")


def test_a_parenthesis_does_not_carry_a_cue_before_it(nlp_engine):
    """Only a cue right after the ")" reaches back; a negation inside a
    parenthesis stays inside it."""
    got = found(nlp_engine, "Diabète (pas de rétinopathie) équilibré.")
    assert ("E14", "affirmed") in got and ("H35.0", "negated") in got


def test_a_treatment_proposed_for_a_disease_keeps_the_disease(nlp_engine):
    """"pourra être proposé(e)" after a disease is a treatment cue (the disease is
    there); the verbs of diagnosis ("pourrait expliquer") are not."""
    assert ("I48", "affirmed") in found(nlp_engine, "Une ablation de la FA pourra être proposée.")
