"""Round 17b of issue 15 (docs/nlp-engine.md, "Round 17b"): probe sentences of my own
wording for the concept families of the round (not the sentences of its letters,
tests/data/nlp/letters/19_round17b.txt): the usual diseases and signs of intensive care,
ophthalmology, obstetrics, gastro-enterology, paediatrics and dermatology that the lexicon
lacked or miscoded, a bare joint effusion, words read in another sense ("nerf sciatique",
"choc rotulien", "choc de pointe"), and diseases named as what a vaccine or a prophylaxis is
against. Every code is checked against edsnlp's cim10.csv.gz and drugs.json."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
    from test_nlp_letters import unknown_probe_codes
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found
    from tests.test_nlp_letters import unknown_probe_codes

PROBES = [
    # intensive care
    ("Syndrome des loges de la jambe droite opéré.", "T79.6", "affirmed"),
    ("Pas de syndrome compartimental.", "T79.6", "negated"),
    ("Intoxication aux phénothiazines probable.", "T43.3", "hypothetical"),
    ("Admis pour une intoxication aux antidépresseurs tricycliques.", "T43.0", "affirmed"),
    ("Insuffisance hépatique aiguë sur hépatite médicamenteuse.", "K72.0", "affirmed"),
    ("Trouble anxio-dépressif traité par Seroplex.", "F41.2", "affirmed"),
    ("Paralysie du SPE gauche après un séjour prolongé au sol.", "G57.3", "affirmed"),
    ("Une atteinte du nerf sciatique est possible.", "G57.0", "hypothetical"),
    ("Anisocorie à l'admission.", "H57.0", "affirmed"),
    # ophthalmology
    ("Cataracte nucléaire bilatérale gênante.", "H25.1", "affirmed"),
    ("Glaucome primitif à angle ouvert sous Xalatan.", "H40.1", "affirmed"),
    ("Hypertonie oculaire isolée.", "H40.0", "affirmed"),
    ("Drusens séreux de la macula.", "H35.3", "affirmed"),
    ("Pas de déchirure rétinienne en périphérie.", "H33.3", "negated"),
    ("Décollement postérieur du vitré récent.", "H43.8", "affirmed"),
    ("Ulcère de cornée sur lentilles.", "H16.0", "affirmed"),
    ("Kératite herpétique de l'oeil gauche.", "B00.5", "affirmed"),
    ("Métamorphopsies et éblouissement de l'OG.", "H53.1", "affirmed"),
    ("Orgelet de la paupière supérieure.", "H00.0", "affirmed"),
    ("Malvoyance bilatérale.", "H54", "affirmed"),
    ("Neuropathie optique glaucomateuse évoluée.", "H40.9", "affirmed"),
    # obstetrics
    ("Pré-éclampsie sévère à 30 SA.", "O14.1", "affirmed"),
    ("Un HELLP syndrome est à éliminer.", "O14.2", "hypothetical"),
    ("Hypertension gestationnelle sous Trandate.", "O13", "affirmed"),
    ("Cholestase intrahépatique gravidique sous Delursan.", "O26.6", "affirmed"),
    ("Menace de fausse couche au premier trimestre.", "O20.0", "affirmed"),
    ("Suivie pour des fausses couches à répétition.", "N96", "affirmed"),
    ("Retard de croissance intra-utérin au 3e percentile.", "O36.5", "affirmed"),
    ("Macrosomie foetale à l'échographie.", "O36.6", "affirmed"),
    ("Anémie gravidique sous Tardyferon.", "O99.0", "affirmed"),
    ("Pyélonéphrite gravidique sous Rocéphine.", "O23.0", "affirmed"),
    ("Pas de chorioamniotite.", "O41.1", "negated"),
    ("Utérus cicatriciel (césarienne en 2019).", "O34.2", "affirmed"),
    ("Dépression du post-partum.", "F53.0", "affirmed"),
    ("Pas de barre épigastrique.", "R10.1", "negated"),
    ("Galactorrhée sur microadénome à prolactine.", "N64.3", "affirmed"),
    # gastro-enterology
    ("Oesophagite peptique grade B.", "K21.0", "affirmed"),
    ("Gastrite atrophique fundique.", "K29.4", "affirmed"),
    ("Anémie aiguë sur rectorragies.", "D62", "affirmed"),
    ("Pullulation bactérienne chronique de l'intestin grêle.", "K63.8", "affirmed"),
    ("Gastroparésie idiopathique.", "K31.8", "affirmed"),
    # paediatrics
    ("Bronchiolite aiguë à VRS chez un nourrisson de 2 mois.", "J21.0", "affirmed"),
    ("Laryngite sous-glottique traitée par Célestène.", "J05.0", "affirmed"),
    ("Coliques du nourrisson.", "R10.4", "affirmed"),
    ("Retard de langage suivi en orthophonie.", "F80.9", "affirmed"),
    ("Retard psychomoteur à explorer.", "R62.0", "affirmed"),
    ("Difficultés alimentaires depuis la diversification.", "R63.3", "affirmed"),
    ("Rhume depuis deux jours.", "J00", "affirmed"),
    ("Adénite cervicale droite.", "L04.0", "affirmed"),
    # dermatology
    ("Psoriasis en plaques du cuir chevelu.", "L40.0", "affirmed"),
    ("Dermite de contact aux pansements.", "L25.9", "affirmed"),
    ("Eczéma de contact allergique au nickel.", "L23.9", "affirmed"),
    ("Lésions impétiginisées des avant-bras.", "L01.1", "affirmed"),
    ("Intertrigo candidosique sous-mammaire.", "B37.2", "affirmed"),
    ("Sclérodermie localisée du tronc.", "L94.0", "affirmed"),
    ("Herpès labial récurrent.", "B00.1", "affirmed"),
    ("Dermatite herpétiforme sur maladie coeliaque.", "L13.0", "affirmed"),
    # a bare joint effusion
    ("Genou droit chaud, épanchement modéré.", "M25.4", "affirmed"),
    ("Cheville gonflée avec un épanchement.", "M25.4", "affirmed"),
    ("Épanchement du genou gauche à la ponction.", "M25.4", "affirmed"),
    # a vaccine or a prophylaxis does not hide a disease the patient has
    ("Traitement préventif de la migraine par Laroxyl.", "G43", "affirmed"),
    ("Prévention secondaire de l'AVC ischémique par Kardégic.", "I63", "affirmed"),
    # brands
    ("Chibro-Cadron 1 goutte x3/j.", "S01CA01", "affirmed"),
]

NO_CONCEPT = [
    # a word in its other sense
    ("Choc rotulien franc au genou droit.", "R57"),
    ("Choc de pointe dévié à gauche.", "R57"),
    ("Neuropathie de compression du sciatique possible.", "M54"),
    ("Hypertension artérielle gravidique.", "I10"),
    ("Menace de fausse couche.", "O03"),
    ("Sclérodermie localisée.", "M34"),
    ("Eczéma de contact allergique.", "T78"),
    # a disease named as what a vaccine or a prophylaxis is against
    ("Vaccin contre la grippe fait en octobre.", "J11"),
    ("Vaccination contre l'hépatite B à compléter.", "B18"),
    ("Vaccination anti-COVID à jour.", "U07"),
    ("Vaccination contre la rougeole, les oreillons et la rubéole à jour.", "B26"),
    ("Vaccination contre la rougeole, les oreillons et la rubéole à jour.", "B06"),
    ("Prophylaxie de la pneumocystose par Bactrim.", "B48"),
    ("Antibioprophylaxie de l'endocardite avant soins dentaires.", "I38"),
    ("Prévention des escarres par matelas à air.", "L89"),
    # a pleural or pericardial effusion is no joint's
    ("Genou opéré en 2015. Épanchement pleural droit.", "M25.4"),
    ("Douleur du genou et épanchement pleural.", "M25.4"),
]


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", PROBES)
def test_round17b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", NO_CONCEPT)
def test_round17b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert not any(c == code or c.startswith(code + ".") for c, _ in found(nlp_engine, text))


def test_round17b_probe_codes_exist():
    assert not unknown_probe_codes(PROBES, NO_CONCEPT)
