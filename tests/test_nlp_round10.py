"""Round 10 of issue 15 (docs/nlp-engine.md, "Round 10"): one probe sentence per
family of wordings fixed on the letters of the less covered specialties, and per
family of words that were read as a disease or a drug they do not mean."""
from __future__ import annotations

import pytest

import nlp
from nlp.engine import indication_atc

pytestmark = pytest.mark.nlp


def found(engine, text: str) -> set[tuple[str, str]]:
    return {(c.code, c.assertion) for c in engine.extract(text)}


@pytest.mark.parametrize("text, code, assertion", [
    # rheumatology and internal medicine, in their longer safe forms
    ("Suivie pour une PR séropositive érosive depuis 2012.", "M05.9", "affirmed"),
    ("Patiente sans syndrome sec ni phénomène de Raynaud.", "M35.0", "negated"),
    ("Ostéoporose cortico-induite fracturaire, sous Prolia.", "M80.4", "affirmed"),
    ("Syndrome des anti-phospholipides sous Coumadine.", "D68.6", "affirmed"),
    ("Une goutte tophacée est connue depuis 2015.", "M10", "affirmed"),  # not a drop
    ("Douleurs des MCP et des poignets depuis un mois.", "M25.5", "affirmed"),  # a named joint
    # infectious agents written as abbreviations or Latin names
    ("Virémie CMV négative au contrôle.", "B25.9", "negated"),
    ("Diarrhée à Clostridioides difficile traitée par fidaxomicine.", "A04.7", "affirmed"),
    # pneumonia by its germ (nlp/lexgen.py)
    ("Pneumonie à Klebsiella pneumoniae sous céfotaxime.", "J15.0", "affirmed"),
    ("PAC à légionelle confirmée par l'antigénurie.", "A48.1", "affirmed"),
    # alcohol-related diseases by their cause (nlp/lexgen.py)
    ("Cirrhose éthylique Child B, sevrée depuis un an.", "K70.3", "affirmed"),
    ("Polyneuropathie d'origine alcoolique des membres inférieurs.", "G62.1", "affirmed"),
    # ophthalmology
    ("Dégénérescence maculaire des deux yeux.", "H35.3", "affirmed"),
    ("OBVR temporale supérieure de l'oeil droit.", "H34.8", "affirmed"),
    ("Hémorragie intravitréenne sur rétinopathie proliférante.", "H43.1", "affirmed"),
    ("Oedème maculaire traité par IVT.", "H35.8", "affirmed"),
    # gynaecology
    ("Conisation en 2010 pour une CIN3.", "D06.9", "affirmed"),
    ("Consulte pour des métrorragies post-ménopausiques.", "N95.0", "affirmed"),
    ("Hyperplasie endométriale sans atypie à la biopsie.", "N85.0", "affirmed"),
    ("Purpura thrombopénique immunologique chronique.", "D69.3", "affirmed"),
    # ENT
    ("Phlegmon périamygdalien gauche drainé.", "J36", "affirmed"),
    ("Otite séromuqueuse bilatérale chez l'enfant.", "H65.9", "affirmed"),
    # intensive care
    ("Admis pour détresse respiratoire aiguë hypoxémique.", "J96.0", "affirmed"),
    ("Evolution vers un syndrome de détresse respiratoire aiguë.", "J80", "affirmed"),
    ("Délirium à la levée de la sédation.", "F05.9", "affirmed"),
    ("Neuromyopathie de réanimation en cours de récupération.", "G72.8", "affirmed"),
    # vascular: the aneurysm by its artery, necrosis of the limbs
    ("Anévrisme poplité droit de 25 mm thrombosé.", "I72.4", "affirmed"),
    ("Son père est décédé d'une rupture d'anévrisme aortique.", "I71.8", "family"),
    ("Nécrose des orteils du pied gauche.", "R02", "affirmed"),
    # a typographic apostrophe in a curated or ATIH wording
    ("Maladie d\u2019Alzheimer au stade modéré.", "G30", "affirmed"),
    ("Pas d\u2019embolie pulmonaire à l\u2019angioscanner.", "I26", "negated"),
    # specialty abbreviations
    ("LNH folliculaire en rémission complète.", "C85.9", "affirmed"),
    ("GCAO bilatéral sous collyres.", "H40.1", "affirmed"),
    ("Antécédent de HPP à son premier accouchement.", "O72.1", "affirmed"),
    # drug INN short forms
    ("Relais par mycophénolate 1 g x2.", "L04AA06", "affirmed"),
])
def test_round10_wordings(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.parametrize("text, code", [
    ("Pas d'ulcère ni de plaie des pieds.", "K27"),  # bare "ulcère": not peptic
    ("Insuffisance rénale aiguë résolutive sans dialyse.", "N18.5"),  # a procedure
    ("Perte de poids encouragée, régime adapté.", "R63.4"),  # advice
    ("Recherche d'un syndrome de Lynch en oncogénétique.", "C18.9"),  # a predisposition
    ("Rougeur au point de ponction du cathéter.", "R23.2"),  # a vague sign
    ("Xalatan une goutte le soir dans chaque oeil.", "M10"),  # a drop
    ("Phlegmon péri-amygdalien droit.", "L03"),  # the site fixes the code
    ("Anévrisme aortique abdominal surveillé.", "I72.9"),
    ("Admis pour détresse respiratoire aiguë.", "J80"),  # not an ARDS
    ("Choc direct sur le genou droit lors d'une chute.", "R57.9"),  # an impact
    ("Lithotritie extracorporelle par ondes de choc.", "R57.9"),
    ("Mammographie classée ACR 4, biopsie programmée.", "I46.9"),  # a classification
    ("Critères ACR/EULAR 2010 remplis.", "I46.9"),
    ("Bilan hépatique : FA 2N, GGT 3N.", "I48"),  # phosphatases alcalines
    ("TSH 1,2 mUI/l, calcitonine normale.", "H05BA01"),  # a lab result
    ("Vitamine D à 12 ng/ml, supplémentation débutée.", "A11CC05"),
])
def test_round10_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert code not in {c for c, _ in found(nlp_engine, text)}


def test_a_typographic_apostrophe_keeps_the_note_text(nlp_engine):
    text = "Suivi d\u2019une maladie d\u2019Alzheimer."
    (concept,) = nlp_engine.extract(text)
    assert concept.text == "maladie d\u2019Alzheimer" == text[concept.start:concept.end]


def test_lab_result_filter_keeps_the_prescription(nlp_engine):
    assert ("A11CC05", "affirmed") in found(nlp_engine, "Uvedose 100 000 UI tous les 3 mois.")
    assert ("I48", "affirmed") in found(nlp_engine, "FA rapide à 140/min, ACFA connue.")
    assert ("R57.9", "negated") in found(nlp_engine, "Sepsis urinaire sans choc.")


def test_methotrexate_and_aflibercept_take_the_code_of_their_indication(nlp_engine):
    rheuma = found(nlp_engine, "Polyarthrite rhumatoïde sous méthotrexate 15 mg par semaine.")
    assert ("L04AX03", "affirmed") in rheuma and not any(c == "L01BA01" for c, _ in rheuma)
    onco = found(nlp_engine, "Lymphome cérébral primitif : méthotrexate haute dose.")
    assert ("L01BA01", "affirmed") in onco
    eye = found(nlp_engine, "DMLA exsudative : IVT d'aflibercept mensuelles.")
    assert ("S01LA05", "affirmed") in eye and not any(c == "L01XX44" for c, _ in eye)
    colon = found(nlp_engine, "Cancer du côlon métastatique : FOLFIRI et aflibercept.")
    assert ("L01XX44", "affirmed") in colon


def test_indication_atc_needs_the_other_use_and_no_tumour():
    def c(system, code, assertion="affirmed"):
        return nlp.Concept(system, code, None, "x", 0, 1, assertion)

    def label(system, code):
        return "label"

    plain = [c(nlp.ICD10_SYSTEM, "M06.9"), c(nlp.ATC_SYSTEM, "H02AB07")]
    assert indication_atc(plain, label) == plain
    alone = [c(nlp.ATC_SYSTEM, "L01BA01")]
    assert indication_atc(alone, label, "Proposition de méthotrexate.") == alone  # no use named
    assert [x.code for x in indication_atc(alone, label, "Méthotrexate 15 mg/semaine.")] == ["L04AX03"]
    psoriasis = [c(nlp.ICD10_SYSTEM, "C50", "family"), c(nlp.ICD10_SYSTEM, "L40"),
                 c(nlp.ATC_SYSTEM, "L01BA01")]
    assert [x.code for x in indication_atc(psoriasis, label)] == ["C50", "L40", "L04AX03"]
    cancer = [c(nlp.ICD10_SYSTEM, "C91.0"), c(nlp.ATC_SYSTEM, "L01BA01")]
    assert indication_atc(cancer, label, "Méthotrexate 20 mg/m2 par semaine.") == cancer
