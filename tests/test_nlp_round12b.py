"""Round 12b of issue 15 (docs/nlp-engine.md, "Round 12b: concepts"): one probe
sentence per family of concept wordings (recall) and of codes the words do not
mean (precision) found on the round's letters (tests/data/nlp/letters/11_round12b.txt)
and on probes of the round's eight specialties. The sentences are not the letters' own."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a cerebral infarct by its site (nlp/lexgen.py); "infarctus" alone stays the myocardium's
    ("IRM : infarctus lacunaire capsulaire gauche récent.", "I63", "affirmed"),
    ("Séquelle d'ischémie sylvienne superficielle droite.", "I63", "affirmed"),
    ("Infarctus du territoire vertébro-basilaire.", "I63", "affirmed"),
    ("Infarctus splénique au scanner.", "D73.5", "affirmed"),
    # the dissection of a named artery
    ("Cervicalgie brutale révélant une dissection de l'artère vertébrale gauche.", "I72.6",
     "affirmed"),
    ("Dissection carotidienne interne droite sous Kardégic.", "I72.0", "affirmed"),
    # valve shorthand with its grade or severity
    ("ETT : IA modérée, FEVG conservée.", "I35.1", "affirmed"),
    ("Echographie : RA serré (surface 0,8 cm²).", "I35.0", "affirmed"),
    ("IM grade 3 sur prolapsus de la valve mitrale.", "I34.0", "affirmed"),
    # fractures by bone and site
    ("Fracture bimalléolaire droite opérée.", "S82.8", "affirmed"),
    ("Chute : fracture pertrochantérienne gauche.", "S72.1", "affirmed"),
    ("Fracture déplacée du plateau tibial externe.", "S82.1", "affirmed"),
    ("Fracture du scaphoïde carpien non déplacée.", "S62.0", "affirmed"),
    # osteochondritis by its site or eponym
    ("Ostéochondrite disséquante du dôme du talus.", "M93.2", "affirmed"),
    ("Douleurs du genou sur une maladie d'Osgood-Schlatter.", "M92.5", "affirmed"),
    # an endocarditis with its germ is infective
    ("Endocardite mitrale à Enterococcus faecalis.", "I33.0", "affirmed"),
    # named contraceptive pills after a word of contraception
    ("Contraception orale par Jasmine.", "G03AA12", "affirmed"),
    ("Sous pilule oestroprogestative (Melodia).", "G03AA10", "affirmed"),
    ("Pilule contraceptive : Leeloo, 1 cp/j.", "G03AA07", "affirmed"),
    # drug codes as edsnlp's drugs.json gives them
    ("Victoza 1,2 mg/j.", "A10BX07", "affirmed"),
    ("Byetta 10 µg x2/j.", "A10BX04", "affirmed"),
    # methotrexate of immune skin disease is the immunosuppressant
    ("Pemphigoïde bulleuse : méthotrexate 10 mg par voie orale.", "L04AX03", "affirmed"),
    # a patient described by his disease's adjective
    ("Patient myélomateux, hospitalisé pour une pneumopathie.", "C90.0", "affirmed"),
    ("Patiente fébricitante depuis trois jours.", "R50.9", "affirmed"),
    ("Patient immunodéprimé sous corticoïdes.", "D84.9", "affirmed"),
    ("Elle est hématurique depuis la veille.", "R31", "affirmed"),
    ("Patiente œdématiée des deux chevilles.", "R60", "affirmed"),
    # wordings and shorthand of the specialties
    ("Récidive de maladie de Bouveret.", "I47.1", "affirmed"),
    ("Salves de TV non soutenue au Holter.", "I47.2", "affirmed"),
    ("Décompensation sur CMI connue (FEVG 30 %).", "I25.5", "affirmed"),
    ("Pied de Charcot gauche en phase aiguë.", "M14.6", "affirmed"),
    ("Signes droits : cœur pulmonaire sur HTAP.", "I27.9", "affirmed"),
    ("Cholécystite lithiasique opérée à froid.", "K80.1", "affirmed"),
    ("Pancréatite aiguë biliaire de gravité modérée.", "K85.1", "affirmed"),
    ("Plastron appendiculaire traité par antibiotiques.", "K35.3", "affirmed"),
    ("Entorse grave du genou avec rupture du ligament croisé antérieur.", "S83.5", "affirmed"),
    ("Capsulite rétractile de l'épaule droite.", "M75.0", "affirmed"),
    ("PRNA post-infectieuse traitée par IgIV.", "G61.0", "affirmed"),
    ("Neuropaludisme à P. falciparum.", "B50.0", "affirmed"),
    ("Angine à streptocoque, TDR positif.", "J02.0", "affirmed"),
    ("Lentigo malin de la joue.", "D03.9", "affirmed"),
    ("Maladie de Kaposi cutanée.", "C46.9", "affirmed"),
    ("Lymphome de la zone marginale splénique.", "C88.4", "affirmed"),
    ("Syndrome de Mallory-Weiss après des vomissements.", "K22.6", "affirmed"),
    # a cancer head, its modifiers, then its organ (nlp/engine.py, cancer_pattern)
    ("Adénocarcinome peu différencié et mucineux du rectum.", "C20", "affirmed"),
    ("Carcinome lobulaire infiltrant multifocal du sein gauche.", "C50", "affirmed"),
    ("Cancer épidermoïde localement avancé de l'œsophage.", "C15", "affirmed"),
    ("Carcinome urothélial de haut grade de vessie.", "C67", "affirmed"),
    # an intracerebral haemorrhage by its site; a stenosis of a named coronary artery
    ("Hématome thalamique gauche sous anticoagulant.", "I61.0", "affirmed"),
    ("Hémorragie intraparenchymateuse temporale droite.", "I61.1", "affirmed"),
    ("Coronarographie : sténose serrée de la circonflexe.", "I25.1", "affirmed"),
    ("Coronaropathie tritronculaire récusée pour la chirurgie.", "I25.1", "affirmed"),
    # orthopaedic and vascular wordings
    ("Pseudarthrose du scaphoïde.", "M84.1", "affirmed"),
    ("Tendinopathie achilléenne gauche.", "M76.6", "affirmed"),
    ("Ischémie critique du membre inférieur droit.", "I70.2", "affirmed"),
    # wordings of the specialties (second batch)
    ("Lupus cutané subaigu photo-induit.", "L93.1", "affirmed"),
    ("Pneumopathie organisée cryptogénique corticosensible.", "J84.1", "affirmed"),
    ("Occlusion grêlique sur bride opérée.", "K56.5", "affirmed"),
    ("Luxation d'épaule réduite aux urgences.", "S43.0", "affirmed"),
    ("Maladie de Bowen du dos de la main.", "D04.9", "affirmed"),
    ("Infection de PTG à staphylocoque.", "T84.5", "affirmed"),
    ("Endocardite sur prothèse valvulaire aortique.", "T82.6", "affirmed"),
    ("Suspicion de paralysie supranucléaire progressive.", "G23.1", "hypothetical"),
    ("Myélite transverse dorsale.", "G37.3", "affirmed"),
    ("Drépanocytose SS hospitalisée pour une CVO.", "D57.0", "affirmed"),
    ("Accès palustre à P. vivax au retour d'Inde.", "B51", "affirmed"),
    # molecules and salts in French word order; electrolytes by their route
    ("Carbonate de calcium 1 g/j.", "A12AA04", "affirmed"),
    ("Métronidazole 500 mg x3/j pendant 10 jours.", "P01AB01", "affirmed"),
    ("Atovaquone-proguanil 4 cp/j pendant 3 jours.", "P01BB51", "affirmed"),
    ("Chlorure de potassium 600 mg x3/j per os.", "A12BA01", "affirmed"),
    ("Chlorure de potassium 2 g/24h IVSE.", "B05XA01", "affirmed"),
    # a diabetic's retinopathy and macroangiopathy without the word "diabétique"
    ("DT2 depuis 15 ans, rétinopathie non proliférante au fond d'oeil.", "E11.3", "affirmed"),
    ("Diabète de type 2 avec macroangiopathie (AOMI, coronaropathie).", "E11.5", "affirmed"),
    # eponyms and named syndromes
    ("Maladie de Rendu-Osler avec épistaxis récidivantes.", "I78.0", "affirmed"),
    ("Syndrome de Leriche révélé par une claudication.", "I74.0", "affirmed"),
    ("Syndrome de Sweet paranéoplasique.", "L98.2", "affirmed"),
    ("Ténosynovite de De Quervain du poignet droit.", "M65.4", "affirmed"),
    ("Pas de syndrome de Zollinger-Ellison.", "E16.4", "negated"),
    # cardiology and pneumology wordings read as another category before
    ("Valvulopathie aortique dégénérative modérée.", "I35.9", "affirmed"),
    ("Anévrisme du VG séquellaire d'un IDM antérieur.", "I25.3", "affirmed"),
    ("Péricardite constrictive post-radique.", "I31.1", "affirmed"),
    ("Pneumonie interstitielle non spécifique.", "J84.9", "affirmed"),
    ("Orage rythmique sur cardiopathie ischémique.", "I47.2", "affirmed"),
    # dermatology
    ("Panaris de l'index droit incisé.", "L03.0", "affirmed"),
    ("Verrues plantaires multiples.", "B07", "affirmed"),
    ("Molluscum contagiosum du tronc.", "B08.1", "affirmed"),
    # signs
    ("Hémianopsie latérale homonyme gauche régressive.", "H53.4", "affirmed"),
    ("Livedo des genoux.", "R23.8", "affirmed"),
    ("Ménométrorragies depuis 3 mois.", "N92.1", "affirmed"),
    # a bare murmur of the examination
    ("B1B2 bien frappés, pas de souffle.", "R01.1", "negated"),
    # a healed hepatitis B is not the chronic one
    ("ATCD : hépatite B ancienne guérie.", "B16.9", "affirmed"),
    # an unspecified code made specific by the note
    ("Insuffisance rénale chronique stade 3. Insuffisance rénale aggravée par l'AINS.",
     "N18", "affirmed"),
    ("Chute avec traumatisme crânien. Le scanner montre un hématome sous-dural.",
     "S06.5", "affirmed"),
])
def test_round12b_concepts(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code", [
    # "infarctus" of a cerebral site is not a myocardial infarction
    ("Petit infarctus cortical pariétal gauche.", "I21"),
    # a bare "IM" is intramuscular; a name-like pill brand without context is not a drug
    ("Injection IM de 4 mg.", "I34.0"),
    ("Sa fille Jasmine l'accompagne.", "G03AA12"),
    # a patient's chronic kidney disease is not an unspecified renal failure
    ("IRC stade 4. Insuffisance rénale stable.", "N19"),
    ("Hépatite B guérie (anti-HBs et anti-HBc positifs).", "B18.1"),
    # a spontaneous subdural haematoma stays I62.0
    ("Hématome sous-dural chronique spontané sous AVK.", "S06.5"),
    # a bare osteochondritis says no site
    ("Ostéochondrite à surveiller.", "M93.2"),
    # methotrexate of an oncology note stays the antineoplastic
    ("Leucémie aiguë lymphoblastique : méthotrexate haute dose.", "L04AX03"),
    # a haematoma of the forehead after a fall is not a cerebral haemorrhage
    ("Chute avec hématome frontal, pas de perte de connaissance.", "I61"),
    # a cancer head and a later organ of another sentence
    ("Cancer métastatique. Le sein controlatéral est normal.", "C50"),
    # an ischaemia of the brain that passes is a TIA
    ("Ischémie cérébrale transitoire en 2019.", "I63"),
])
def test_round12b_words_that_do_not_mean_the_code(nlp_engine, text, code):
    assert code not in {c for c, _ in found(nlp_engine, text)}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def test_lexicon_drug_codes_agree_with_edsnlp_where_it_names_the_drug():
    """A lexicon ATC row whose term edsnlp's drugs.json names at 7 characters
    carries one of the codes drugs.json gives that name (gold codes are checked
    against it; "Préviscan" is only a class, B01AA, there)."""
    edsnlp = pytest.importorskip("edsnlp")
    from nlp.lexicon import load_lexicon
    from nlp.types import ATC_SYSTEM

    with open(Path(edsnlp.BASE_DIR) / "resources" / "drugs.json", encoding="utf-8") as fh:
        drugs = json.load(fh)
    names: dict[str, set[str]] = {}
    for code, labels in drugs.items():
        for label in labels:
            if len(code) == 7:
                names.setdefault(_fold(label), set()).add(code)
    bad = [(e.term, e.code) for e in load_lexicon()
           if e.system == ATC_SYSTEM and len(e.code) == 7 and e.code not in drugs
           and names.get(_fold(e.term))]
    assert not bad
