"""Round 19b of issue 15 (docs/nlp-engine.md, "Round 19b"): probe sentences of my own
wording for the concept families of the round (not the sentences of its letters,
tests/data/nlp/letters/23_round19b.txt): the usual diseases, signs and drugs of ENT,
neurology, ophthalmology, endocrinology, oncology and pneumology that the lexicon lacked or
miscoded, the sub-sites of the stomach and the thyroid's histologies of a cancer, an eye drop
of a molecule drugs.json lists both systemic and ophthalmic, and words read in another sense:
the Bismuth classification of a hilar stenosis, the fluorescein of an exam. Every code is
checked against edsnlp's cim10.csv.gz and drugs.json."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
    from test_nlp_letters import unknown_probe_codes
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found
    from tests.test_nlp_letters import unknown_probe_codes

PROBES = [
    # ENT
    ("Perforation septale antérieure après cocaïne.", "J34.8", "affirmed"),
    ("Perforation de la cloison nasale découverte à l'endoscopie.", "J34.8", "affirmed"),
    ("Tumeur parotidienne gauche, cytoponction prévue.", "D37.0", "affirmed"),
    ("Une tumeur de la glande parotide est possible.", "D37.0", "hypothetical"),
    ("Hypertrophie des cornets inférieurs responsable d'une obstruction.", "J34.3", "affirmed"),
    ("Paralysie des cordes vocales en adduction.", "J38.0", "affirmed"),
    ("Kyste thyréoglosse infecté chez un enfant.", "Q89.2", "affirmed"),
    ("Sialadénite sous-mandibulaire droite.", "K11.2", "affirmed"),
    ("Végétations adénoïdes obstructives.", "J35.2", "affirmed"),
    ("Reflux laryngo-pharyngé probable devant la dysphonie.", "K21.9", "hypothetical"),
    ("Leucoplasie de la corde vocale droite à biopsier.", "J38.3", "affirmed"),
    ("Déficit vestibulaire unilatéral gauche compensé.", "H81.9", "affirmed"),
    ("Vertige positionnel paroxystique begnin récidivant.", "H81.1", "affirmed"),
    # neurology
    ("Syndrome de Lambert-Eaton paranéoplasique.", "G73.1", "affirmed"),
    ("Thymome découvert au bilan d'une myasthénie.", "D15.0", "affirmed"),
    ("Thymome invasif opéré puis irradié.", "C37", "affirmed"),
    ("Névralgie trigéminale gauche sous carbamazépine.", "G50.0", "affirmed"),
    ("Névralgie du nerf trijumeau droit, forme classique.", "G50.0", "affirmed"),
    ("Déficit sensitif de la main droite.", "R20.8", "affirmed"),
    ("Troubles du langage depuis ce matin.", "R47.8", "affirmed"),
    ("Trouble cognitif léger au bilan neuropsychologique.", "R41.8", "affirmed"),
    ("Paralysie du VI droit d'origine microvasculaire.", "H49.2", "affirmed"),
    ("Paralysie du III avec ptosis.", "H49.0", "affirmed"),
    ("Atrophie multisystématisée évoluée, en fauteuil.", "G23.8", "affirmed"),
    # ophthalmology
    ("Uvéite postérieure bilatérale ancienne.", "H30.9", "affirmed"),
    ("Panuvéite granulomateuse.", "H44.1", "affirmed"),
    ("Glaucome néovasculaire sur OVCR.", "H40.5", "affirmed"),
    ("Glaucome pigmentaire du sujet jeune.", "H40.1", "affirmed"),
    ("Un glaucome cortico-induit est à surveiller.", "H40.6", "hypothetical"),
    ("Cataracte cortisonique bilatérale.", "H26.3", "affirmed"),
    ("Dacryocystite aiguë droite.", "H04.3", "affirmed"),
    ("Trichiasis de la paupière inférieure.", "H02.0", "affirmed"),
    ("Blépharoptosis sénile gauche.", "H02.4", "affirmed"),
    ("Traitement : atropine collyre 1 goutte le soir.", "S01FA01", "affirmed"),
    ("Traitement : collyre à la dexaméthasone 4 fois par jour.", "S01BA01", "affirmed"),
    ("Traitement : Neosynephrine 10 % collyre avant l'examen.", "S01FB01", "affirmed"),
    ("Traitement : Zovirax pommade ophtalmique 5 fois par jour.", "S01AD03", "affirmed"),
    ("Traitement : tobramycine collyre pendant 7 jours.", "S01AA12", "affirmed"),
    # endocrinology
    ("Macroprolactinome sous cabergoline.", "D35.2", "affirmed"),
    ("Adénome à prolactine découvert devant une galactorrhée.", "D35.2", "affirmed"),
    ("Incidentalome hypophysaire de 6 mm.", "D35.2", "affirmed"),
    ("Hypogonadisme hypogonadotrope congénital.", "E23.0", "affirmed"),
    ("Hypothyroïdie centrale substituée.", "E23.0", "affirmed"),
    ("Déficit somatotrope de l'adulte.", "E23.0", "affirmed"),
    ("Insuffisance surrénale primaire auto-immune.", "E27.1", "affirmed"),
    ("Insuffisance surrénale lente sous hydrocortisone.", "E27.1", "affirmed"),
    ("Insuffisance surrénale aiguë sur arrêt de la cortisone.", "E27.2", "affirmed"),
    ("Spanioménorrhée depuis la puberté.", "N91.5", "affirmed"),
    ("Orage thyroïdien en réanimation.", "E05.5", "affirmed"),
    ("Retard pubertaire simple chez un garçon de 15 ans.", "E30.0", "affirmed"),
    ("Carcinome vésiculaire de la thyroïde opéré.", "C73", "affirmed"),
    ("Carcinome médullaire thyroïdien familial.", "C73", "affirmed"),
    # oncology
    ("Adénocarcinome de l'antre gastrique ulcéré.", "C16.3", "affirmed"),
    ("Cancer du fundus gastrique localement avancé.", "C16.1", "affirmed"),
    ("Adénocarcinome de la petite courbure.", "C16.5", "affirmed"),
    ("Linite gastrique à cellules indépendantes.", "C16.9", "affirmed"),
    ("Adénocarcinome à cellules indépendantes de l'estomac.", "C16", "affirmed"),
    ("Pleurésie néoplasique droite drainée.", "C78.2", "affirmed"),
    ("Ascite carcinomateuse ponctionnée.", "C78.6", "affirmed"),
    ("Thrombose sur PAC traitée par Innohep.", "T82.8", "affirmed"),
    ("Infection de la chambre implantable à staphylocoque.", "T82.7", "affirmed"),
    ("Syndrome main-pied de grade 2 sous capécitabine.", "L27.1", "affirmed"),
    ("Polyneuropathie à l'oxaliplatine invalidante.", "G62.0", "affirmed"),
    ("Radiomucite de grade 3.", "K12.3", "affirmed"),
    ("Colite immuno-induite de grade 2 sous nivolumab.", "K52.1", "affirmed"),
    ("Pneumopathie immuno-induite, corticothérapie débutée.", "J70.4", "affirmed"),
    ("Hépatite immuno-induite de grade 3.", "K71.9", "affirmed"),
    ("Cure de FOLFOX : oxaliplatine, 5-FU et acide folinique.", "V03AF03", "affirmed"),
    ("Traitement : Paraplatine et étoposide.", "L01XA02", "affirmed"),
    ("ATCD : cholécystectomie pour lithiase en 2015.", "K80", "affirmed"),
    # pneumology
    ("Bronchorrhée purulente quotidienne.", "R09.3", "affirmed"),
    ("Emphysème centrolobulaire des sommets.", "J43.2", "affirmed"),
    ("Pneumothorax spontané primitif droit drainé.", "J93.1", "affirmed"),
    ("Masse pulmonaire du lobe supérieur droit.", "R91", "affirmed"),
    ("Poumon d'éleveur d'oiseaux confirmé par les précipitines.", "J67.2", "affirmed"),
    ("Pneumoconiose du mineur de charbon.", "J64", "affirmed"),
    ("Primo-infection tuberculeuse chez un enfant.", "A16.7", "affirmed"),
    ("Mycobactériose atypique à M. avium.", "A31.0", "affirmed"),
    ("Aspergillome dans une cavité séquellaire.", "B44.1", "affirmed"),
    ("Désaturation nocturne à l'oxymétrie.", "R09.0", "affirmed"),
    ("Traitement : Oxis 12 µg x2/j.", "R03AC13", "affirmed"),
    # patient adjectives
    ("Patient glaucomateux sous Xalatan.", "H40.9", "affirmed"),
    ("Patiente myope forte, opérée au laser.", "H52.1", "affirmed"),
    ("Patiente malentendante appareillée.", "H91.9", "affirmed"),
    ("Patient myasthénique sous Mestinon.", "G70.0", "affirmed"),
    ("Insuffisante surrénalienne connue, sous Hydrocortisone.", "E27.4", "affirmed"),
]

# (sentence, code it must not give): words read in another sense
NO_CONCEPT = [
    ("Sténose hilaire de type Bismuth II.", "V03AX"),
    ("Cholangiocarcinome Bismuth IIIa non résécable.", "V03AX"),
    ("Classification de Bismuth-Corlette : type IV.", "V03AX"),
    ("Angiographie à la fluorescéine : pas de néovaisseau.", "S01JA01"),
    ("Ulcère cornéen prenant la fluorescéine.", "S01JA01"),
    ("Traitement : Neosynephrine 50 µg IV en bolus.", "S01FB01"),
    ("Traitement : atropine 0,5 mg IV avant l'intubation.", "S01FA01"),
    ("Tumeur maligne de la parotide opérée.", "D37.0"),
    ("Troubles cognitifs légers au MMSE.", "F06.7"),
]


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", PROBES)
def test_round19b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", NO_CONCEPT)
def test_round19b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert not any(c == code or c.startswith(code + ".") for c, _ in found(nlp_engine, text))


def test_round19b_probe_codes_exist():
    assert not unknown_probe_codes(PROBES, NO_CONCEPT)
