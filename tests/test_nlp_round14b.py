"""Round 14b of issue 15 (docs/nlp-engine.md, "Round 14b: concepts"): probe sentences
of my own wording, several per family, for the diagnoses a conclusion weighs in six
specialties (cardiology, pneumology, neurology, infectiology, rheumatology, haematology),
for words read by their context (a viral hepatitis by its capital letter, "une goutte",
"une PR", metronidazole named as an antibiotic, an unspecified stroke of a note naming
the infarct), and for codes the words do not mean. The sentences are not the letters' own
(tests/data/nlp/letters/15_round14b.txt)."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # cardiology, pneumology, neurology: words the engine read with a code they do not mean
    ("ETT évocatrice d'une cardiomyopathie de stress.", "I51.8", "hypothetical"),
    ("Cardiomyopathie du péripartum à 3 semaines de l'accouchement.", "O90.3", "affirmed"),
    ("Alvéolite allergique extrinsèque chez un agriculteur.", "J67.9", "affirmed"),
    ("Une pneumopathie chronique à éosinophiles est possible.", "J82", "hypothetical"),
    ("Pneumonie à éosinophiles sous minocycline.", "J82", "affirmed"),
    ("Bronchiolite oblitérante après greffe pulmonaire.", "J44.8", "affirmed"),
    ("Myélopathie cervicarthrosique opérée en 2019.", "M47.1", "affirmed"),
    ("Un déficit en vitamine B12 est possible.", "E53.8", "hypothetical"),
    ("Fièvre et aphasie : encéphalite à HSV jusqu'à preuve du contraire.", "B00.4", "affirmed"),
    ("Une vascularite du SNC est à évoquer.", "I67.7", "hypothetical"),
    ("Myopathie inflammatoire idiopathique à la biopsie.", "G72.4", "affirmed"),
    # infectiology: tropical, viral, parasitic, fungal
    ("Une giardiose est à rechercher sur les selles.", "A07.1", "hypothetical"),
    ("Baignade au lac Malawi : fièvre de Katayama possible.", "B65.9", "hypothetical"),
    ("Hyperéosinophilie : une strongyloïdose doit être éliminée.", "B78.9", "hypothetical"),
    ("Séjour en Inde, fièvre et splénomégalie : kala-azar ?", "B55.0", "hypothetical"),
    ("Méningite à cryptocoque chez un patient VIH.", "B45.1", "affirmed"),
    ("Diarrhée et arthralgies : maladie de Whipple à évoquer.", "K90.8", "hypothetical"),
    ("Angine et splénomégalie : MNI probable.", "B27.9", "hypothetical"),
    ("Primo-infection EBV récente.", "B27.0", "affirmed"),
    # viral hepatitis by its capital letter, letters coordinated, acute forms
    ("Une hépatite aiguë A ou E est à éliminer.", "B15.9", "hypothetical"),
    ("Une hépatite aiguë A ou E est à éliminer.", "B17.2", "hypothetical"),
    ("Sérologies des hépatites B et C négatives.", "B18.2", "negated"),
    ("Hépatite B aiguë chez un voyageur.", "B16.9", "affirmed"),
    ("Cytolyse sur hépatite à CMV.", "B25.1", "affirmed"),
    # rheumatology: "une PR", pseudo-gout, arthritis by its count, eponyms
    ("Une PR du sujet âgé reste possible.", "M06.9", "hypothetical"),
    ("Elle est suivie pour sa PR depuis dix ans.", "M06.9", "affirmed"),
    ("On évoque une PR à début tardif.", "M06.9", "hypothetical"),
    ("Genou chaud chez une femme âgée : pseudo-goutte probable.", "M11.2", "hypothetical"),
    ("Une goutte paraît peu probable (uricémie normale).", "M10", "hypothetical"),
    ("Podagre évoquant une goutte.", "M10", "hypothetical"),
    ("Oligoarthrite asymétrique des membres inférieurs.", "M13.8", "affirmed"),
    ("Monoarthrite du genou droit.", "M13.1", "affirmed"),
    ("Syndrome de Fiessinger-Leroy-Reiter après une urétrite.", "M02.3", "affirmed"),
    ("Une polymyalgia rheumatica est évoquée.", "M35.3", "hypothetical"),
    ("Arthrite juvénile idiopathique dans l'enfance.", "M08.9", "affirmed"),
    # haematology: lymphomas by their type, myeloid neoplasms, microangiopathies
    ("Lymphocytes villeux : lymphome splénique de la zone marginale probable.", "C88.4", "hypothetical"),
    ("Adénopathies : lymphome à petits lymphocytes ou LLC.", "C83.0", "affirmed"),
    ("Biopsie ganglionnaire : DLBCL.", "C83.3", "affirmed"),
    ("Polyglobulie de Vaquez (JAK2 muté).", "D45", "affirmed"),
    ("Mastocytose systémique indolente.", "D47.0", "affirmed"),
    ("Une myélodysplasie est à éliminer par myélogramme.", "D46.9", "hypothetical"),
    ("Schizocytes : un PTT doit être éliminé en urgence.", "M31.1", "hypothetical"),
    ("Hémolyse et thromboses : hémoglobinurie paroxystique nocturne ?", "D59.5", "hypothetical"),
    ("Syndrome hyperéosinophilique idiopathique.", "D72.1", "affirmed"),
    ("Plasmocytome solitaire de l'os.", "C90.3", "affirmed"),
    # lysosomal storage diseases, lupus by its organ, vitamin B12 deficiency
    ("Une maladie de Fabry sera recherchée (alpha-galactosidase).", "E75.2", "hypothetical"),
    ("Une maladie de Pompe est à éliminer.", "E74.0", "hypothetical"),
    ("Un neurolupus est à discuter.", "M32.1", "hypothetical"),
    ("Protéinurie : un lupus rénal doit être éliminé.", "M32.1", "hypothetical"),
    ("Pas de carence en B12 (dosage normal).", "E53.8", "negated"),
    ("Hypovitaminose B12 chez une végétalienne.", "E53.8", "affirmed"),
    # endocrine tumours
    ("Masse surrénalienne de 7 cm évocatrice d'un corticosurrénalome.", "C74.0", "hypothetical"),
    ("Incidentalome surrénalien de 2 cm.", "D44.1", "affirmed"),
    ("Hyperparathyroïdie : une NEM 1 est à rechercher.", "D44.8", "hypothetical"),
    # a mental disorder induced by a substance is the substance's F1x
    ("Trouble de l'humeur induit par l'alcool, sevrage programmé.", "F10.8", "affirmed"),
    ("Psychose induite par le cannabis en 2021.", "F12.5", "affirmed"),
    ("Episode dépressif induit par la consommation de cocaïne ?", "F14.8", "hypothetical"),
    # an unspecified stroke of a note naming the infarct is that infarct; a relative's is not
    ("IRM : infarctus sylvien droit. Rééducation post-AVC.", "I63", "affirmed"),
    ("Son père a fait un AVC. IRM : infarctus lacunaire.", "I64", "family"),
    # metronidazole named as an antibiotic therapy is the antibacterial
    ("Antibiothérapie par Claforan et Flagyl pour l'abcès.", "J01XD01", "affirmed"),
    # methotrexate is not oncology for a melanoma
    ("Psoriasis sévère. Mélanome opéré en 2010. Méthotrexate 15 mg par semaine.", "L04AX03",
     "affirmed"),
    # aspirin at an analgesic or anti-inflammatory dose is not the antiplatelet
    ("Aspirine 1 g trois fois par jour pour la péricardite.", "N02BA01", "affirmed"),
    ("Aspégic 1000 mg si douleurs.", "N02BA01", "affirmed"),
    ("Aspirine à dose anti-inflammatoire pendant deux semaines.", "N02BA01", "affirmed"),
    # weekly methotrexate stays the immunosuppressant when a cancer is only weighed
    ("PPR probable ; une néoplasie sera recherchée. Méthotrexate pourra être discuté.", "L04AX03",
     "hypothetical"),
])
def test_round14b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", [
    # "hépatite à" is not the hepatitis A
    ("Hépatite à CMV chez un greffé.", "B15.9"),
    ("Une hépatite virale à éliminer.", "B15.9"),
    ("Pas d'hépatite auto-immune.", "B15.9"),
    # a drop of eye drops is not gout; pseudo-gout is not gout
    ("Xalatan une goutte le soir dans chaque œil.", "M10"),
    ("Chondrocalcinose du genou (pseudo-goutte).", "M10"),
    # the ECG interval is not the rheumatoid arthritis
    ("ECG : PR à 220 ms, le PR est allongé.", "M06.9"),
    # the bare head of a substance-induced disorder is not the diagnosis
    ("Trouble de l'humeur induit par l'alcool.", "F39"),
    # a relative's multiple endocrine neoplasia is not an unspecified cancer
    ("Pas de néoplasie endocrinienne connue dans la famille.", "C80.9"),
    # metronidazole without an antibiotic word keeps the lexicon's code
    ("Flagyl 500 mg x3 pour la giardiose.", "J01XD01"),
    # antiplatelet aspirin stays antiplatelet (low dose, intravenous loading dose)
    ("Kardégic 75 mg par jour.", "N02BA01"),
    ("Aspégic 500 mg IVD en dose de charge.", "N02BA01"),
    # codes the words do not mean
    ("Alvéolite allergique extrinsèque aux moisissures.", "T78.4"),
    ("Pneumopathie à éosinophiles sous traitement.", "J18"),
    ("Déficit en vitamine B12 sur gastrite atrophique.", "A11HA"),
    ("Vascularite cérébrale à l'angio-IRM.", "M31.9"),
    ("Purpura thrombotique thrombocytopénique acquis.", "D69.2"),
    ("Hémoglobinurie paroxystique nocturne connue.", "R82.3"),
    ("Bronchiolite oblitérante après greffe pulmonaire.", "J21"),
])
def test_round14b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert code not in {c for c, _ in found(nlp_engine, text)}
