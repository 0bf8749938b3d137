"""Round 13b of issue 15 (docs/nlp-engine.md, "Round 13b: concepts"): one probe
sentence per family of concept wordings (recall) and of codes the words do not
mean (precision) found on the round's letters (tests/data/nlp/letters/13_round13b.txt),
on the earlier dev letters and on probes of the round's six specialties (emergency,
gastro-enterology, nephrology, psychiatry, paediatrics, geriatrics). The sentences are
not the letters' own."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a neurological deficit of the examination, a partial hemiparesis
    ("Examen : aucun déficit neurologique focal retrouvé.", "R29.8", "negated"),
    ("Déficit brachio-facial droit à l'arrivée du SAMU.", "G81.9", "affirmed"),
    # smoking written with the verb
    ("Mode de vie : il ne fume pas.", "F17", "negated"),
    ("Elle fume un paquet par jour.", "F17", "affirmed"),
    # anorectal abscesses by their site
    ("Drainage chirurgical d'un abcès péri-anal.", "K61.0", "affirmed"),
    ("Abcès ischio-rectal gauche.", "K61.3", "affirmed"),
    # tuberculosis of a named organ (A17-A19)
    ("Iléite évoquant une tuberculose iléo-caecale.", "A18.3", "hypothetical"),
    ("Spondylodiscite : mal de Pott confirmé.", "A18.0", "affirmed"),
    ("Méningite tuberculeuse de l'enfant.", "A17.0", "affirmed"),
    # weight gain, with or without its figure
    ("Il a pris 6 kg depuis l'arrêt du tabac.", "R63.5", "affirmed"),
    ("Prise pondérale sous olanzapine.", "R63.5", "affirmed"),
    # hydronephrosis wordings
    ("Uroscanner : dilatation des cavités excrétrices gauches.", "N13.3", "affirmed"),
    ("Echographie : pas de dilatation pyélo-calicielle.", "N13.3", "negated"),
    # an eating disorder (not the conduct disorder F91)
    ("Suivi pour des troubles des conduites alimentaires.", "F50.9", "affirmed"),
    # a digestive cancer in its feminine ("néoplasie digestive"): adjectives in -if
    ("Bilan d'une néoplasie digestive.", "C26", "affirmed"),
    # the severity of undernutrition fixes its category
    ("Dénutrition protéino-énergétique grave (albumine 24 g/l).", "E43", "affirmed"),
    # repeated falls in their wordings
    ("Chutes itératives au domicile depuis l'automne.", "R29.6", "affirmed"),
    # a membranous glomerulopathy; in a note naming the nephrotic syndrome it is N04.2
    ("Néphropathie extramembraneuse sur biopsie.", "N05.2", "affirmed"),
    ("Syndrome néphrotique. PBR : glomérulopathie extra-membraneuse.", "N04.2", "affirmed"),
    # biliary stones, drug-induced lung disease, hypomania, immune-allergic nephritis
    ("Lithiase résiduelle de la VBP après cholécystectomie.", "K80.5", "affirmed"),
    ("Pneumopathie médicamenteuse au méthotrexate.", "J70.4", "affirmed"),
    ("Virage hypomaniaque sous antidépresseur.", "F30.0", "affirmed"),
    ("Néphrite interstitielle immuno-allergique aux IPP.", "N12", "affirmed"),
    # iron deficiency is read as its anaemia, as the dev letters annotate it
    ("Ferritine basse : carence martiale.", "D50.9", "affirmed"),
    # an osteoporosis with its fracture, the fracture keeping its own code
    ("Ostéoporose compliquée d'une fracture du col fémoral.", "M80.9", "affirmed"),
    ("Ostéoporose compliquée d'une fracture du col fémoral.", "S72.0", "affirmed"),
    # named conditions of the specialties
    ("Angiodysplasies du grêle à la vidéocapsule.", "K55.2", "affirmed"),
    ("Céphalées en coup de tonnerre : SVCR.", "I67.8", "affirmed"),
    ("Polypose colique chez le frère.", "D12.6", "family"),
    ("Hyponatrémie sur SIADH.", "E22.2", "affirmed"),
    # febrile seizures in their other wordings; paediatric signs
    ("Antécédent de convulsions hyperthermiques à 2 ans.", "R56.0", "affirmed"),
    ("Enurésie nocturne primaire.", "F98.0", "affirmed"),
    ("Cassure de la courbe pondérale depuis 6 mois.", "R62.8", "affirmed"),
    # the sign of hypothermia
    ("Hypothermie à 35 °C à l'admission.", "R68.0", "affirmed"),
])
def test_round13b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", [
    # a mechanism is not an allergy; a sputum test is not an expectoration
    ("Hépatite immuno-allergique à l'amoxicilline.", "T78.4"),
    ("Recherche de BK dans les crachats négative.", "R09.3"),
    # the sign of hypothermia is not the cold injury; an eating disorder is not F91
    ("Hypothermie à 35,4 °C.", "T68"),
    ("Troubles du comportement alimentaire.", "F91"),
    # "phosphore" and "zinc" of the lab sheet are not drugs
    ("Biologie : phosphore 0,6 mmol/l, zinc bas.", "V03AX"),
    # an osteoporosis without fracture stays M81; with it, not M81
    ("Ostéoporose densitométrique, sans fracture.", "M80.9"),
    ("Ostéoporose avec fracture vertébrale L1.", "M81.9"),
])
def test_round13b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert code not in {c for c, _ in found(nlp_engine, text)}
