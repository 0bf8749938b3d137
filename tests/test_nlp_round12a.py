"""Round 12a of issue 15 (docs/nlp-engine.md, "Round 12a: assertion classes"): one
probe sentence per family of wordings of the assertion classes fixed on the round's
letters (tests/data/nlp/letters/10_round12a.txt). The sentences are not the letters' own."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found

pytestmark = pytest.mark.nlp


@pytest.mark.parametrize("text, code, assertion", [
    # the child who is the patient is no relative
    ("Douleurs abdominales chez un enfant de 7 ans.", "R10", "affirmed"),
    ("Crise d'asthme chez une enfant de 9 ans.", "J45", "affirmed"),
    ("La fille de 16 ans consulte pour une toux.", "R05", "affirmed"),
    ("Il est diabétique comme son père.", "E14", "affirmed"),
    # ... while the patient's own children still are
    ("Sa fille de 12 ans est asthmatique.", "J45", "family"),
    ("Son fils est épileptique.", "G40", "family"),
    # a test ordered for a disease is a workup: the disease is a hypothesis
    ("Sérologie de Lyme en cours.", "A69.2", "hypothetical"),
    ("Prévoir une sérologie VIH.", "B24", "hypothetical"),
    ("PCR grippe prélevée aux urgences.", "J11", "hypothetical"),
    ("Sérologies VIH et syphilis demandées.", "A53", "hypothetical"),
    # ... while a result is one
    ("Sérologie VIH négative.", "B24", "negated"),
    # a diagnosis not established yet
    ("Le diagnostic de sclérose en plaques ne peut être posé à ce stade.", "G35", "hypothetical"),
    ("Une sarcoïdose n'est pas encore confirmée.", "D86", "hypothetical"),
    ("Une embolie pulmonaire n'est pas formellement exclue.", "I26", "hypothetical"),
    ("Un lymphome n'a pas encore été éliminé.", "C85.9", "hypothetical"),
    # ... while a diagnosis the workup did not confirm is denied
    ("Une sarcoïdose n'est pas confirmée par la biopsie.", "D86", "negated"),
    # a treatment given only if a diagnosis is confirmed
    ("Tamiflu si la grippe est confirmée.", "J05AH02", "hypothetical"),
    ("Tamiflu si la grippe est confirmée.", "J11", "hypothetical"),
    ("Xarelto en cas de confirmation de l'embolie pulmonaire.", "B01AF01", "hypothetical"),
    ("Relais par Eliquis pour sa FA si l'ETO confirme l'absence de thrombus.", "I48",
     "affirmed"),
    ("Doliprane si douleurs.", "N02BE01", "affirmed"),
    # a cue that is a predicate does not open a list after ":"
    ("Une origine médicamenteuse est probable : Lasilix arrêté.", "C03CA01", "affirmed"),
    ("Hypothèses : pneumopathie, embolie pulmonaire.", "I26", "hypothetical"),
    # "X avec Y est écarté(e)": the whole subject
    ("Une pneumopathie avec épanchement n'est pas retenue.", "J18", "negated"),
    ("Une récidive de cancer du sein avec métastases est écartée.", "C50", "negated"),
    ("Une péricardite avec épanchement est possible.", "I30", "hypothetical"),
    ("Angine avec fièvre absente.", "J03", "affirmed"),
    # hypothesis cues
    ("Aspect suggestif d'une tuberculose.", "A16", "hypothetical"),
    ("La piste d'une maladie de Crohn est privilégiée.", "K50", "hypothetical"),
    ("L'échographie fait suspecter une cholécystite.", "K81", "hypothetical"),
    ("Le doppler normal n'élimine pas une thrombose veineuse profonde.", "I80", "hypothetical"),
    ("Sans pouvoir exclure une myocardite.", "I40", "hypothetical"),
    ("Une endocardite n'est pas impossible.", "I38", "hypothetical"),
    ("Une maladie de Horton reste douteuse.", "M31.6", "hypothetical"),
    ("Un syndrome d'apnées du sommeil est à évaluer.", "G47.3", "hypothetical"),
    # the evidence, subject of a verb of reasoning, is not hedged; its object is
    ("La toux évoque une coqueluche.", "R05", "affirmed"),
    ("La toux évoque une coqueluche.", "A37", "hypothetical"),
    ("Les douleurs abdominales suggèrent une pancréatite.", "R10", "affirmed"),
    ("Une pancréatite évoquée en premier lieu.", "K85", "hypothetical"),
    # a list of differentials: every item, with its article, shares the cue
    ("On évoque une sarcoïdose, une tuberculose ou un lymphome.", "C85", "hypothetical"),
    ("Les diagnostics différentiels sont une maladie de Crohn et une tuberculose.", "A16",
     "hypothetical"),
    ("Une péricardite, une myocardite ou une embolie pulmonaire sont possibles.", "I30",
     "hypothetical"),
    ("Deux hypothèses sont discutées : un lymphome et une sarcoïdose.", "D86", "hypothetical"),
    ("Il peut s'agir d'une sarcoïdose ou d'une tuberculose.", "A16", "hypothetical"),
    # ... while a denial does not run over a comma to the next finding
    ("Pas de fièvre, une toux productive depuis 3 jours.", "R05", "affirmed"),
    ("Suspicion d'embolie pulmonaire, une TVP est retrouvée au doppler.", "I80", "affirmed"),
    # not ruled out, not confirmed yet
    ("Nous ne pouvons exclure une endocardite.", "I38", "hypothetical"),
    ("On ne peut formellement éliminer une tuberculose.", "A16", "hypothetical"),
    ("Il n'est pas possible d'écarter une myocardite.", "I40", "hypothetical"),
    ("Une maladie de Horton non confirmée à ce jour.", "M31.6", "hypothetical"),
    ("Le diagnostic de lupus sera confirmé par les anticorps.", "M32", "hypothetical"),
    ("La biopsie permettra de confirmer une sarcoïdose.", "D86", "hypothetical"),
    ("Myocardite en attente de confirmation par l'IRM.", "I40", "hypothetical"),
    # ... while a decision at this stage still denies
    ("Une compression médullaire n'est pas retenue à ce stade.", "G95", "negated"),
    # relatives: the clause of a relative after ", dont", an age or a participle
    ("Elle a trois frères, dont un traité pour une épilepsie.", "G40", "family"),
    ("La mère, 70 ans, est suivie pour une BPCO.", "J44", "family"),
    ("Père porteur d'une mutation, opéré d'un cancer colique.", "C18", "family"),
    ("Antécédents héréditaires : hémochromatose.", "E83", "family"),
    # the patient named in the sentence: his own disease, even in a family section
    ("Antécédents familiaux : mère diabétique. Une hémochromatose est suspectée chez le patient.",
     "E83", "hypothetical"),
    ("Antécédents familiaux : mère diabétique. Une hémochromatose est suspectée chez le patient.",
     "E14", "family"),
    ("Père décédé d'une SLA. Une forme familiale de SLA est possible chez ce patient.", "G12.2",
     "hypothetical"),
    # a treatment planned, not given yet
    ("Prévoir un relais par Eliquis.", "B01AF02", "hypothetical"),
    ("Une chimiothérapie par cisplatine est programmée.", "L01XA01", "hypothetical"),
    ("Un relais par Eliquis sera réalisé à J3.", "B01AF02", "hypothetical"),
    ("Intérêt d'un traitement par Eliquis.", "B01AF02", "hypothetical"),
    # ... while what the plan is for stays affirmed
    ("Prévoir un contrôle de l'HTA.", "I10", "affirmed"),
    # a finding gone ("n'a plus de"), nothing in favour of a diagnosis
    ("Depuis hier, elle n'a plus de vomissements.", "R11", "negated"),
    ("Il ne présente plus de douleur thoracique.", "R07", "negated"),
    ("Rien en faveur d'une méningite.", "G03", "negated"),
    # "probablement en rapport avec", and a cue that is the adjective of the next span
    ("Anémie probablement en rapport avec un cancer colique.", "C18", "hypothetical"),
    ("Anémie probablement en rapport avec un cancer colique.", "D64", "affirmed"),
    ("Dyspnée secondaire à une probable embolie pulmonaire.", "R06", "affirmed"),
    ("Dyspnée secondaire à une probable embolie pulmonaire.", "I26", "hypothetical"),
    # an adverb hedging the mechanism of a diagnosis, not its ground after "sur" / "par"
    ("Hypokaliémie probablement digestive sur diarrhées profuses.", "A09", "affirmed"),
    # thinking of, hesitating between, still to prove, among the hypotheses
    ("Nous pensons en premier lieu à une maladie de Horton.", "M31.6", "hypothetical"),
    ("Hésitation entre une myocardite et une péricardite.", "I30", "hypothetical"),
    ("Une maladie de Still reste à démontrer.", "M06.1", "hypothetical"),
    ("Une endocardite est au premier plan des hypothèses.", "I38", "hypothetical"),
    ("Le diagnostic de maladie de Horton est envisagé.", "M31.6", "hypothetical"),
    ("Aspect en faveur d'une myocardite plutôt que d'une péricardite.", "I30", "hypothetical"),
    # a suspicion settled: confirmed is affirmed, ruled out afterwards is denied
    ("Suspicion d'appendicite confirmée par l'échographie.", "K3", "affirmed"),
    ("Une thrombose veineuse suspectée puis confirmée au doppler.", "I80", "affirmed"),
    ("Admis pour suspicion de méningite, finalement écartée.", "G03", "negated"),
    # ... while a confirmation to come or in a condition is not one
    ("Une appendicite suspectée sera confirmée par le scanner.", "K3", "hypothetical"),
    ("Antibiothérapie en cas de méningite confirmée.", "G03", "hypothetical"),
    # what is still to rule out "après élimination de"; a cue after a parenthesis
    # reaching the span an adjective before it
    ("Une maladie de Horton est probable après élimination d'un lymphome.", "C85", "hypothetical"),
    ("Une maladie de Horton est probable après élimination d'un lymphome.", "M31.6",
     "hypothetical"),
    ("Une pneumopathie interstitielle diffuse (fibrose ou sarcoïdose) est l'hypothèse retenue.",
     "J84", "hypothetical"),
    # the drugs named as the cause of a hedged iatrogeny are the patient's
    ("Une iatrogénie (Tahor, Kardégic) est possible.", "C10AA05", "affirmed"),
    ("Une origine médicamenteuse (amiodarone) est suspectée.", "C01BD01", "affirmed"),
    # differentials as a predicate; looked for and not found
    ("Une sarcoïdose ou une mycobactériose atypique sont des diagnostics différentiels.", "D86",
     "hypothetical"),
    ("Une hernie hiatale a été recherchée et non retrouvée.", "K44", "negated"),
    ("Une myocardite est une autre hypothèse.", "I40", "hypothetical"),
    ("Une hypothyroïdie pourrait y contribuer.", "E03", "hypothetical"),
    # a plural result after a list with its articles denies every item
    ("Une anémie et une hypothyroïdie ont été éliminées.", "D64", "negated"),
    ("Une tuberculose, une sarcoïdose et un lymphome sont écartés.", "A16", "negated"),
    ("Une HTA et une pneumopathie non retrouvée.", "I10", "affirmed"),
])
def test_round12a_wordings(nlp_engine, text, code, assertion):
    got = found(nlp_engine, text)
    assert any(c.startswith(code) and a == assertion for c, a in got), got


def test_a_finding_repeated_in_a_condition_is_not_hedged(nlp_engine):
    """"Doliprane si fièvre" after the fever the note gives adds no hypothetical fever;
    a condition alone still hedges, and a denied fever stays denied."""
    got = found(nlp_engine, "Fièvre à 39 °C depuis hier. Doliprane 1 g si fièvre.")
    assert ("R50", "affirmed") in got and ("R50", "hypothetical") not in got
    got = found(nlp_engine, "Vertiges depuis 3 jours. Reconsulter si les vertiges persistent.")
    assert not any(a == "hypothetical" for _, a in got), got
    assert ("R50", "hypothetical") in found(nlp_engine, "Reconsulter en cas de fièvre.")
    got = found(nlp_engine, "Pas de fièvre. Doliprane si fièvre.")
    assert ("R50", "negated") in got and ("R50", "affirmed") not in got


def test_a_disease_in_the_condition_stays_hypothetical(nlp_engine):
    """The diagnosis to confirm keeps its own hypothesis; what comes before
    the condition in another clause is not hedged by it."""
    got = found(nlp_engine, "Pneumopathie sous Augmentin, relais par Rovamycine si la "
                            "légionellose se confirme.")
    assert ("J01CR02", "affirmed") in got
    assert any(c.startswith("A48") and a == "hypothetical" for c, a in got), got
