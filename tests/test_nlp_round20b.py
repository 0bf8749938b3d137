"""Round 20b of issue 15 (docs/nlp-engine.md, "Round 20b"): probe sentences of my own
wording for the concept families of the round (not the sentences of its letters,
tests/data/nlp/letters/25_round20b.txt): the usual diseases and signs of dermatology,
rheumatology, haematology, nephrology, psychiatry and vascular medicine, then of a second
pass (gastro-enterology, urology, cardiology, emergency, paediatrics), that the lexicon lacked
or miscoded, brands whose curated code disagreed with edsnlp's drugs.json, and words read in
another sense: a sick leave extended (no prolonged labour O63), an oedematous mucosa or wall
(no oedema R60), drops of a drug (no gout M10), a habit (no mania F30), a drug class named beside
its molecule. Every code is checked against edsnlp's cim10.csv.gz and drugs.json."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
    from test_nlp_letters import unknown_probe_codes
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found
    from tests.test_nlp_letters import unknown_probe_codes

PROBES = [
    # psychiatry
    ("Suivie depuis 2010 pour une dépression récurrente.", "F33", "affirmed"),
    ("Dépression récidivante, nouvel épisode depuis un mois.", "F33", "affirmed"),
    ("Épisode dépressif récurrent d'intensité moyenne.", "F33", "affirmed"),
    ("Trouble dépressif récidivant traité par sertraline.", "F33", "affirmed"),
    ("Alcoolodépendance sevrée depuis deux ans.", "F10.2", "affirmed"),
    ("Syndrome d'épuisement professionnel, arrêt de travail.", "Z73.0", "affirmed"),
    ("IMV aux benzodiazépines il y a deux jours.", "T42.4", "affirmed"),
    ("Claustrophobie empêchant l'IRM.", "F40.2", "affirmed"),
    # dermatology
    ("ATCD : eczéma de contact au nickel des lobes d'oreille.", "L23.0", "affirmed"),
    ("Dermite de contact irritative des mains chez une coiffeuse.", "L24.9", "affirmed"),
    ("Pustulose exanthématique aiguë généralisée sous pristinamycine.", "L27.0", "affirmed"),
    ("SJS après introduction de lamotrigine.", "L51.1", "affirmed"),
    # rheumatology
    ("Fracture vertébrale ostéoporotique de T12.", "M80", "affirmed"),
    ("Enthésite achilléenne droite.", "M77.9", "affirmed"),
    ("Synovite du poignet gauche à l'échographie.", "M65.9", "affirmed"),
    ("SpA axiale sous anti-TNF.", "M46.9", "affirmed"),
    ("Patiente fibromyalgique sous Laroxyl.", "M79.7", "affirmed"),
    ("Patient hyperuricémique non traité.", "E79.0", "affirmed"),
    # haematology
    ("Thrombose portale découverte au scanner.", "I81", "affirmed"),
    ("Carence martiale sans anémie, ferritine à 9.", "E61.1", "affirmed"),
    ("Carence martiale isolée chez une donneuse de sang.", "E61.1", "affirmed"),
    ("Surcharge martiale post-transfusionnelle.", "E83.1", "affirmed"),
    ("Anémie par carence en vitamine B12 sur gastrite atrophique.", "D51.9", "affirmed"),
    ("Anémie hémolytique auto-immune à IgG.", "D59.1", "affirmed"),
    ("Porteuse du trait drépanocytaire.", "D57.3", "affirmed"),
    ("Hyperlymphocytose à 8 G/l à explorer.", "D72.8", "affirmed"),
    ("Polynucléose neutrophile à 15 G/l.", "D72.8", "affirmed"),
    ("Syndrome hémorragique cutanéo-muqueux.", "R58", "affirmed"),
    ("Érythromélalgie des pieds.", "I73.8", "affirmed"),
    ("LLA de l'enfant en rémission.", "C91.0", "affirmed"),
    ("HPN avec thrombose veineuse.", "D59.5", "affirmed"),
    # nephrology
    ("Surcharge hydrosodée avec prise de 4 kg.", "E87.7", "affirmed"),
    ("Surcharge volémique après remplissage.", "E87.7", "affirmed"),
    ("Hyperhydratation extracellulaire clinique.", "E87.7", "affirmed"),
    ("IRA prérénale sur diarrhées.", "N17", "affirmed"),
    ("IRA organique au décours du sepsis.", "N17", "affirmed"),
    ("HTA rénovasculaire sur sténose de l'artère rénale.", "I15.0", "affirmed"),
    ("Syndrome néphrotique sur lésions glomérulaires minimes.", "N04.0", "affirmed"),
    ("Néphrose lipoïdique corticosensible.", "N04.0", "affirmed"),
    ("Cystinose diagnostiquée dans l'enfance.", "E72.0", "affirmed"),
    ("Syndrome d'Alport confirmé par la biopsie rénale.", "Q87.8", "affirmed"),
    # vascular
    ("Pas de séquelle de thrombose au doppler.", "I87.0", "negated"),
    ("Maladie veineuse thromboembolique récidivante.", "I82.9", "affirmed"),
    ("Nécrose du gros orteil gauche.", "R02", "affirmed"),
    ("Patiente variqueuse, bas de contention.", "I83.9", "affirmed"),
    ("Saignement variqueux chez un cirrhotique.", "I85.0", "affirmed"),
    # second pass: other specialties
    ("Glaucome : GPAO bilatéral sous collyre.", "H40.1", "affirmed"),
    ("MPI évoluant depuis 8 ans.", "G20", "affirmed"),
    ("NMO à anticorps anti-aquaporine 4.", "G36.0", "affirmed"),
    ("Papille oedématiée bilatérale au fond d'oeil.", "H47.1", "affirmed"),
    ("Occlusion intestinale sur brides opérée.", "K56.5", "affirmed"),
    ("HNF de 3 cm du foie gauche.", "K76.8", "affirmed"),
    ("Sténose peptique dilatée.", "K22.2", "affirmed"),
    ("ICFEp chez une hypertendue âgée.", "I50", "affirmed"),
    ("TNC majeur à un stade modéré.", "F03", "affirmed"),
    ("Entorse bénigne de la cheville gauche.", "S93.4", "affirmed"),
    ("TC léger sans perte de connaissance.", "S06.9", "affirmed"),
    ("APLV chez un nourrisson de 3 mois.", "K52.2", "affirmed"),
    # brands whose curated code disagreed with drugs.json
    ("Traitement : Victan 2 mg le soir.", "N05BA18", "affirmed"),
    ("Traitement : Aldactazine 1 cp le matin.", "C03EA04", "affirmed"),
    ("Traitement : Timoferol 1 gélule par jour.", "B03AA07", "affirmed"),
    ("Traitement : Persantine 75 mg x3/j.", "B01AC07", "affirmed"),
]

# (sentence, code it must not give): words read in another sense
NO_CONCEPT = [
    ("Arrêt de travail prolongé de trois semaines.", "O63"),
    ("Arrêts de travail prolongés depuis un an.", "O63"),
    ("Muqueuse gastrique oedématiée et érythémateuse.", "R60"),
    ("Paroi vésiculaire épaissie et œdématiée.", "R60"),
    ("Aspect œdématié de la muqueuse colique.", "R60"),
    ("Papille oedématiée au fond d'oeil.", "R60"),
    ("Pas de thrombose portale.", "I82"),
    ("Pas de séquelle de thrombose.", "I82"),
    ("Trait drépanocytaire chez le père.", "D57.1"),
    ("Carence martiale sans anémie.", "D50"),
    ("Dépression récurrente depuis 20 ans.", "F32"),
    ("Hypertension rénovasculaire.", "I10"),
    ("Entorse bénigne de la cheville.", "T14"),
    ("Occlusion intestinale sur bride.", "K56.6"),
    ("Eczéma de contact au nickel.", "L25"),
    ("Quelques gouttes de collyre le soir.", "M10"),
    ("Laroxyl 12 gouttes au coucher.", "M10"),
    ("Collyre : 6 gouttes dans chaque oeil.", "M10"),
    ("Haldol gouttes buvables si agitation.", "M10"),
    ("Il a la manie de tout ranger.", "F30"),
    ("Sous statine (rosuvastatine 10 mg).", "C10AA"),
    ("Sous bêtabloquant : bisoprolol 2,5 mg.", "C07A"),
    ("Anticoagulé par AVK (fluindione).", "B01AA"),
    ("Traitement : Victan 2 mg.", "N05BA21"),
]

# what the precision passes keep (no probe of the round may hide them)
KEPT = [
    ("Cheville gauche œdématiée.", "R60", "affirmed"),
    ("ATCD : goutte traitée par Zyloric.", "M10", "affirmed"),
    ("Crise de goutte du gros orteil.", "M10", "affirmed"),
    ("Une manie est possible.", "F30", "hypothetical"),
    ("Sous statine depuis 2015.", "C10AA", "affirmed"),
    ("Hb 9,8 g/dl (carence martiale).", "D50.9", "affirmed"),
]


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", PROBES)
def test_round20b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", NO_CONCEPT)
def test_round20b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert not any(c == code or c.startswith(code + ".") for c, _ in found(nlp_engine, text))


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", KEPT)
def test_round20b_guards(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


def test_round20b_probe_codes_exist():
    assert not unknown_probe_codes(PROBES + KEPT, NO_CONCEPT)
