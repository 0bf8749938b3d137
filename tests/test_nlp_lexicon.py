"""The broader lexicon of rounds 6 and 7 (issue 15): usual wordings by specialty, abbreviations,
adjectival forms, eponyms, French brands, and the collisions it must not make.

Sentences of our own (never taken from a gold letter); see docs/nlp-engine.md, round 6.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from nlp.lexgen import generated_entries
from nlp.lexicon import load_lexicon
from nlp.types import ATC_SYSTEM, ICD10_SYSTEM


def _resources():
    edsnlp = pytest.importorskip("edsnlp")
    base = Path(edsnlp.BASE_DIR) / "resources"
    with gzip.open(base / "cim10.csv.gz", "rt", encoding="utf-8") as fh:
        icd = {row["code"]: row["long"] for row in csv.DictReader(fh)}
    with open(base / "drugs.json", encoding="utf-8") as fh:
        atc = set(json.load(fh))
    return icd, atc


def test_no_lexicon_code_is_withdrawn_by_the_atih():
    icd, _ = _resources()
    withdrawn = [(e.term, e.code) for e in load_lexicon() + generated_entries()
                 if e.system == ICD10_SYSTEM and icd.get(e.code.replace(".", ""), "").startswith("***")]
    assert withdrawn == []


def test_generated_codes_exist_in_atih_labels():
    icd, _ = _resources()
    missing = [(e.term, e.code) for e in generated_entries() if e.code.replace(".", "") not in icd]
    assert missing == []


def test_round6_drug_codes_exist_in_edsnlp_drugs():
    _, atc = _resources()
    rows = [e for e in load_lexicon() if e.system == ATC_SYSTEM and "round 6" in e.comment]
    assert len(rows) >= 40
    assert [(e.term, e.code) for e in rows if e.code not in atc] == []


# (sentence, code, assertion): one new entry (or class of entries) each
FOUND = [
    ("Holter : TSV non soutenue, ESV isolées.", "I47.1", "affirmed"),
    ("Holter : TSV non soutenue, ESV isolées.", "I49.3", "affirmed"),
    ("ETT : HVG concentrique, fuite mitrale grade 2.", "I51.7", "affirmed"),
    ("ETT : HVG concentrique, fuite mitrale grade 2.", "I34.0", "affirmed"),
    ("Insuffisance cardiaque à fraction d'éjection préservée, stade NYHA II.", "I50", "affirmed"),
    ("Thrombose veineuse superficielle de la grande saphène droite.", "I80.0", "affirmed"),
    ("Antécédent de pré-éclampsie lors de sa deuxième grossesse.", "O14.9", "affirmed"),
    ("Pas de trouble du rythme sur le holter de 24 heures.", "I49.9", "negated"),
    ("Pleurésie purulente droite drainée.", "J86.9", "affirmed"),
    ("Patient emphysémateux, PNO droit spontané.", "J43.9", "affirmed"),
    ("Patient emphysémateux, PNO droit spontané.", "J93.9", "affirmed"),
    ("LAM secondaire à un syndrome myélodysplasique.", "C92.0", "affirmed"),
    ("Lymphome B diffus à grandes cellules de stade IV.", "C83.3", "affirmed"),
    ("ADK pulmonaire du lobe supérieur droit.", "C34", "affirmed"),
    ("Cancer du col traité par radiochimiothérapie.", "C53", "affirmed"),
    ("Neuropathie chimio-induite de grade 2 sous oxaliplatine.", "G62.0", "affirmed"),
    ("Admis pour cétoacidose diabétique inaugurale.", "E14.1", "affirmed"),
    ("Hyperaldostéronisme primaire : syndrome de Conn à droite.", "E26.0", "affirmed"),
    ("PBR : néphropathie à IgA.", "N02.8", "affirmed"),
    ("Échographie : hydronéphrose gauche sur lithiase.", "N13.3", "affirmed"),
    ("Patiente oligurique puis anurique à J2.", "R34", "affirmed"),
    ("Paralysie faciale périphérique gauche a frigore.", "G51.0", "affirmed"),
    ("Patient hémiparétique droit et dysarthrique.", "G81.9", "affirmed"),
    ("Patient hémiparétique droit et dysarthrique.", "R47.1", "affirmed"),
    ("Démence fronto-temporale évoluée.", "G31.0", "affirmed"),
    ("Suivi pour TOC et TAG depuis l'adolescence.", "F42.9", "affirmed"),
    ("Suivi pour TOC et TAG depuis l'adolescence.", "F41.1", "affirmed"),
    ("Trouble de la personnalité borderline, crise suicidaire.", "F60.3", "affirmed"),
    ("Patient polytoxicomane, héroïnomane substitué.", "F19", "affirmed"),
    ("Sténose hypertrophique du pylore chez un nourrisson de 5 semaines.", "Q40.0", "affirmed"),
    ("PTI de l'enfant en rémission.", "D69.3", "affirmed"),
    ("Tassements vertébraux multiples, fécalome à l'entrée.", "M48.5", "affirmed"),
    ("Tassements vertébraux multiples, fécalome à l'entrée.", "K56.4", "affirmed"),
    ("Lithiase de la voie biliaire principale et angiocholite.", "K80.5", "affirmed"),
    ("Endoscopie : EBO de 3 cm, achalasie écartée.", "K22.7", "affirmed"),
    ("Endoscopie : EBO de 3 cm, achalasie écartée.", "K22.0", "negated"),
    ("Maladie de Verneuil axillaire, pemphigoïde bulleuse.", "L73.2", "affirmed"),
    ("Maladie de Verneuil axillaire, pemphigoïde bulleuse.", "L12.0", "affirmed"),
    ("Thrombophilie : mutation du facteur V Leiden hétérozygote.", "D68.5", "affirmed"),
    ("Myélome de stade III (maladie de Kahler).", "C90.0", "affirmed"),
    ("Rhizarthrose bilatérale et algodystrophie du poignet.", "M18.9", "affirmed"),
    ("Rhizarthrose bilatérale et algodystrophie du poignet.", "M89.0", "affirmed"),
    ("Choc anaphylactique à l'amoxicilline.", "T78.2", "affirmed"),
    ("Métrorragies sur fibrome utérin.", "N92.1", "affirmed"),
    ("Traitement : Natrilix 1,5 mg, Qvar 2 bouffées, Xyzal 5 mg.", "C03BA11", "affirmed"),
    ("Traitement : Natrilix 1,5 mg, Qvar 2 bouffées, Xyzal 5 mg.", "R03BA01", "affirmed"),
    ("Traitement : Natrilix 1,5 mg, Qvar 2 bouffées, Xyzal 5 mg.", "R06AE09", "affirmed"),
    ("Relais par acide valproïque 500 mg x 2.", "N03AG01", "affirmed"),
    ("Anémie traitée par darbépoétine alfa.", "B03XA02", "affirmed"),
]


# collisions the round chose to avoid (abbreviations with an ordinary meaning, signs, services)
NOT_CODED = [
    ("Écho-doppler des TSA sans sténose significative.", {"F84.0"}),
    ("TCA allongé à 45 s sous héparine.", {"F50.9"}),
    ("Angiomes stellaires du thorax.", {"D18.0"}),
    ("Une entrée en unité Alzheimer est discutée.", {"G30"}),
    ("Chimiothérapie sur PAC posé en janvier.", {"J18", "J18.9"}),
]


# Round 7 (docs/nlp-engine.md): what letters deny and evoke, one family at a time; sentences of
# our own, each with the code AND the assertion the guideline gives it.
ROUND7 = [
    # differential diagnoses, negated or evoked
    ("Le scanner élimine une thrombose de la veine porte.", "I81", "negated"),
    ("Pas d'argument pour une hypertension intracrânienne au fond d'oeil.", "G93.2", "negated"),
    ("Syndrome subocclusif sur bride ?", "K56.6", "hypothetical"),
    ("Une hémorragie intracrânienne a été éliminée par le scanner.", "I62.9", "negated"),
    ("Une ischémie aiguë du membre inférieur est à craindre.", "I74.3", "hypothetical"),
    ("Coronarographie : pas de thrombose de stent.", "T82.8", "negated"),
    ("Radio de thorax : pas de foyer pulmonaire.", "J18.9", "negated"),
    ("Une pneumopathie radique reste possible.", "J70.0", "hypothetical"),
    ("Pas d'insuffisance hépatique, TP 85 %.", "K72.9", "negated"),
    ("Une cholangite est peu probable.", "K83.0", "hypothetical"),
    ("Échographie : pas d'obstacle sur les voies urinaires.", "N13.9", "negated"),
    ("Purpura fulminans suspecté à l'arrivée.", "A39.2", "hypothetical"),
    ("Pas de dilatation des voies biliaires.", "K83.8", "negated"),
    ("Scanner cérébral : pas d'HSD. Un EME est peu probable.", "I62.0", "negated"),
    ("Scanner cérébral : pas d'HSD. Un EME est peu probable.", "G41", "hypothetical"),
    # complications checked for and absent
    ("Suites simples, pas de complication hémorragique.", "R58", "negated"),
    ("Pas d'hémorragie ni d'infection du site opératoire.", "R58", "negated"),
    ("Pas d'hémorragie ni d'infection du site opératoire.", "T81.4", "negated"),
    ("Cicatrice propre, pas d'infection de paroi, pas de lymphocèle.", "T81.4", "negated"),
    ("Cicatrice propre, pas d'infection de paroi, pas de lymphocèle.", "I89.8", "negated"),
    ("Un lâchage anastomotique a été écarté au scanner.", "K91.8", "negated"),
    ("Scanner TAP : pas de lésion secondaire.", "C79.9", "negated"),
    ("Pas de syndrome de lyse tumorale après la première cure.", "E88.3", "negated"),
    # symptoms asked for and denied
    ("Il ne décrit ni troubles digestifs ni troubles urinaires.", "R19.8", "negated"),
    ("Il ne décrit ni troubles digestifs ni troubles urinaires.", "R39.8", "negated"),
    ("Pas de signes fonctionnels urinaires, pas de troubles du transit.", "R39.8", "negated"),
    ("Pas de signes fonctionnels urinaires, pas de troubles du transit.", "R19.4", "negated"),
    ("Pas de DRS, pas de palpitations.", "R07", "negated"),
    ("Pas de selles noires, pas de crachats sanglants.", "K92.1", "negated"),
    ("Pas de selles noires, pas de crachats sanglants.", "R04.2", "negated"),
    ("Elle signale des maux de tête et des bouffées de chaleur.", "R51", "affirmed"),
    ("Elle signale des maux de tête et des bouffées de chaleur.", "R23.2", "affirmed"),
    ("Dérouillage matinal de 10 minutes, pas de raideur matinale prolongée.", "M25.6", "affirmed"),
    ("Absence de troubles visuels, pas de flou visuel.", "H53.9", "negated"),
    ("Pas de nycturie ni de mictions impérieuses.", "R39.1", "negated"),
    # negative tests: the disease the test names (the guideline codes nothing for a bare test)
    ("Sérologie de Lyme négative.", "A69.2", "negated"),
    ("PCR SARS-CoV-2 négative.", "U07.1", "negated"),
    ("TSH normale, pas de dysthyroïdie.", "E07.9", "negated"),
    # drugs discussed for later
    ("Un traitement par hydroxyurée pourra être discuté.", "L01XX05", "hypothetical"),
    ("Un traitement par apixaban pourra être proposé.", "B01AF02", "hypothetical"),
    # family history of common diseases, lay and medical wordings
    ("Son père a fait une crise cardiaque à 52 ans.", "I21", "family"),
    ("Mère : problèmes cardiaques ; grand-père décédé de mort subite.", "I51.9", "family"),
    ("Mère : problèmes cardiaques ; grand-père décédé de mort subite.", "R96", "family"),
    ("Sa soeur a eu un cancer à 40 ans.", "C80.9", "family"),
    ("Oncle paternel décédé d'un cancer de l'intestin, tante d'un cancer du sang.", "C26", "family"),
    ("Oncle paternel décédé d'un cancer de l'intestin, tante d'un cancer du sang.", "C95.9", "family"),
    ("Antécédents familiaux : cancer de la gorge chez le grand-père, cancers digestifs chez les oncles.",
     "C14", "family"),
    ("Antécédents familiaux : cancer de la gorge chez le grand-père, cancers digestifs chez les oncles.",
     "C26", "family"),
    ("Dans la famille, une attaque cérébrale chez la grand-mère et un anévrisme cérébral chez la mère.",
     "I64", "family"),
    ("Dans la famille, une attaque cérébrale chez la grand-mère et un anévrisme cérébral chez la mère.",
     "I67.1", "family"),
    ("Père : polypose adénomateuse familiale.", "D12.6", "family"),
    ("Pas d'antécédent familial de maladie thromboembolique.", "I82.9", "family"),
    # a typographic apostrophe keeps the organ of a generated wording
    ("Mère décédée d’un cancer de l’ovaire.", "C56", "family"),
]


# round 7: what the new rows must not code. A bare negative test names no disease (the guideline
# annotates nothing, dev gold: "ECBU négatif" optional); institutions named after "cancer"; a wording
# whose longer row keeps its own code.
ROUND7_NOT_CODED = [
    ("ECBU stérile, hémocultures stériles.", None),
    ("Troponine négative à H0 et H3, D-dimères négatifs.", None),
    ("Suivi au centre de lutte contre le cancer, dossier présenté à la Ligue contre le cancer.", {"C80.9"}),
    ("AVC hémorragique du noyau lenticulaire.", {"R58"}),
    ("Hypertension intracrânienne idiopathique ?", {"I10"}),
    ("Mère décédée d’un cancer de l’ovaire.", {"C80.9"}),
]


@pytest.mark.nlp
@pytest.mark.parametrize("text,code,assertion", FOUND + ROUND7)
def test_new_entries_are_found(nlp_engine, text, code, assertion):
    got = {(c.code, c.assertion) for c in nlp_engine.extract(text)}
    assert (code, assertion) in got, got


@pytest.mark.nlp
@pytest.mark.parametrize("text,codes", NOT_CODED + ROUND7_NOT_CODED)
def test_collisions_are_not_coded(nlp_engine, text, codes):
    """``codes`` None: nothing at all may be coded."""
    got = {c.code for c in nlp_engine.extract(text)}
    assert (not got) if codes is None else not got & codes, got


def test_round7_rows_have_valid_codes():
    icd, atc = _resources()
    rows = [e for e in load_lexicon() if "round 7" in e.comment and e.system is not None]
    assert len(rows) >= 140
    bad = [(e.term, e.code) for e in rows
           if (e.system == ATC_SYSTEM and e.code not in atc)
           or (e.system == ICD10_SYSTEM and e.code.replace(".", "") not in icd)]
    assert bad == []
