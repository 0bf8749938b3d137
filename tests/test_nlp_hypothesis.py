"""Hypothesis cues and their scope (issue 15, round 8 in docs/nlp-engine.md), on probe sentences
of our own: for each probe, the assertion of every concept whose text holds (or is held by) a
key of the expected map, as one letter (A, N, H, F)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.nlp
LETTER = {"affirmed": "A", "negated": "N", "hypothetical": "H", "family": "F"}

PROBES = [
    # the cues, pre-posed
    ("Suspicion de pneumopathie à l'entrée.", {"pneumopathie": "H"}),
    ("Suspicion d'embolie pulmonaire, angioscanner demandé.", {"embolie pulmonaire": "H"}),
    ("Une embolie pulmonaire est peu probable.", {"embolie pulmonaire": "H"}),
    ("Il est peu probable qu'il s'agisse d'une tuberculose.", {"tuberculose": "H"}),
    ("Une endocardite est à éliminer.", {"endocardite": "H"}),
    ("Pyélonéphrite à éliminer.", {"Pyélonéphrite": "H"}),
    ("Une décompensation cardiaque est à craindre.", {"décompensation cardiaque": "H"}),
    ("Rétinopathie diabétique à dépister.", {"Rétinopathie": "H"}),
    ("Une sarcoïdose est évoquée.", {"sarcoïdose": "H"}),
    ("Le diagnostic de maladie de Horton est évoqué.", {"Horton": "H"}),
    ("Une origine virale est possible ; une méningite bactérienne est possible.", {"méningite": "H"}),
    ("Pneumopathie d'inhalation probable.", {"Pneumopathie": "H"}),
    ("Probable pneumopathie d'inhalation.", {"pneumopathie": "H"}),
    ("Possible accès palustre au retour du Mali.", {"palustre": "H"}),
    ("Cholécystite ?", {"Cholécystite": "H"}),
    ("Douleur thoracique : SCA ?", {"SCA": "H", "Douleur thoracique": "A"}),
    ("Un traitement par metformine pourra être introduit.", {"metformine": "H"}),
    ("Un traitement par allopurinol pourra être discuté à distance.", {"allopurinol": "H"}),
    ("Une statine pourra être proposée ; atorvastatine pourra être proposée.", {"atorvastatine": "H"}),
    ("L'introduction d'un traitement par Lévothyrox sera discutée en consultation.", {"Lévothyrox": "H"}),
    ("On évoque une maladie de Crohn.", {"Crohn": "H"}),
    ("Hypothèse d'une appendicite.", {"appendicite": "H"}),
    ("Tableau évocateur d'une grippe.", {"grippe": "H"}),
    ("Le tableau fait craindre une méningite.", {"méningite": "H"}),
    ("On ne peut exclure une embolie pulmonaire.", {"embolie pulmonaire": "H"}),
    ("Une tuberculose ne peut être exclue.", {"tuberculose": "H"}),
    ("Diagnostic incertain : sarcoïdose.", {"sarcoïdose": "H"}),
    ("Myocardite suspectée.", {"Myocardite": "H"}),
    ("Pas d'argument pour une dissection aortique, une péricardite reste possible.", {"péricardite": "H"}),
    # post-posed cues
    ("Embolie pulmonaire à éliminer.", {"Embolie pulmonaire": "H"}),
    ("Tuberculose non exclue.", {"Tuberculose": "H"}),
    ("Endocardite non éliminée à ce stade.", {"Endocardite": "H"}),
    ("Appendicite à confirmer par l'échographie.", {"Appendicite": "H"}),
    ("Pneumopathie possible.", {"Pneumopathie": "H"}),
    ("Méningite peu probable.", {"Méningite": "H"}),
    ("Embolie pulmonaire à évoquer.", {"Embolie pulmonaire": "H"}),
    # scope: other items of a list, next sentence, mais, ;
    ("HTA traitée, SCA possible.", {"HTA": "A", "SCA": "H"}),
    ("Diabète de type 2 équilibré, pneumopathie probable.", {"Diabète": "A", "pneumopathie": "H"}),
    ("Suspicion de pneumopathie. Diabète de type 2 connu.", {"pneumopathie": "H", "Diabète": "A"}),
    ("Suspicion d'appendicite ; constipation chronique.", {"appendicite": "H", "constipation": "A"}),
    ("Suspicion de pneumopathie mais insuffisance cardiaque certaine.",
     {"pneumopathie": "H", "insuffisance cardiaque": "A"}),
    ("Pneumopathie possible mais l'insuffisance cardiaque est au premier plan.",
     {"Pneumopathie": "H", "insuffisance cardiaque": "A"}),
    ("Bilan d'un diabète connu.", {"diabète": "A"}),
    ("Bilan étiologique d'une fibrillation auriculaire connue.", {"fibrillation auriculaire": "A"}),
    ("Dépistage de la rétinopathie chez ce patient diabétique de type 2.", {"rétinopathie": "H", "diabétique": "A"}),
    ("Patient hypertendu, insuffisant rénal, chez qui une embolie pulmonaire est suspectée.",
     {"hypertendu": "A", "embolie pulmonaire": "H"}),
    ("Fièvre et toux : pneumopathie ?", {"Fièvre": "A", "toux": "A", "pneumopathie": "H"}),
    ("Toux fébrile. Pneumopathie ?", {"Toux": "A", "Pneumopathie": "H"}),
    ("- HTA\n- Suspicion de SAOS\n- Dyslipidémie", {"HTA": "A", "SAOS": "H", "Dyslipidémie": "A"}),
    ("- Suspicion de SAOS\n- Obésité morbide", {"SAOS": "H", "Obésité": "A"}),
    ("Asthme connu ; suspicion de pneumothorax.", {"Asthme": "A", "pneumothorax": "H"}),
    ("Dyspnée chez un patient BPCO, une embolie pulmonaire est à éliminer.",
     {"Dyspnée": "A", "BPCO": "A", "embolie pulmonaire": "H"}),
    ("Poursuite du Kardégic, un traitement par Eliquis pourra être discuté.", {"Kardégic": "A", "Eliquis": "H"}),
    ("Sous metformine. Un traitement par insuline glargine pourra être introduit.",
     {"metformine": "A", "glargine": "H"}),
    ("Insuffisance cardiaque traitée par furosémide ; le Entresto pourra être proposé.",
     {"Insuffisance cardiaque": "A", "furosémide": "A"}),
    ("Cancer du sein traité en 2015, récidive à éliminer.", {"Cancer du sein": "A"}),
    ("Une pneumopathie est évoquée devant la fièvre.", {"pneumopathie": "H", "fièvre": "A"}),
    # section titles
    ("Hypothèses diagnostiques :\n- pneumopathie\n- embolie pulmonaire",
     {"pneumopathie": "H", "embolie pulmonaire": "H"}),
    ("Diagnostics différentiels :\n- péricardite\n- dissection aortique",
     {"péricardite": "H", "dissection aortique": "H"}),
    ("Diagnostics différentiels : péricardite, dissection aortique.", {"péricardite": "H", "dissection aortique": "H"}),
    ("Hypothèses diagnostiques : méningite, encéphalite.", {"méningite": "H", "encéphalite": "H"}),
    ("Hypothèses diagnostiques :\n- pneumopathie\n\nAntécédents :\n- HTA", {"pneumopathie": "H", "HTA": "A"}),
    ("Diagnostic retenu : pneumopathie.", {"pneumopathie": "A"}),
    ("Diagnostics évoqués : lupus, sclérodermie.", {"lupus": "H", "sclérodermie": "H"}),
    ("A éliminer : embolie pulmonaire, dissection aortique.", {"embolie pulmonaire": "H", "dissection aortique": "H"}),
    ("Suspicion d'endocardite traitée par amoxicilline.", {"endocardite": "H", "amoxicilline": "A"}),
    ("Douleur abdominale, appendicite ?", {"Douleur abdominale": "A", "appendicite": "H"}),
    ("Pneumopathie ou embolie pulmonaire ?", {"Pneumopathie": "H", "embolie pulmonaire": "H"}),
    ("Le diagnostic de pneumopathie est retenu, une embolie pulmonaire reste possible.",
     {"pneumopathie": "A", "embolie pulmonaire": "H"}),
    ("Suspicion de SAOS chez cette patiente obèse.", {"SAOS": "H", "obèse": "A"}),
    ("Une embolie pulmonaire ne peut pas être exclue.", {"embolie pulmonaire": "H"}),
    ("Pas de fièvre. Méningite peu probable.", {"fièvre": "N", "Méningite": "H"}),
    ("Hypothèses diagnostiques : méningite ou encéphalite.", {"méningite": "H", "encéphalite": "H"}),
    ("La clinique fait craindre une embolie pulmonaire.", {"embolie pulmonaire": "H"}),
    ("Ne permet pas d'exclure une tuberculose.", {"tuberculose": "H"}),
    ("Embolie pulmonaire et pneumopathie non exclues.", {"Embolie pulmonaire": "H", "pneumopathie": "H"}),
    # the cause or the type a cue hedges
    ("Exacerbation de BPCO d'origine infectieuse probable.", {"BPCO": "A"}),
    ("AVC ischémique de mécanisme cardio-embolique possible.", {"AVC": "A"}),
    ("Céphalée primaire probable, à type de migraine.", {"migraine": "H"}),
    ("Douleur thoracique à type de brûlure, SCA possible.", {"Douleur thoracique": "A", "SCA": "H"}),
    # the known disease an event is hedged about; what the hypothesis led to
    ("Dépistage des complications de son diabète.", {"diabète": "A"}),
    ("Suspicion de décompensation de son insuffisance cardiaque.", {"insuffisance cardiaque": "A"}),
    ("Recherche d'une rétinopathie chez ce diabétique.", {"rétinopathie": "H", "diabétique": "A"}),
    ("Suspicion de récidive de son cancer du sein.", {"cancer du sein": "A"}),
    ("Une infection de son ulcère du pied est à éliminer.", {"ulcère": "A"}),
    ("Suspicion de pneumopathie chez un patient BPCO sous Spiriva.",
     {"BPCO": "A", "Spiriva": "A", "pneumopathie": "H"}),
    ("Possible pneumopathie, traitée par Augmentin.", {"pneumopathie": "H", "Augmentin": "A"}),
    ("Suspicion de SCA ayant motivé l'introduction de Kardégic.", {"SCA": "H", "Kardégic": "A"}),
    ("Hypothèse d'une pneumopathie, Augmentin débuté.", {"pneumopathie": "H", "Augmentin": "A"}),
    ("Pneumopathie probable sous amoxicilline.", {"Pneumopathie": "H", "amoxicilline": "A"}),
    ("Une embolie pulmonaire est évoquée ; Lovenox débuté.", {"embolie pulmonaire": "H", "Lovenox": "A"}),
    ("Suspicion d'endocardite sur valve mitrale chez ce patient diabétique.", {"endocardite": "H", "diabétique": "A"}),
    ("Fibrillation auriculaire connue, suspicion de thrombus intra-auriculaire.", {"Fibrillation auriculaire": "A"}),
    ("Une cause médicamenteuse est possible (amiodarone).", {"amiodarone": "A"}),
    # more wordings: not to miss, versus, to suspect, lists of diagnoses
    ("Diagnostic différentiel avec une péricardite.", {"péricardite": "H"}),
    ("Ne pas méconnaître une dissection aortique.", {"dissection aortique": "H"}),
    ("Rechercher une endocardite.", {"endocardite": "H"}),
    ("Recherche d'une tuberculose.", {"tuberculose": "H"}),
    ("Dans l'hypothèse d'une tuberculose, isolement respiratoire.", {"tuberculose": "H"}),
    ("Anémie à explorer.", {"Anémie": "A"}),
    ("Faisant suspecter une pneumopathie.", {"pneumopathie": "H"}),
    ("Une pneumopathie est à suspecter.", {"pneumopathie": "H"}),
    ("Un lymphome est à discuter.", {"lymphome": "H"}),
    ("Lymphome ? Biopsie prévue.", {"Lymphome": "H"}),
    ("Pneumopathie vs embolie pulmonaire.", {"Pneumopathie": "H", "embolie pulmonaire": "H"}),
    ("Origine ischémique à éliminer chez ce patient coronarien.", {"coronarien": "A"}),
    ("Les diagnostics de lupus ou de sarcoïdose sont évoqués.", {"lupus": "H", "sarcoïdose": "H"}),
    ("Orientation diagnostique : maladie de Horton.", {"Horton": "H"}),
    ("Il pourrait s'agir d'une maladie de Still.", {"Still": "H"}),
    ("Une maladie de Still serait possible.", {"Still": "H"}),
    ("Doute sur une appendicite.", {"appendicite": "H"}),
    ("Probable origine virale ; asthme connu.", {"asthme": "A"}),
    ("Cancer du côlon opéré en 2018. Suspicion de récidive hépatique.", {"Cancer du côlon": "A"}),
    # "possible" and "probable" that hedge no concept, or only its cause
    ("Reprise du Kardégic dès que possible.", {"Kardégic": "A"}),
    ("Arrêt du tabac le plus tôt possible, HTA traitée.", {"HTA": "A"}),
    ("Anémie ferriprive probablement d'origine digestive.", {"Anémie": "A"}),
    ("Pneumopathie de probable origine virale.", {"Pneumopathie": "A"}),
    ("Fibrillation auriculaire, probablement ancienne.", {"Fibrillation auriculaire": "A"}),
    ("Insuffisance cardiaque d'allure ischémique probable.", {"Insuffisance cardiaque": "A"}),
    # round 9: a test planned to rule out or look for a diagnosis
    ("Scanner thoracique pour écarter une embolie pulmonaire.", {"embolie pulmonaire": "H"}),
    ("Échographie afin d'exclure une cholécystite.", {"cholécystite": "H"}),
    ("Biopsie afin d'écarter un lymphome.", {"lymphome": "H"}),
    ("Coloscopie pour confirmer une maladie de Crohn.", {"Crohn": "H"}),
    # round 9: a diagnosis not to miss, written after it
    ("Méningite à ne pas méconnaître chez ce nourrisson fébrile.", {"Méningite": "H"}),
    # round 9: the evidence after "au vu de" is out of the cue's scope
    ("Une sarcoïdose est suspectée au vu des antécédents familiaux.", {"sarcoïdose": "H"}),
    ("Une maladie de Horton est suspectée au vu des céphalées.", {"Horton": "H", "céphalées": "A"}),
    # round 9: a drug not started
    ("Kardégic non introduit compte tenu du risque hémorragique.", {"Kardégic": "N"}),
    ("Lovenox non repris à la sortie.", {"Lovenox": "N"}),
    # round 9: a negative result inside a condition is about the condition
    ("Un traitement par metformine pourra être repris si la créatinine est normale.", {"metformine": "H"}),
    ("Le Bactrim pourra être arrêté si la PCR revient négative.", {"Bactrim": "A"}),
    # round 9: what follows "traité par" is given, out of a negation before it
    ("Épilepsie sans crise depuis deux ans traitée par Keppra.", {"Épilepsie": "A", "Keppra": "A"}),
    # round 9: the event of a chronic disease presupposes the disease
    ("Suspicion de poussée de rectocolite hémorragique.", {"rectocolite": "A"}),
    ("Suspicion d'aggravation d'une insuffisance rénale chronique.", {"insuffisance rénale chronique": "A"}),
    ("Si la poussée de polyarthrite rhumatoïde se confirme, Methotrexate à majorer.",
     {"polyarthrite rhumatoïde": "A"}),
    # round 9: the type a span specifies, and what the cue after it hedges
    ("Une démence, de type maladie d'Alzheimer, est possible. Chutes répétées.",
     {"démence": "H", "Alzheimer": "H", "Chutes": "A"}),
    ("Douleurs thoraciques à type d'angor probable.", {"Douleurs thoraciques": "A", "angor": "H"}),
    # round 9: list titles with a complement, numbered lists; not a treatment list
    ("Hypothèses, par ordre de fréquence :\n- pneumopathie\n- embolie pulmonaire",
     {"pneumopathie": "H", "embolie pulmonaire": "H"}),
    ("Diagnostics différentiels principaux :\n1. péricardite\n2. dissection aortique",
     {"péricardite": "H", "dissection aortique": "H"}),
    ("Hypothèses diagnostiques :\n1) méningite\n2) encéphalite\nAntécédents : HTA.",
     {"méningite": "H", "encéphalite": "H", "HTA": "A"}),
    ("Proposition de la RCP :\n- Kardégic 75 mg\n- Tahor 40 mg", {"Kardégic": "A", "Tahor": "A"}),
    ("Conclusion : syncope. Hypothèses, par ordre de probabilité : BAV, embolie pulmonaire.",
     {"syncope": "A", "embolie pulmonaire": "H"}),
    # round 9: the drugs a hypothesis names, which the patient takes or is given
    ("Pneumopathie probable : Augmentin 1 g x3/j pendant 7 jours.", {"Pneumopathie": "H", "Augmentin": "A"}),
    ("Pyélonéphrite probable : Rocéphine.", {"Pyélonéphrite": "H", "Rocéphine": "A"}),
    ("Suspicion d'embolie pulmonaire : Lovenox 6000 UI x2/j.", {"embolie pulmonaire": "H", "Lovenox": "A"}),
    ("Dépistage des IST : sérologie syphilis.", {"syphilis": "H"}),
    # round 9: a screening title hedges the list it introduces
    ("Dépistage des IST : sérologie syphilis et PCR chlamydia.", {"syphilis": "H", "chlamydia": "H"}),
    ("Dépistage des IST : syphilis, hépatite B et VIH.", {"syphilis": "H", "hépatite B": "H", "VIH": "H"}),
    ("Une hémorragie digestive sous Eliquis est à craindre.", {"hémorragie digestive": "H", "Eliquis": "A"}),
    ("Une hyponatrémie sous Esidrex est possible.", {"hyponatrémie": "H", "Esidrex": "A"}),
    ("Mise sous Eliquis à discuter.", {"Eliquis": "H"}),
    ("Une toxicité de l'amiodarone est suspectée.", {"amiodarone": "A"}),
    ("Un surdosage en Préviscan est possible.", {"Préviscan": "A"}),
    ("Une interaction entre Kardégic et Eliquis est possible.", {"Kardégic": "A", "Eliquis": "A"}),
    ("Une origine médicamenteuse est suspectée : arrêt de l'Esidrex et du Lasilix.",
     {"Esidrex": "A", "Lasilix": "A"}),
    ("L'arrêt du Kardégic pourra être discuté.", {"Kardégic": "A"}),
]


def assertions(engine, text: str, keys) -> dict[str, str]:
    """Per key, the sorted assertion letters of the concepts it names ("-": none)."""
    concepts = engine.extract(text)
    out = {}
    for key in keys:
        k = key.lower()
        hits = {LETTER[c.assertion] for c in concepts
                if k in text[c.start:c.end].lower() or text[c.start:c.end].lower() in k}
        out[key] = "".join(sorted(hits)) or "-"
    return out


@pytest.mark.parametrize("text, expected", PROBES, ids=[t[:40] for t, _ in PROBES])
def test_hypothesis_probe(nlp_engine, text, expected):
    assert assertions(nlp_engine, text, expected) == expected
