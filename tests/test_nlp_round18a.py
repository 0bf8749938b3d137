"""Round 18a of issue 15 (docs/nlp-engine.md, "Round 18a"): probe sentences of my own wording
(not those of tests/data/nlp/letters/20_round18a.txt), positive and control cases, for the
families of assertion errors of the round's blind letters and of the families left by round 17."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a drug on a condition naming a disease is planned; on a sign, a crisis or a known disease it is taken
    ("En cas de pyélonéphrite, Oflocet 200 mg x2/j.", "J01MA01", "hypothetical"),
    ("Ciflox 500 mg x2/j en cas d'infection urinaire.", "J01MA02", "hypothetical"),
    ("Antibiothérapie par Orelox en cas d'otite.", "J01DD13", "hypothetical"),
    ("Doliprane 1 g en cas de douleur.", "N02BE01", "affirmed"),
    ("Asthme allergique. Ventoline si crise d'asthme.", "R03AC02", "affirmed"),
    ("Relais par mélatonine si insomnie.", "N05CH01", "affirmed"),
    # a treatment planned, weighed or held for an intolerance
    ("Chimiothérapie par Taxol prévue le 14/05.", "L01CD01", "hypothetical"),
    ("Lamictal en alternative.", "N03AX09", "hypothetical"),
    ("Le Lamictal pourrait être intéressant.", "N03AX09", "hypothetical"),
    ("En cas d'intolérance, relais par Lamictal.", "N03AX09", "hypothetical"),
    ("Cancer du sein, mastectomie prévue le 14/05.", "C50", "affirmed"),
    # the drug of a prevention is given
    ("Prévention de l'ostéoporose cortisonique par Fosamax 70 mg par semaine.", "M05BA04", "affirmed"),
    ("Prévention de la maladie thromboembolique par Innohep pendant le séjour.", "B01AB10", "affirmed"),
    # a drug held in reserve, the cue before it
    ("Nous gardons en réserve la morphine si la douleur s'aggrave.", "N02AA01", "hypothetical"),
    ("On garde en réserve l'Oxynorm.", "N02AA05", "hypothetical"),
    ("Nous tenons en réserve un traitement par colchicine.", "M04AC01", "hypothetical"),
    # a hedged list title with its copula, or a hedging adjective of its head
    ("Les étiologies à envisager sont :\n- une sarcoïdose ;\n- une tuberculose.", "D86", "hypothetical"),
    ("Les causes possibles sont :\n- une carence martiale\n- une hémorragie digestive", "K92.2", "hypothetical"),
    # a longer relative clause, or an adjective left out of the span, before the negation
    ("La pneumopathie, qui avait justifié l'admission, est éliminée.", "J18", "negated"),
    ("Une embolie pulmonaire, qui avait été suspectée aux urgences, est écartée.", "I26", "negated"),
    ("Une sarcoïdose, qui avait été évoquée au départ, n'est finalement pas retenue.", "D86", "negated"),
    ("Une pneumopathie basale droite, qui avait été évoquée, est éliminée.", "J18", "negated"),
    ("Une pneumopathie, qui a justifié l'admission, est guérie.", "J18", "affirmed"),
    # "de même que", "tout comme"
    ("Une hépatite est écartée, de même qu'une cholécystite.", "K81.9", "negated"),
    ("Un abcès hépatique est écarté, tout comme une cholécystite.", "K81.9", "negated"),
    ("Une sarcoïdose est possible, tout comme une tuberculose.", "A16.9", "hypothetical"),
    ("Une hépatite est confirmée, de même qu'une cholécystite.", "K81.9", "affirmed"),
    # a relative's scope: a source of contagion, a condition, a disease in apposition
    ("Gale probable par contage familial.", "B86", "hypothetical"),
    ("Dépistage des parents par PCR si la coqueluche est confirmée.", "A37.9", "hypothetical"),
    ("Son frère, asthmatique, est décédé d'un infarctus.", "I21", "family"),
    ("Le père, hypertendu, a fait un AVC.", "I64", "family"),
    ("Contage familial de tuberculose.", "A16.9", "family"),
    # hedges: "étant discutée", "discutée mais", "plutôt qu'un", "pas de certitude quant à"
    ("Une toxidermie étant discutée, la biopsie est faite.", "L27.0", "hypothetical"),
    ("Un lupus induit, discuté mais peu probable.", "M32.0", "hypothetical"),
    ("Sarcoïdose plutôt qu'une tuberculose.", "A16.9", "hypothetical"),
    ("Pas de certitude quant à une maladie de Crohn.", "K50", "hypothetical"),
    ("Incertitude sur une maladie de Crohn.", "K50", "hypothetical"),
    ("Il n'est pas exclu qu'il s'agisse d'une endocardite.", "I38", "hypothetical"),
    # an infinitive of ruling out at a clause start is a task
    ("Conduite à tenir :\n- éliminer une embolie pulmonaire", "I26", "hypothetical"),
    ("CAT : exclure une endocardite.", "I38", "hypothetical"),
    ("L'angioscanner permet d'éliminer une embolie pulmonaire.", "I26", "negated"),
    # what was explored is there
    ("Fausses couches à répétition explorées en 2021.", "N96", "affirmed"),
    # conditional bare lists after "si"
    ("Reconsulter si fièvre, toux ou dyspnée.", "R05", "hypothetical"),
    # a negation after an indefinite complement is the complement's
    ("Une métastase osseuse d'un cancer non identifié reste possible.", "C79.5", "hypothetical"),
    # a following cue after the agent of a disease qualifies the disease too
    ("Cystite à E. coli probable.", "N30.9", "hypothetical"),
    # the period of an initial
    ("Une colite à C. difficile est à éliminer.", "A04.7", "hypothetical"),
    # negation precision: an event of a definite disease or drug, a denied cause
    ("Pas de complication de la cirrhose.", "K74.6", "affirmed"),
    ("Pas d'aggravation de l'insuffisance rénale.", "N19", "affirmed"),
    ("Pas d'effet indésirable du Keppra.", "N03AX14", "affirmed"),
    ("Aucune cause retrouvée à la pancréatite.", "K85", "affirmed"),
    ("Pas d'explication à cette anémie.", "D64.9", "affirmed"),
    ("Pas de récidive de la FA.", "I48", "negated"),
    ("Pas de fièvre à l'arrivée.", "R50", "negated"),
])
def test_round18a_probe(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a sign in a condition on its persistence, affirmed in another paragraph: no hypothetical triple beside it
    ("Protéinurie à 3 g/24 h.\n\nRituximab à discuter si la protéinurie persiste à 3 mois.", "R80", "hypothetical"),
    ("Toux sèche depuis 10 jours. Radio normale.\n\nReconsulter en cas de persistance de la toux.", "R05",
     "hypothetical"),
    # a drug after a condition closed by ":" that names a disease is planned, not taken
    ("Si pyélonéphrite : Oflocet 200 mg x2/j.", "J01MA01", "affirmed"),
])
def test_round18a_absent(nlp_engine, text, code, assertion):
    assert (code, assertion) not in found(nlp_engine, text)
