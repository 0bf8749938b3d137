"""Round 18b of issue 15 (docs/nlp-engine.md, "Round 18b"): probe sentences of my own
wording for the concept families of the round (not the sentences of its letters,
tests/data/nlp/letters/21_round18b.txt): the usual diseases, signs and drugs of urology,
endocrinology, cardiology, rheumatology, geriatrics and vascular medicine that the lexicon
lacked or miscoded, deficiencies by degree, and words read in another sense: "IPP" as the
patient identifier of a header, an infection named after a vaccine word, a pain adjective
qualifying a disease, a bare aneurysm of the aorta. Every code is checked against edsnlp's
cim10.csv.gz and drugs.json."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
    from test_nlp_letters import unknown_probe_codes
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found
    from tests.test_nlp_letters import unknown_probe_codes

PROBES = [
    # urology
    ("Orchiépididymite droite sous ofloxacine.", "N45.9", "affirmed"),
    ("Kyste de l'épididyme gauche à l'échographie.", "N43.4", "affirmed"),
    ("Balanite à Candida chez un diabétique.", "N48.1", "affirmed"),
    ("Troubles érectiles depuis deux ans.", "N48.4", "affirmed"),
    ("Volumineux calcul vésical sur vessie de lutte.", "N21.0", "affirmed"),
    ("Lithiase calicielle inférieure droite de 6 mm.", "N20.0", "affirmed"),
    ("Incontinence d'effort depuis la ménopause.", "N39.3", "affirmed"),
    ("Incontinence par urgenturie sous Vesicare.", "N39.4", "affirmed"),
    ("Il décrit des gouttes retardataires et un jet faible.", "R39.1", "affirmed"),
    ("Une tumeur du rein gauche est suspectée.", "C64", "hypothetical"),
    ("Syndrome de la jonction pyélo-urétérale droit opéré.", "Q62.1", "affirmed"),
    ("Abcès prostatique drainé.", "N41.2", "affirmed"),
    ("Tumeur testiculaire droite, orchidectomie prévue.", "C62.9", "affirmed"),
    # endocrinology
    ("Goitre multinodulaire toxique traité par iode radioactif.", "E05.2", "affirmed"),
    ("Adénome toxique du lobe gauche.", "E05.1", "affirmed"),
    ("Orbitopathie dysthyroïdienne active.", "H06.2", "affirmed"),
    ("Insuffisance corticotrope sous hydrocortisone.", "E23.0", "affirmed"),
    ("Un hypercortisolisme est à éliminer.", "E24.9", "hypothetical"),
    ("Carence profonde en vitamine D.", "E55.9", "affirmed"),
    ("Insuffisance en vitamine D modérée.", "E55.9", "affirmed"),
    ("Carence modérée en folates chez une patiente dénutrie.", "D52.9", "affirmed"),
    ("Hypothyroïdie post-thyroïdectomie substituée.", "E89.0", "affirmed"),
    ("Hypoparathyroïdie post-opératoire transitoire.", "E89.2", "affirmed"),
    ("Patiente basedowienne de longue date.", "E05.0", "affirmed"),
    # cardiology
    ("Prolapsus de la valve mitrale connu.", "I34.1", "affirmed"),
    ("Maladie de Barlow avec fuite modérée.", "I34.1", "affirmed"),
    ("Rupture de cordage de la petite valve.", "I51.1", "affirmed"),
    ("Valve aortique bicuspide peu remaniée.", "Q23.1", "affirmed"),
    ("Admis pour un oedème aigu pulmonaire hypertensif.", "I50.1", "affirmed"),
    ("Tachycardiomyopathie sur flutter.", "I42.9", "affirmed"),
    ("BAV de haut degré sur l'Holter.", "I44.1", "affirmed"),
    ("Spasme coronaire à la coronarographie.", "I20.1", "affirmed"),
    ("Ischémie myocardique silencieuse à la scintigraphie.", "I25.6", "affirmed"),
    ("HTA blouse blanche, pas de traitement.", "R03.0", "affirmed"),
    ("Tachycardie atriale focale ablatée.", "I47.1", "affirmed"),
    ("Torsades de pointes sous sotalol.", "I47.2", "affirmed"),
    ("Fuite tricuspide minime.", "I36.1", "affirmed"),
    # rheumatology
    ("Névralgie crurale gauche depuis dix jours.", "M54.1", "affirmed"),
    ("Lumbagos récidivants depuis l'adolescence.", "M54.5", "affirmed"),
    ("Hernie discale cervicale C6-C7.", "M50.2", "affirmed"),
    ("Discopathie dégénérative étagée.", "M51.3", "affirmed"),
    ("Arthrose lombaire évoluée.", "M47.8", "affirmed"),
    ("Arthrose interapophysaire postérieure L4-L5.", "M47.8", "affirmed"),
    ("Sténose du canal lombaire symptomatique.", "M48.0", "affirmed"),
    ("Sacro-iliite droite à l'IRM.", "M46.1", "affirmed"),
    ("Tendinopathie du supra-épineux sans rupture.", "M75.1", "affirmed"),
    ("Tendinite de l'épaule droite.", "M75.8", "affirmed"),
    ("Conflit sous-acromial bilatéral.", "M75.4", "affirmed"),
    ("Fasciite plantaire gauche.", "M72.2", "affirmed"),
    ("Hydarthrose du genou droit.", "M25.4", "affirmed"),
    ("Pas d'anesthésie en selle.", "R20.0", "negated"),
    ("Coccygodynie après une chute.", "M53.3", "affirmed"),
    ("Lésion méniscale interne dégénérative.", "M23.3", "affirmed"),
    ("Syndrome fémoro-patellaire bilatéral.", "M22.2", "affirmed"),
    ("Myomectomie pour un fibrome sous-séreux en 2010.", "D25.9", "affirmed"),
    # geriatrics
    ("Plainte mnésique sans retentissement.", "R41.3", "affirmed"),
    ("Apathie marquée depuis deux mois.", "R45.3", "affirmed"),
    ("Malnutrition protéino-énergétique sévère.", "E46", "affirmed"),
    ("Étourdissements au lever.", "R42", "affirmed"),
    ("Syndrome de désadaptation psychomotrice après la chute.", "R26.8", "affirmed"),
    ("Patiente incontinente la nuit.", "R32", "affirmed"),
    # vascular
    ("Occlusion artérielle aiguë de l'artère fémorale.", "I74.9", "affirmed"),
    ("Athérome carotidien non sténosant.", "I65.2", "affirmed"),
    ("Athéromatose aortique diffuse.", "I70.0", "affirmed"),
    ("Plaque d'athérome de la fémorale commune.", "I70.9", "affirmed"),
    ("Sténose iliaque externe droite serrée.", "I70.2", "affirmed"),
    ("Ulcère variqueux de la malléole interne.", "I83.0", "affirmed"),
    ("Paraphlébite de la grande saphène.", "I80.0", "affirmed"),
    ("Anévrisme de l'artère poplitée droite de 25 mm.", "I72.4", "affirmed"),
    ("Angor mésentérique probable.", "K55.1", "hypothetical"),
    ("Aorte abdominale de calibre normal, sans anévrisme.", "I71.9", "negated"),
    ("Occlusion carotidienne interne gauche.", "I65.2", "affirmed"),
    ("Thrombose de pontage fémoro-poplité.", "T82.8", "affirmed"),
    ("Thrombose poplitée gauche sous Eliquis.", "I80.2", "affirmed"),
    ("Phlébite de la petite saphène.", "I80.0", "affirmed"),
    ("Phlébite surale droite.", "I80.2", "affirmed"),
    ("Thrombose des veines jumelles du mollet gauche.", "I80.2", "affirmed"),  # no twins
    ("Thrombose cave inférieure sur agénésie.", "I82.2", "affirmed"),
    ("Sténose de l'artère fémorale superficielle gauche.", "I70.2", "affirmed"),
    ("Occlusion iliaque externe droite ancienne.", "I70.2", "affirmed"),
    ("Occlusion de la carotide interne droite.", "I65.2", "affirmed"),
    ("Sténose de l'artère sous-clavière gauche.", "I77.1", "affirmed"),
    ("Thrombose de l'artère poplitée sur anévrisme.", "I74.3", "affirmed"),
    ("Embolie fémorale sur fibrillation atriale.", "I74.3", "affirmed"),
    # foreign bodies
    ("Suspicion de corps étranger inhalé chez un enfant de 2 ans.", "T17.9", "hypothetical"),
    ("Corps étranger intrabronchique droit extrait.", "T17.5", "affirmed"),
    ("Ingestion d'un corps étranger (pile bouton).", "T18.9", "affirmed"),
    # drugs: a brand drugs.json lists under its molecule and a class
    ("Gaviscon 10 ml après chaque repas.", "A02BX13", "affirmed"),
    ("Piascledine 300 mg/j.", "M01AX26", "affirmed"),
    ("Quinimax en perfusion.", "P01BC01", "affirmed"),
    # guards, which the start engine passes too: "IPP" is a drug in a treatment list
    ("Traitement : Kardégic 75 mg, IPP au long cours.", "A02BC", "affirmed"),
    ("Sous IPP depuis 2019.", "A02BC", "affirmed"),
    # guards: an infection that is the patient's, not a vaccine's
    ("Vaccin grippe fait, zona thoracique en 2020.", "B02", "affirmed"),
    ("Grippe A en janvier malgré la vaccination.", "J11", "affirmed"),
]

NO_CONCEPT = [
    # "IPP" as the patient identifier of a header
    ("IPP : 00751234", "A02BC"),
    ("N° IPP 123456789 - Né le 02/04/1948", "A02BC"),
    ("Mme R., IPP 40012345, unité de gériatrie.", "A02BC"),
    # an infection named after a vaccine word
    ("Vaccination grippe et Covid faite en octobre.", "J11"),
    ("Vaccination grippe et Covid faite en octobre.", "U07"),
    ("Vaccins à jour (grippe, pneumocoque, zona).", "B02"),
    ("Statut vaccinal : hépatite B complet.", "B18"),
    # a pain adjective qualifying a disease
    ("Cruralgie gauche hyperalgique.", "R52"),
    ("Colique néphrétique droite très hyperalgique.", "R52"),
    # a word in another sense, or a code the wording does not mean
    ("Gouttes retardataires après la miction.", "M10"),
    ("Goitre multinodulaire toxique.", "E04"),
    ("Orbitopathie dysthyroïdienne.", "E07"),
    ("Arthrose cervicale.", "M19"),
    ("Tendinite de l'épaule.", "M77"),
    ("Oedème aigu pulmonaire.", "R60"),
    ("Angor mésentérique.", "I20"),
    ("HTA blouse blanche.", "I10"),
    ("Hernie discale cervicale.", "M51"),
    ("Aorte sans anévrisme.", "I72"),
    ("Canal lombaire de dimensions normales.", "M48"),  # a guard: an anatomy word
]


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", PROBES)
def test_round18b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", NO_CONCEPT)
def test_round18b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert not any(c == code or c.startswith(code + ".") for c, _ in found(nlp_engine, text))


def test_round18b_probe_codes_exist():
    assert not unknown_probe_codes(PROBES, NO_CONCEPT)
