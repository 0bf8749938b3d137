"""Generated lexicon rows: classes of wordings built from small tables.

Written forms of pneumonias by germ, and of cancers ("cancer du sein", "K du sein", "néo mammaire",
"adénocarcinome du côlon sigmoïde", "carcinome canalaire infiltrant du sein")
and of secondary tumours ("métastases hépatiques", "lésions secondaires
osseuses", "localisation secondaire cérébrale") are the product of a head
noun and an organ wording. Listing the product by hand misses combinations;
generating it keeps the table small and the coverage even. Plurals need no
row: the plural fold (``nlp/components.py``) matches them.

Original work of the Codoc project (Apache-2.0). Codes are ATIH CIM-10
categories or sub-codes (checked against the ATIH table by a test).
"""

from __future__ import annotations

from .lexicon import LexiconEntry
from .types import ICD10_SYSTEM

# Head nouns of a primary malignant tumour. "K" and "néo" are the usual
# shorthand ("K du sein", "néo pulmonaire").
CANCER_HEADS = (
    "cancer", "K", "néo", "néoplasie", "néoplasme", "néoplasique", "tumeur maligne",
    "adénocarcinome", "carcinome", "carcinome épidermoïde", "carcinome canalaire infiltrant",
    "carcinome lobulaire infiltrant", "carcinome canalaire", "carcinome lobulaire",
    "carcinome urothélial", "carcinome à cellules claires", "adénocarcinome infiltrant",
    "cancer épidermoïde", "ADK", "adénocarcinome canalaire", "adénocarcinome lieberkühnien",
)

# organ wording -> ICD-10 code. The first group takes "du/de la/de l'"
# wordings, adjectives follow the head directly.
ORGANS = {
    # breast
    "du sein": "C50", "mammaire": "C50", "du sein droit": "C50", "du sein gauche": "C50",
    # lung
    "du poumon": "C34", "pulmonaire": "C34", "bronchique": "C34", "bronchopulmonaire": "C34",
    "broncho-pulmonaire": "C34", "bronchique non à petites cellules": "C34",
    "bronchique à petites cellules": "C34", "pulmonaire non à petites cellules": "C34",
    # colon, rectum, anus
    "du côlon": "C18", "du colon": "C18", "colique": "C18", "colorectal": "C18",
    "du côlon sigmoïde": "C18", "du colon sigmoïde": "C18", "sigmoïdien": "C18",
    "du sigmoïde": "C18", "du côlon droit": "C18", "du côlon gauche": "C18",
    "du caecum": "C18", "caecal": "C18", "du côlon transverse": "C18",
    "du rectum": "C20", "rectal": "C20", "du bas rectum": "C20", "du haut rectum": "C20",
    "de la jonction recto-sigmoïdienne": "C19", "recto-sigmoïdien": "C19",
    "du canal anal": "C21", "de l'anus": "C21", "anal": "C21",
    # upper digestive tract, liver, pancreas
    "de l'estomac": "C16", "gastrique": "C16", "du cardia": "C16",
    "de l'oesophage": "C15", "de l'œsophage": "C15", "oesophagien": "C15", "œsophagien": "C15",
    "du pancréas": "C25", "pancréatique": "C25", "de la tête du pancréas": "C25",
    "du foie": "C22", "hépatocellulaire": "C22", "des voies biliaires": "C24",
    "de la vésicule biliaire": "C23", "du grêle": "C17", "de l'intestin grêle": "C17",
    # urology
    "de la prostate": "C61", "prostatique": "C61", "de la vessie": "C67", "vésical": "C67",
    "du rein": "C64", "rénal": "C64", "du testicule": "C62", "testiculaire": "C62",
    # gynaecology
    "de l'ovaire": "C56", "ovarien": "C56", "de l'endomètre": "C54", "endométrial": "C54",
    "du col de l'utérus": "C53", "du col utérin": "C53", "de l'utérus": "C55",
    "utérin": "C55", "de la vulve": "C51",
    # head and neck, thyroid, brain, skin
    "de la thyroïde": "C73", "thyroïdien": "C73", "du larynx": "C32", "laryngé": "C32",
    "de l'amygdale": "C09", "de la langue": "C02", "du cavum": "C11", "ORL": "C76",
    "de l'oropharynx": "C10", "du pharynx": "C14", "de la cavité buccale": "C06",
    "cérébral": "C71", "du cerveau": "C71", "de la peau": "C44", "cutané": "C44",
    # others
    "osseux": "C41", "des os": "C41", "du médiastin": "C38", "de la plèvre": "C38",
    "pleural": "C38", "surrénalien": "C74",
    # round 6: organ wordings the table lacked
    "des bronches": "C34", "du poumon droit": "C34", "du poumon gauche": "C34",
    "du côlon ascendant": "C18", "du côlon descendant": "C18", "du col": "C53",
    "hépatique": "C22", "biliaire": "C24", "de la vésicule": "C23", "du duodénum": "C17",
    "duodénal": "C17", "ampullaire": "C24", "de l'ampoule de Vater": "C24",
    "de la jonction oeso-gastrique": "C16", "de la jonction œso-gastrique": "C16",
    "de l'uretère": "C66", "urétéral": "C66", "du bassinet": "C65", "pyélique": "C65",
    "de la verge": "C60", "pénien": "C60", "du nasopharynx": "C11", "nasopharyngé": "C11",
    "de l'hypopharynx": "C13", "hypopharyngé": "C13", "oropharyngé": "C10",
    "de la parotide": "C07", "parotidien": "C07", "du thymus": "C37", "thymique": "C37",
    "de la lèvre": "C00", "buccal": "C06", "des ovaires": "C56",
    # round 7: lay and family-history wordings ("cancer de l'intestin", "de la gorge")
    "de l'intestin": "C26", "digestif": "C26", "de la gorge": "C14", "de la bouche": "C06",
    "gynécologique": "C57", "du tube digestif": "C26", "hématologique": "C96",
    "des VADS": "C76", "des voies aérodigestives supérieures": "C76", "de l'appendice": "C18",
    "de la rate": "C26", "de l'oeil": "C69", "de l'œil": "C69", "oculaire": "C69",
    "du péritoine": "C48", "péritonéal": "C48", "des sinus": "C31", "du sinus": "C31",
    "des glandes salivaires": "C08", "de la trompe": "C57", "de la moelle": "C72",
    "de la surrénale": "C74",
}

# round 12b: article-less organ wordings of usual shorthand ("carcinome urothélial de vessie")
ORGANS.update({
    "de vessie": "C67", "de prostate": "C61", "de rein": "C64", "de pancréas": "C25",
    "de côlon": "C18", "de colon": "C18", "de rectum": "C20", "d'estomac": "C16", "d'ovaire": "C56",
    "de poumon": "C34", "d'oesophage": "C15", "d'œsophage": "C15", "de sein": "C50",
})
# round 19b: the sub-sites of the stomach ("adénocarcinome de l'antre gastrique", "cancer du fundus")
ORGANS.update({
    "de l'antre gastrique": "C16.3", "de l'antre": "C16.3", "antral": "C16.3", "de l'antre pylorique": "C16.3",
    "du pylore": "C16.4", "pylorique": "C16.4", "du fundus": "C16.1", "du fundus gastrique": "C16.1",
    "de la grosse tubérosité": "C16.1", "du corps gastrique": "C16.2", "du corps de l'estomac": "C16.2",
    "de la petite courbure": "C16.5", "de la petite courbure gastrique": "C16.5",
    "de la grande courbure": "C16.6", "de la grande courbure gastrique": "C16.6", "sous-cardial": "C16.0",
})
# words written between a cancer head and its organ ("carcinome épidermoïde bien
# différencié du poumon", "cancer localement avancé du sein"), round 12b: matched by a
# regular expression of the engine (nlp/engine.py, cancer_pattern), not as rows (their
# product with the heads and organs would triple the generated table)
CANCER_MODIFIERS = (
    "bien différencié", "moyennement différencié", "peu différencié", "indifférencié",
    "infiltrant", "invasif", "localement avancé", "métastatique", "non métastatique", "primitif",
    "évolué", "triple négatif", "hormonosensible", "hormono-sensible", "mucineux",
    "lieberkühnien", "papillaire", "folliculaire", "anaplasique", "ulcéré", "bourgeonnant",
    "sténosant", "récidivant", "à petites cellules", "non à petites cellules", "de haut grade",
    "de bas grade", "synchrone", "multifocal", "bilatéral", "opéré", "inopérable", "résécable",
    "non résécable", "droit", "gauche", "épidermoïde", "canalaire", "lobulaire", "urothélial",
    "à cellules claires", "in situ et infiltrant", "du tiers moyen", "du tiers inférieur",
    # round 19b: the thyroid's histologies ("cancer vésiculaire de la thyroïde", "carcinome médullaire
    # thyroïdien"), the signet-ring cells of the stomach
    "vésiculaire", "médullaire", "oncocytaire", "peu différencié à cellules indépendantes",
    "à cellules indépendantes", "en bague à chaton",
)
# heads of the modified form: the cancer heads but the one-letter and clipped shorthand
CANCER_MODIFIED_HEADS = tuple(h for h in CANCER_HEADS if h not in ("K", "néo", "ADK"))


def modifier_forms(adj: str) -> list[str]:
    """A modifier and its feminine ("invasif" -> "invasive", "infiltrant" -> "infiltrante")."""
    if adj.endswith("ant"):
        return [adj, adj + "e"]
    return _feminine(adj)


def organ_forms() -> dict[str, str]:
    """Every written organ wording of :data:`ORGANS` (adjectives with their feminine) -> code."""
    out: dict[str, str] = {}
    for organ, code in ORGANS.items():
        forms = [organ] if organ.startswith(("du ", "de ", "des ", "d'")) else _feminine(organ)
        for form in forms:
            out.setdefault(form, code)
    return out


# secondary tumours: head -> organ wording -> code
METASTASIS_HEADS = (
    "métastase", "lésion secondaire", "localisation secondaire", "atteinte secondaire",
    "lésion métastatique", "localisation métastatique", "nodule secondaire", "secondarisme",
    "méta", "métastatique", "récidive métastatique", "atteinte métastatique",
    "localisations secondaires", "dissémination métastatique",
)
METASTASIS_ORGANS = {
    "hépatique": "C78.7", "du foie": "C78.7", "pulmonaire": "C78.0", "du poumon": "C78.0",
    "pleurale": "C78.2", "pleural": "C78.2", "péritonéale": "C78.6", "péritonéal": "C78.6",
    "osseuse": "C79.5", "osseux": "C79.5", "vertébrale": "C79.5", "vertébral": "C79.5",
    "costale": "C79.5", "du squelette": "C79.5", "cérébrale": "C79.3", "cérébral": "C79.3",
    "encéphalique": "C79.3", "méningée": "C79.3", "surrénalienne": "C79.7",
    "surrénalien": "C79.7", "surrénale": "C79.7", "ganglionnaire": "C77",
    "cutanée": "C79.2", "cutané": "C79.2", "médiastinale": "C78.1", "ovarienne": "C79.6",
    "médullaire": "C79.4",
}
METASTASIS_OTHER = {
    "carcinose péritonéale": "C78.6", "carcinose pleurale": "C78.2",
    "lymphangite carcinomateuse": "C78.0", "méningite carcinomateuse": "C79.3",
    "adénopathies métastatiques": "C77", "adénopathie métastatique": "C77",
    "métastase": "C79.9",
}


# pneumonia by its germ ("pneumopathie à Haemophilus influenzae", "PAC à
# pneumocoque"): the head noun times the germ wording (round 10). "à" germ
# wordings only: a bare head stays J18 (its own rows in the TSV).
PNEUMONIA_HEADS = (
    "pneumopathie", "pneumonie", "pneumopathie aiguë", "pneumopathie infectieuse",
    "pneumopathie aiguë communautaire", "pneumopathie communautaire", "PAC",
    "pneumopathie nosocomiale", "pneumopathie bactérienne",
)
PNEUMONIA_GERMS = {
    "à pneumocoque": "J13", "à Streptococcus pneumoniae": "J13", "à S. pneumoniae": "J13",
    "à Haemophilus influenzae": "J14", "à H. influenzae": "J14", "à Haemophilus": "J14",
    "à Klebsiella": "J15.0", "à Klebsiella pneumoniae": "J15.0", "à K. pneumoniae": "J15.0",
    "à Pseudomonas": "J15.1", "à Pseudomonas aeruginosa": "J15.1", "à P. aeruginosa": "J15.1",
    "à pyocyanique": "J15.1", "à staphylocoque": "J15.2", "à staphylocoque doré": "J15.2",
    "à Staphylococcus aureus": "J15.2", "à S. aureus": "J15.2", "à SARM": "J15.2",
    "à SAMS": "J15.2", "à streptocoque": "J15.4", "à E. coli": "J15.5",
    "à Escherichia coli": "J15.5", "à entérobactérie": "J15.6", "à mycoplasme": "J15.7",
    "à Mycoplasma pneumoniae": "J15.7", "à M. pneumoniae": "J15.7", "à Mycoplasma": "J15.7",
    "à Chlamydia": "J16.0", "à Chlamydia pneumoniae": "J16.0",
    "à Chlamydophila pneumoniae": "J16.0", "à légionelle": "A48.1", "à Legionella": "A48.1",
    "à Legionella pneumophila": "A48.1", "virale": "J12.9", "à VRS": "J12.1",
    "à virus respiratoire syncytial": "J12.1", "grippale": "J11.0",
}

ENDOCARDITIS_HEADS = ("endocardite", "endocardite aiguë", "endocardite subaiguë", "endocardite mitrale",
                      "endocardite aortique", "endocardite tricuspide", "endocardite sur valve native")
ENDOCARDITIS_GERMS = ["à entérocoque", "à Enterococcus faecalis", "à E. faecalis",
                      "à streptocoque oral", "à Streptococcus gallolyticus", "à S. gallolyticus",
                      "à streptocoque bovis", "à S. bovis", "à staphylocoque coagulase négative",
                      "à SCN", "à S. epidermidis", "à germe HACEK", "à BGN", "à Candida"]

# malaria by its species (round 12b): "accès palustre à P. vivax" is B51, not B54
MALARIA_HEADS = ("paludisme", "accès palustre", "accès de paludisme", "accès palustre simple",
                 "paludisme simple", "paludisme grave", "accès palustre grave", "paludisme d'importation")
MALARIA_SPECIES = {
    "à P. falciparum": "B50", "à Plasmodium falciparum": "B50", "à falciparum": "B50",
    "à P. vivax": "B51", "à Plasmodium vivax": "B51", "à vivax": "B51",
    "à P. malariae": "B52", "à Plasmodium malariae": "B52",
    "à P. ovale": "B53.0", "à Plasmodium ovale": "B53.0", "à ovale": "B53.0",
}

# alcohol-related diseases: the disease noun with its cause ("cirrhose éthylique",
# "polyneuropathie d'origine alcoolique"), one code for the span (round 10)
ALCOHOL_HEADS = {
    "cirrhose": "K70.3", "hépatopathie": "K70.9", "hépatite": "K70.1", "stéatose": "K70.0",
    "stéatose hépatique": "K70.0", "pancréatite chronique": "K86.0", "pancréatite aiguë": "K85.2",
    "cardiomyopathie": "I42.6", "myocardiopathie": "I42.6", "polynévrite": "G62.1",
    "polyneuropathie": "G62.1", "neuropathie": "G62.1", "neuropathie périphérique": "G62.1",
    "gastrite": "K29.2",
}
ALCOHOL_CAUSES = ("alcoolique", "éthylique", "d'origine alcoolique", "d'origine éthylique")

# a mental disorder induced by a substance ("trouble de l'humeur induit par l'alcool", "psychose
# induite par le cannabis"): the substance's F1x category, .5 psychotic, .8 the others (round 14b);
# the bare head ("trouble de l'humeur" F39) is not the diagnosis weighed
SUBSTANCE_DISORDERS = {  # head -> fourth character
    "trouble de l'humeur": "8", "trouble thymique": "8", "trouble dépressif": "8",
    "syndrome dépressif": "8", "épisode dépressif": "8", "dépression": "8", "trouble anxieux": "8",
    "trouble psychotique": "5", "épisode psychotique": "5", "psychose": "5",
    "bouffée délirante": "5", "trouble du sommeil": "8",
}
SUBSTANCES = {"alcool": "F10", "cannabis": "F12", "cocaïne": "F14", "toxiques": "F19", "drogues": "F19"}
SUBSTANCE_ARTICLES = {"alcool": "l'", "cannabis": "le ", "cocaïne": "la ", "toxiques": "les ",
                      "drogues": "les "}


def substance_disorders() -> dict[str, str]:
    """"<head> induit(e) par <substance>", "... par la consommation de <substance>" -> its code."""
    out: dict[str, str] = {}
    for head, fourth in SUBSTANCE_DISORDERS.items():
        for participle in ("induit", "induite"):
            for substance, category in SUBSTANCES.items():
                of = "d'" if substance[0] in "aeiou" else "de "
                for wording in (f"par {SUBSTANCE_ARTICLES[substance]}{substance}",
                                f"par la consommation {of}{substance}"):
                    out.setdefault(f"{head} {participle} {wording}", f"{category}.{fourth}")
    return out


# pain of a named joint ("douleurs des IPD", "arthralgies des poignets"): M25.5
JOINT_PAIN_HEADS = ("douleur", "douleurs", "arthralgie", "arthralgies")
JOINTS = (
    "du poignet", "des poignets", "de la cheville", "des chevilles", "du coude", "des coudes",
    "du genou", "des genoux", "de la hanche", "des hanches", "de l'épaule", "des épaules",
    "des IPD", "des IPP", "des MCP", "des MTP", "des interphalangiennes",
    "des métacarpophalangiennes", "des métatarsophalangiennes", "des petites articulations",
)
JOINT_PAIN_CODE = "M25.5"


# round 12b: an infarct is the myocardium's by default ("infarctus" alone is I21),
# a cerebral one by its site ("infarctus cortical frontal", "infarctus lacunaire
# capsulaire", "ischémie sylvienne"); other organs by theirs. Head -> site wording.
INFARCT_HEADS = ("infarctus", "infarctus cérébral", "ischémie", "lacune", "AVC ischémique")
CEREBRAL_SITES = (
    "cortical", "sous-cortical", "cortico-sous-cortical", "frontal", "pariétal", "temporal",
    "occipital", "fronto-pariétal", "temporo-pariétal", "pariéto-occipital", "temporo-occipital",
    "sylvien", "sylvien superficiel", "sylvien profond", "sylvien total", "lacunaire",
    "capsulaire", "capsulo-lenticulaire", "capsulo-thalamique", "thalamique", "cérébelleux",
    "hémisphérique", "lenticulaire", "striatal", "striato-capsulaire", "protubérantiel",
    "pontique", "bulbaire", "mésencéphalique", "jonctionnel", "vertébro-basilaire",
    "du tronc cérébral", "du territoire sylvien", "dans le territoire sylvien", "de la capsule interne",
    "du cervelet", "du thalamus", "du territoire vertébro-basilaire", "du territoire de l'ACM",
    "du territoire de l'artère cérébrale moyenne", "du territoire de l'ACA", "du territoire de l'ACP",
    "carotidien", "du territoire carotidien",
)
INFARCT_ORGANS = {
    "infarctus rénal": "N28.0", "infarctus du rein": "N28.0", "infarctus splénique": "D73.5",
    "infarctus de la rate": "D73.5", "infarctus pulmonaire": "I26.9", "infarctus médullaire": "G95.1",
    "ischémie médullaire": "G95.1", "infarctus testiculaire": "N44",
}
# dissection of a named artery (the aorta has its own rows)
DISSECTIONS = {
    "carotidienne": "I72.0", "de la carotide": "I72.0", "de l'artère carotide": "I72.0",
    "de la carotide interne": "I72.0", "de l'artère carotide interne": "I72.0", "carotide": "I72.0",
    "vertébrale": "I72.6", "de l'artère vertébrale": "I72.6", "de la vertébrale": "I72.6",
    "des artères cervicales": "I72.5", "cervicale": "I72.5", "cervico-encéphalique": "I72.5",
    "rénale": "I72.2", "de l'artère rénale": "I72.2", "iliaque": "I72.3", "de l'artère iliaque": "I72.3",
    "coronaire": "I25.4", "coronarienne": "I25.4", "spontanée coronaire": "I25.4",
}
DISSECTION_HEADS = ("dissection", "dissection artérielle")
# valve shorthand of echocardiography reports, only with a grade or severity
# ("IM grade 2", "IA modérée", "RA serré"): a bare "IM" is also intramuscular.
VALVE_ABBREVIATIONS = {"IM": "I34.0", "IA": "I35.1", "IAo": "I35.1", "IT": "I36.1",
                       "RA": "I35.0", "RAo": "I35.0", "RM": "I05.0"}
VALVE_SEVERITY = {  # feminine for "insuffisance", masculine for "rétrécissement"
    "I": ("grade", "de grade", "minime", "légère", "modérée", "moyenne", "sévère", "importante",
          "massive", "significative", "fonctionnelle", "ischémique", "dystrophique", "organique",
          "volumineuse", "de bas grade", "modérée à sévère", "1/4", "2/4", "3/4", "4/4"),
    "R": ("serré", "très serré", "sévère", "modéré", "moyennement serré", "lâche", "calcifié",
          "significatif", "critique", "minime", "léger"),
}

# contraceptive pills named like first names are ignore rows of the TSV ("Leeloo",
# "Jasmine"); after a word of contraception in the same stretch they are the drug
# ("pilule (Leeloo)", "contraception orale par Jasmine"): matched by the engine
# (nlp/engine.py, named_pill_pattern), the span being the brand alone
NAMED_PILLS = {"Leeloo": "G03AA07", "Jasmine": "G03AA12", "Melodia": "G03AA10"}
CONTRACEPTION_WORDS = ("pilule", "contraception", "contraceptif", "contraceptive",
                       "oestroprogestatif", "oestroprogestative", "œstroprogestatif",
                       "œstroprogestative")

# fractures by bone and site (round 12b): the head, with its usual descriptive
# adjectives, times the site wording ("fracture trimalléolaire", "fracture déplacée du
# plateau tibial", "fracture ouverte de la diaphyse tibiale"). ATIH sub-codes.
FRACTURE_HEADS = ("fracture", "fracture déplacée", "fracture non déplacée", "fracture ouverte",
                  "fracture fermée", "fracture comminutive", "fracture spiroïde", "fracture engrenée",
                  "fracture parcellaire", "fracture-luxation", "fracture luxation", "fracture complexe")
FRACTURE_SITES = {
    # femur
    "du col du fémur": "S72.0", "du col fémoral": "S72.0", "cervicale vraie": "S72.0",
    "de l'extrémité supérieure du fémur": "S72.0", "de hanche": "S72.0", "de la hanche": "S72.0",
    "pertrochantérienne": "S72.1", "per-trochantérienne": "S72.1", "trochantérienne": "S72.1",
    "trochantéro-diaphysaire": "S72.2", "sous-trochantérienne": "S72.2",
    "de la diaphyse fémorale": "S72.3", "diaphysaire du fémur": "S72.3", "du fémur": "S72.9",
    "de l'extrémité inférieure du fémur": "S72.4", "supracondylienne du fémur": "S72.4",
    "sus-condylienne du fémur": "S72.4",
    # leg, ankle, foot
    "de la rotule": "S82.0", "de la patella": "S82.0", "du plateau tibial": "S82.1",
    "des plateaux tibiaux": "S82.1", "de l'extrémité supérieure du tibia": "S82.1",
    "de la diaphyse tibiale": "S82.2", "du tibia": "S82.2", "de jambe": "S82.9",
    "des deux os de la jambe": "S82.2", "du pilon tibial": "S82.3",
    "de l'extrémité inférieure du tibia": "S82.3", "de la fibula": "S82.4", "du péroné": "S82.4",
    "de la malléole interne": "S82.5", "de la malléole médiale": "S82.5",
    "de la malléole externe": "S82.6", "de la malléole latérale": "S82.6",
    "bimalléolaire": "S82.8", "trimalléolaire": "S82.8", "de cheville": "S82.8",
    "de la cheville": "S82.8", "du calcanéum": "S92.0", "de l'astragale": "S92.1", "du talus": "S92.1",
    "du métatarsien": "S92.3", "d'un métatarsien": "S92.3", "du cinquième métatarsien": "S92.3",
    "du 5e métatarsien": "S92.3", "de la base du 5e métatarsien": "S92.3", "d'orteil": "S92.5",
    "d'un orteil": "S92.5",
    # shoulder, arm, forearm, wrist, hand
    "de la clavicule": "S42.0", "claviculaire": "S42.0", "de l'omoplate": "S42.1",
    "de la scapula": "S42.1", "de l'extrémité supérieure de l'humérus": "S42.2",
    "du col de l'humérus": "S42.2", "du col huméral": "S42.2", "du col chirurgical de l'humérus": "S42.2",
    "de la tête humérale": "S42.2", "du trochiter": "S42.2", "de la diaphyse humérale": "S42.3",
    "de l'humérus": "S42.3", "supracondylienne de l'humérus": "S42.4",
    "de l'extrémité inférieure de l'humérus": "S42.4", "de l'épaule": "S42.9",
    "de l'olécrane": "S52.0", "de l'olécrâne": "S52.0", "de la tête radiale": "S52.1",
    "des deux os de l'avant-bras": "S52.4", "de l'extrémité inférieure du radius": "S52.5",
    "du radius distal": "S52.5", "de l'extrémité distale du radius": "S52.5", "du radius": "S52.5",
    "de Pouteau-Colles": "S52.5", "de Pouteau Colles": "S52.5", "de Goyrand-Smith": "S52.5",
    "du scaphoïde": "S62.0", "du scaphoïde carpien": "S62.0", "du poignet": "S62.8",
    "du métacarpien": "S62.3", "d'un métacarpien": "S62.3", "du cinquième métacarpien": "S62.3",
    "du 5e métacarpien": "S62.3", "d'une phalange": "S62.6", "de phalange": "S62.6",
    # trunk, pelvis, spine, skull
    "du bassin": "S32.8", "du cotyle": "S32.4", "de l'acétabulum": "S32.4",
    "des branches ilio-pubiennes": "S32.5", "des branches ischio-pubiennes": "S32.5",
    "du cadre obturateur": "S32.5", "du pubis": "S32.5", "du sacrum": "S32.1", "sacrée": "S32.1",
    "du coccyx": "S32.2", "vertébrale lombaire": "S32.0", "vertébrale": "S32.0",
    "vertébrale dorsale": "S22.0", "vertébrale thoracique": "S22.0", "du sternum": "S22.2",
    "de côte": "S22.3", "costale": "S22.3", "de côtes": "S22.4", "costales": "S22.4",
    "de plusieurs côtes": "S22.4", "du rachis cervical": "S12.9", "vertébrale cervicale": "S12.9",
    "du crâne": "S02.0", "de la voûte du crâne": "S02.0", "des os propres du nez": "S02.2",
    "du nez": "S02.2", "de la mandibule": "S02.6", "mandibulaire": "S02.6",
}

# a patient described by an adjective or participle of his disease or sign ("patient
# myélomateux", "patiente fébricitante", "immunodéprimé"), round 12b: the masculine
# forms; the feminine ones follow by rule (_feminine, plus -ant/-i -> -ante/-ie) and the
# plurals by the plural fold
ADJECTIVES = {
    "immunodéprimé": "D84.9", "algique": "R52.9", "hyperalgique": "R52.9", "eczémateux": "L30.9",
    "vertigineux": "R42", "artéritique": "I70.2", "sarcoïdosique": "D86.9", "myélomateux": "C90.0",
    "leucémique": "C95.9", "lymphomateux": "C85.9", "fébricitant": "R50.9", "comateux": "R40.2",
    "polyurique": "R35", "dysurique": "R30.0", "hématurique": "R31", "amaigri": "R63.4",
    "thalassémique": "D56.9", "cardiopathe": "I51.9", "bronchitique chronique": "J42",
    "polytraumatisé": "T07", "hémiplégique": "G81.9", "tétraplégique": "G82.5",
    "anurique": "R34", "oligo-anurique": "R34", "oligurique": "R34", "cachectique": "R64",
    "hypoxémique": "R09.0", "ictérique": "R17", "subictérique": "R17", "nauséeux": "R11",
    "diarrhéique": "A09", "fébrile": "R50.9", "subfébrile": "R50.9", "dyspnéique": "R06.0",
    "polypnéique": "R06.0", "tachycarde": "R00.0", "bradycarde": "R00.1", "asthénique": "R53",
    "anémié": "D64.9", "anémique": "D64.9", "thrombopénique": "D69.6", "neutropénique": "D70",
    "lymphopénique": "D72.8", "hyperéosinophile": "D72.1", "polyglobulique": "D75.1",
    "hypokaliémique": "E87.6", "hyponatrémique": "E87.1", "hypercalcémique": "E83.5",
    "hypoglycémique": "E16.2", "hyperthyroïdien": "E05.9", "hypothyroïdien": "E03.9",
    "dysthyroïdien": "E07.9", "épileptique": "G40.9",
    "migraineux": "G43.9", "parkinsonien": "G20", "dément": "F03", "aphasique": "R47.0",
    "dysarthrique": "R47.1", "dysphagique": "R13", "confus": "R41.0", "désorienté": "R41.0",
    "somnolent": "R40.0", "confuse": "R41.0", "hémiparétique": "G81.9", "paraplégique": "G82.2",
    "psoriasique": "L40.9", "urticarien": "L50.9", "prurigineux": "L29.9", "acnéique": "L70.9",
    "lupique": "M32.9", "goutteux": "M10.9", "arthrosique": "M19.9", "ostéoporotique": "M81.9",
    "cirrhotique": "K74.6", "constipé": "K59.0", "asthmatique": "J45.9", "emphysémateux": "J43.9",
    "impaludé": "B54",
    # round 18b
    "incontinent": "R32", "basedowien": "E05.0",
    # round 19b ("patient glaucomateux", "patiente myope", "malentendant appareillé")
    "glaucomateux": "H40.9", "myasthénique": "G70.0", "myope": "H52.1", "malentendant": "H91.9",
}

# osteochondritis: the code is the site's (round 12b; a bare "ostéochondrite" stays uncoded)
OSTEOCHONDRITIS_HEADS = ("ostéochondrite", "ostéochondrose", "ostéochondrite primitive",
                         "ostéochondrite juvénile", "ostéochondrite disséquante")
OSTEOCHONDRITIS_SITES = {
    "de hanche": "M91.1", "de la hanche": "M91.1", "de la tête fémorale": "M91.1",
    "du genou": "M93.2", "du condyle fémoral": "M93.2", "du condyle fémoral interne": "M93.2",
    "du talus": "M93.2", "du dôme du talus": "M93.2", "de l'astragale": "M93.2", "du coude": "M93.2",
    "du capitellum": "M93.2", "de la tubérosité tibiale antérieure": "M92.5", "de la TTA": "M92.5",
    "tibiale": "M92.5", "du calcanéum": "M92.6", "calcanéenne": "M92.6", "du naviculaire": "M92.6",
    "du scaphoïde tarsien": "M92.6", "du tarse": "M92.6", "de la tête du deuxième métatarsien": "M92.7",
    "de la tête du 2e métatarsien": "M92.7", "du métatarse": "M92.7", "du semi-lunaire": "M92.2",
    "du lunatum": "M92.2", "vertébrale": "M42.0", "rachidienne": "M42.0", "de la rotule": "M92.4",
}
OSTEOCHONDRITIS_EPONYMS = {
    "Osgood-Schlatter": "M92.5", "Osgood Schlatter": "M92.5", "Sever": "M92.6", "Köhler": "M92.6",
    "Freiberg": "M92.7", "Kienböck": "M92.2", "Scheuermann": "M42.0", "Sinding-Larsen": "M92.4",
}

# an intracerebral haemorrhage by its site (round 12b): deep sites for any head (a
# "hématome frontal" after a fall is the scalp's), lobes only after a cerebral head
HAEMORRHAGE_DEEP = {
    "capsulaire": "I61.0", "capsulo-lenticulaire": "I61.0", "lenticulaire": "I61.0",
    "capsulo-thalamique": "I61.0", "thalamique": "I61.0", "striatal": "I61.0",
    "profond": "I61.0", "cérébelleux": "I61.4", "du cervelet": "I61.4", "protubérantiel": "I61.3",
    "pontique": "I61.3", "du tronc cérébral": "I61.3", "intraventriculaire": "I61.5",
}
HAEMORRHAGE_LOBES = {"lobaire": "I61.1", "frontal": "I61.1", "pariétal": "I61.1",
                     "temporal": "I61.1", "occipital": "I61.1", "cortical": "I61.1",
                     "cortico-sous-cortical": "I61.1", "fronto-pariétal": "I61.1",
                     "temporo-pariétal": "I61.1", "pariéto-occipital": "I61.1"}
HAEMORRHAGE_HEADS = ("hématome", "hémorragie", "AVC hémorragique")
HAEMORRHAGE_CEREBRAL_HEADS = ("hématome intraparenchymateux", "hématome intracérébral",
                              "hémorragie intraparenchymateuse", "hémorragie intracérébrale",
                              "hématome cérébral", "hémorragie cérébrale", "AVC hémorragique")
# a stenosis of a named coronary artery, a one- to three-vessel disease (round 12b)
CORONARY_HEADS = ("sténose", "sténose serrée", "sténose significative", "sténose intermédiaire",
                  "lésion serrée", "lésion significative")
CORONARY_ARTERIES = (
    "de l'IVA", "de l'IVA proximale", "de l'IVA moyenne", "de l'IVA distale",
    "de l'interventriculaire antérieure", "de la coronaire droite", "de la CD", "de la CD moyenne",
    "de la CD proximale", "de l'artère coronaire droite", "de la circonflexe", "de l'artère circonflexe",
    "de la Cx", "du tronc commun", "du TCG", "de la diagonale", "de la première diagonale",
    "de la marginale", "de la bissectrice", "de la rétroventriculaire", "de l'IVP",
)
CORONARY_EXTENT = ("tritronculaire", "bitronculaire", "monotronculaire", "pluritronculaire")


# a deficiency by its nutrient, with a degree before "en" (round 18b: "carence sévère en vitamine D",
# "déficit en vitamine B12", "insuffisance en vitamine D"); the bare "carence en X" rows are curated
DEFICIENCY_HEADS = ("carence", "carence sévère", "carence profonde", "carence modérée", "carence majeure",
                    "carence importante", "carence franche", "carence légère", "carence relative",
                    "déficit", "déficit sévère", "déficit profond", "déficit modéré")
DEFICIENCY_NUTRIENTS = {
    "en vitamine D": "E55.9", "en vit D": "E55.9", "en vitamine D3": "E55.9", "en 25-OH vitamine D": "E55.9",
    "en vitamine B12": "E53.8", "en B12": "E53.8", "en cobalamine": "E53.8", "en vitamine B9": "D52.9",
    "en folates": "D52.9", "en acide folique": "D52.9", "en fer": "E61.1",
}
VITAMIN_D_INSUFFICIENCY = ("insuffisance en vitamine D", "insuffisance en vit D", "insuffisance vitaminique D",
                           "carence vitaminique D", "déficit vitaminique D")


# a vein thrombosis by its vein (round 18b: "thrombose poplitée", "phlébite de la grande saphène",
# "thrombose des veines jumelles"; a bare "thrombose" is the unsited I82.9): deep sites take every
# head, superficial ones the heads that allow them
VEIN_HEADS_DEEP = ("thrombose", "thrombose veineuse", "thrombose veineuse profonde", "TVP", "phlébite",
                   "thrombophlébite")
VEIN_HEADS_SUPERFICIAL = ("thrombose", "thrombose veineuse", "thrombose veineuse superficielle", "TVS",
                          "phlébite", "thrombophlébite")
VEIN_SITES_DEEP = {
    "fémorale": "I80.1", "fémorale commune": "I80.1", "fémorale superficielle": "I80.1",
    "de la veine fémorale": "I80.1", "de la veine fémorale commune": "I80.1", "fémoro-poplitée": "I80.1",
    "ilio-fémorale": "I80.1", "iliofémorale": "I80.1", "poplitée": "I80.2", "de la veine poplitée": "I80.2",
    "surale": "I80.2", "surales": "I80.2", "des veines jumelles": "I80.2", "jumelle": "I80.2",
    "des veines surales": "I80.2", "soléaire": "I80.2", "des veines soléaires": "I80.2",
    "tibiale postérieure": "I80.2", "des veines tibiales": "I80.2", "fibulaire": "I80.2",
    "des veines fibulaires": "I80.2", "musculaire": "I80.2", "musculaire du mollet": "I80.2",
    "distale": "I80.2", "proximale": "I80.2", "iliaque": "I80.2", "de la veine iliaque": "I80.2",
    "ilio-cave": "I82.2", "cave": "I82.2", "cave inférieure": "I82.2", "de la veine cave": "I82.2",
    "de la veine cave inférieure": "I82.2", "rénale": "I82.3", "de la veine rénale": "I82.3",
    "sous-clavière": "I82.8", "de la veine sous-clavière": "I82.8", "axillaire": "I82.8",
    "humérale": "I82.8", "du membre supérieur": "I82.8", "jugulaire interne": "I82.8",
}
VEIN_SITES_SUPERFICIAL = {
    "saphène": "I80.0", "de la saphène": "I80.0", "de la veine saphène": "I80.0", "de la grande saphène": "I80.0",
    "de la petite saphène": "I80.0", "grande saphène": "I80.0", "petite saphène": "I80.0",
    "d'une veine superficielle": "I80.0", "sur varice": "I80.0", "variqueuse": "I80.0",
}


# an arterial stenosis or occlusion by its artery (round 18b: "sténose de l'artère fémorale superficielle",
# "occlusion iliaque", "sténose de la carotide interne"); coronary ones are CORONARY_HEADS'
ARTERY_HEADS = ("sténose", "sténose serrée", "sténose significative", "sténose modérée")
# an occlusion of a limb or neck artery is the chronic disease's; an acute one says so ("occlusion artérielle
# aiguë", "ischémie aiguë", "embolie") and a thrombosis may be acute: no row
OCCLUSION_HEADS = ("occlusion", "occlusion chronique")
# the acute ones of a limb artery (I74.3): a bare site adjective after "thrombose" is a vein's (VEIN_SITES_DEEP)
ACUTE_ARTERY_HEADS = ("occlusion aiguë", "occlusion embolique", "embolie", "thrombose aiguë")
ACUTE_ARTERY_NAMED_HEADS = ACUTE_ARTERY_HEADS + ("thrombose", "ischémie aiguë")
_LIMB = ("iliaque", "iliaque externe", "iliaque commune", "iliaque primitive", "fémorale", "fémorale superficielle",
         "fémorale commune", "fémorale profonde", "poplitée", "tibiale", "tibiale antérieure", "tibiale postérieure",
         "fibulaire", "jambière")
ARTERY_SITES = {
    **{f"de l'artère {site}": "I70.2" for site in _LIMB},
    **{site: "I70.2" for site in _LIMB if site not in ("tibiale", "fibulaire", "fémorale", "poplitée")},
    "des artères jambières": "I70.2", "de l'axe iliaque": "I70.2", "fémoro-poplitée": "I70.2",
    "de la carotide": "I65.2", "de la carotide interne": "I65.2", "de l'artère carotide": "I65.2",
    "de l'artère carotide interne": "I65.2", "carotide interne": "I65.2", "de la carotide primitive": "I65.2",
    "de l'artère vertébrale": "I65.0", "de l'artère sous-clavière": "I77.1", "sous-clavière": "I77.1",
    "de l'artère mésentérique supérieure": "K55.1", "de l'artère mésentérique": "K55.1",
    "intracrânienne": "I66.9",
}


def _feminine(adj: str) -> list[str]:
    """Masculine adjective -> its forms (head nouns mix genders: "néoplasie
    mammaire", "tumeur maligne rénale", "cancer rénal")."""
    if adj.endswith("eux"):
        return [adj, adj[:-1] + "se"]
    if adj.endswith("ien"):
        return [adj, adj + "ne"]
    if adj.endswith(("al", "é", "in")):
        return [adj, adj + "e"]
    if adj.endswith("if"):  # "digestif" -> "digestive" (round 13b)
        return [adj, adj[:-1] + "ve"]
    return [adj]


def _cross(rows: dict[str, str], heads, wordings: dict[str, str]) -> None:
    """Add "head wording" for every head and wording (``wordings`` maps each to its code);
    a term already there keeps its code."""
    for head in heads:
        for wording, code in wordings.items():
            rows.setdefault(f"{head} {wording}", code)


def generated_entries() -> list[LexiconEntry]:
    rows: dict[str, str] = {}
    _cross(rows, CANCER_HEADS, organ_forms())
    _cross(rows, METASTASIS_HEADS, METASTASIS_ORGANS)
    for term, code in METASTASIS_OTHER.items():
        rows.setdefault(term, code)
    for head, code in ALCOHOL_HEADS.items():
        for cause in ALCOHOL_CAUSES:
            rows.setdefault(f"{head} {cause}", code)
    _cross(rows, JOINT_PAIN_HEADS, dict.fromkeys(JOINTS, JOINT_PAIN_CODE))
    for term, code in substance_disorders().items():
        rows.setdefault(term, code)
    _cross(rows, PNEUMONIA_HEADS, PNEUMONIA_GERMS)
    _cross(rows, MALARIA_HEADS, MALARIA_SPECIES)
    # an endocarditis with its germ is infective (I33.0; "endocardite" alone is I38)
    for head in ENDOCARDITIS_HEADS:
        for germ in list(PNEUMONIA_GERMS) + ENDOCARDITIS_GERMS:
            if germ.startswith("à "):
                rows.setdefault(f"{head} {germ}", "I33.0")
    for head in INFARCT_HEADS:
        for site in CEREBRAL_SITES:
            forms = [site] if site.startswith(("du ", "de ", "dans ")) \
                or head not in ("ischémie", "lacune") else _feminine(site)
            for form in forms:
                rows.setdefault(f"{head} {form}", "I63")
    for term, code in INFARCT_ORGANS.items():
        rows.setdefault(term, code)
    _cross(rows, DISSECTION_HEADS, DISSECTIONS)
    _cross(rows, FRACTURE_HEADS, FRACTURE_SITES)
    for adj, code in ADJECTIVES.items():
        forms = _feminine(adj) + ([adj + "e"] if adj.endswith(("ant", "i", "is", "ard", "ent"))
                                   else [adj + "ne"] if adj.endswith("ien") else [])
        for form in dict.fromkeys(forms):
            rows.setdefault(form, code)
    _cross(rows, OSTEOCHONDRITIS_HEADS, OSTEOCHONDRITIS_SITES)
    rows.setdefault("ostéochondrite disséquante", "M93.2")
    for name, code in OSTEOCHONDRITIS_EPONYMS.items():
        for head in ("maladie de", "maladie d'", "syndrome de", "apophysite de"):
            if (head == "maladie d'") == name.startswith(("O", "A", "E", "I", "U")):
                rows.setdefault(f"{head} {name}" if head[-1] != "'" else f"{head}{name}", code)
    for heads, sites in ((HAEMORRHAGE_HEADS, HAEMORRHAGE_DEEP),
                         (HAEMORRHAGE_CEREBRAL_HEADS, {**HAEMORRHAGE_DEEP, **HAEMORRHAGE_LOBES})):
        for head in heads:
            for site, code in sites.items():
                forms = [site] if site.startswith("du ") else _feminine(site)
                for form in forms:
                    rows.setdefault(f"{head} {form}", code)
    _cross(rows, CORONARY_HEADS, dict.fromkeys(CORONARY_ARTERIES, "I25.1"))
    _cross(rows, ("atteinte", "lésions", "coronaropathie", "maladie coronarienne", "cardiopathie ischémique"),
           dict.fromkeys(CORONARY_EXTENT, "I25.1"))
    _cross(rows, DEFICIENCY_HEADS, DEFICIENCY_NUTRIENTS)
    _cross(rows, VEIN_HEADS_DEEP, VEIN_SITES_DEEP)
    _cross(rows, ARTERY_HEADS, ARTERY_SITES)
    _cross(rows, OCCLUSION_HEADS, {site: code for site, code in ARTERY_SITES.items()
                                   if code in ("I70.2", "I65.2", "I65.0")})
    _cross(rows, ACUTE_ARTERY_NAMED_HEADS, {f"de l'artère {site}": "I74.3" for site in _LIMB})
    _cross(rows, ACUTE_ARTERY_HEADS, {site: "I74.3" for site in _LIMB})
    _cross(rows, VEIN_HEADS_SUPERFICIAL, VEIN_SITES_SUPERFICIAL)
    for term in VITAMIN_D_INSUFFICIENCY:
        rows.setdefault(term, "E55.9")
    for abbr, code in VALVE_ABBREVIATIONS.items():
        for severity in VALVE_SEVERITY[abbr[0]]:
            rows.setdefault(f"{abbr} {severity}", code)
    # a typographic apostrophe is its own token ("l", "’", "ovaire"): the same wording with it
    for term, code in list(rows.items()):
        if "'" in term:
            rows.setdefault(term.replace("'", "\u2019"), code)
    out = []
    for i, (term, code) in enumerate(rows.items()):
        out.append(LexiconEntry(term, ICD10_SYSTEM, code, None, "generated (nlp/lexgen.py)", -1 - i))
    return out
