"""Round 20a of issue 15 (docs/nlp-engine.md, "Round 20a"): probe sentences of my own wording
(not those of tests/data/nlp/letters/24_round20a.txt), positive and control cases, for the
families of assertion errors of the round's blind letters, of the leftovers named for the round
and of a probe pass over hedge and negation wordings."""
from __future__ import annotations

import pytest

try:
    from test_nlp_letters import unknown_probe_codes
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_letters import unknown_probe_codes
    from tests.test_nlp_round10 import found

PROBES = [
    # a parenthesis listing the alternatives of a denied or hedged class
    ("Pas d'argument pour une cause secondaire (phéochromocytome, hyperaldostéronisme).", "D35.0", "negated"),
    ("Pas d'argument pour une maladie de système (lupus ou sarcoïdose).", "D86", "negated"),
    ("On évoque une maladie inflammatoire (Crohn, rectocolite hémorragique).", "K51", "hypothetical"),
    ("Pas de fièvre (38 °C hier), HTA connue.", "I10", "affirmed"),  # control: no list of alternatives
    # the items of a conditional list past an adjective of the first one
    ("Reconsulter en cas de fièvre persistante, de vomissements ou de douleurs abdominales.", "R11", "hypothetical"),
    ("Revenir si douleur thoracique prolongée, palpitations ou malaise.", "R00.2", "hypothetical"),
    # a list closed by "ou" / "ni" after a denial
    ("Pas de fièvre, toux ou expectoration.", "R05", "negated"),
    ("Pas de céphalées, photophobie ou vomissements.", "R11", "negated"),
    ("Sans nausée, vomissement ni diarrhée.", "R11", "negated"),  # control (so at the start)
    ("Pas de toux, dyspnée d'effort stade 2 depuis un mois.", "R06", "affirmed"),  # control: no list
    # an instruction to come back denies nothing
    ("Ne pas hésiter à reconsulter si fièvre, frissons ou brûlures mictionnelles.", "R50", "hypothetical"),
    ("Ne pas hésiter à reconsulter si fièvre, frissons ou brûlures mictionnelles.", "R30.0",
     "hypothetical"),  # control (so at the start)
    # the examples after ", notamment" and an incise ", notamment X,"
    ("Une cause secondaire doit être recherchée, notamment une hypothyroïdie.", "E03.9", "hypothetical"),
    ("Une néoplasie sous-jacente, notamment digestive, doit être éliminée.", "C80.9", "hypothetical"),
    # a condition of confirmation that opens the clause
    ("En cas de confirmation, Tamiflu 75 mg matin et soir.", "J05AH02", "hypothetical"),
    ("Si le diagnostic se confirme : Colchimax 1 mg/j.", "M04AC01", "hypothetical"),  # control (so at the start)
    ("En cas de confirmation, la maladie de Crohn sera traitée par Pentasa.", "K50", "affirmed"),  # control
    # an indefinite treatment to reassess
    ("Le bénéfice d'un traitement par Tahor sera réévalué à 3 mois.", "C10AA05", "hypothetical"),
    ("L'intérêt d'un relais par Xarelto sera rediscuté en consultation.", "B01AF01",
     "hypothetical"),  # control (so at the start)
    ("Le bénéfice du Tahor sera réévalué à 3 mois.", "C10AA05", "affirmed"),  # control: the drug taken
    # an unjustified drug, a hypothesis given up, a contraindication absent
    ("Le Lovenox n'est pas justifié à ce stade.", "B01AB05", "negated"),
    ("Une antibiothérapie par Augmentin ne se justifie pas.", "J01CR02", "negated"),
    ("L'hypothèse d'une sarcoïdose a été abandonnée.", "D86", "negated"),
    ("Pas de contre-indication à la poursuite du Xarelto.", "B01AF01", "affirmed"),
    # a family history given as a reason (the letter's case needs the ", notamment" rule too: controls here)
    ("Un cancer colique est à dépister, vu l'antécédent familial.", "C18",
     "hypothetical"),  # control (so at the start)
    ("Vu l'antécédent familial de cancer du sein, mammographie.", "C50", "family"),  # control
    # a hedged title over a list; a disease named again before its cause
    ("Une cause secondaire est à rechercher : hypothyroïdie, hypercorticisme.", "E24.9", "hypothetical"),
    ("Bilan à la recherche d'une cause secondaire : hypothyroïdie, hypercorticisme.", "E24.9", "hypothetical"),
    ("Uvéite antérieure droite, évoquant une uvéite liée à une spondylarthrite.", "H20.9", "affirmed"),
    # second pass: the items of a conditional list past an event, a measure, a ", ou"; watched complications
    ("À revoir si majoration de la dyspnée, apparition d'oedèmes ou prise de poids.", "R60", "hypothetical"),
    ("Appeler le 15 si douleur thoracique, malaise, ou palpitations.", "R00.2", "hypothetical"),
    ("En cas de fièvre > 38,5 °C, frissons ou brûlures mictionnelles, consulter.", "R30.0", "hypothetical"),
    ("Surveillance de l'apparition d'une mucite sous 5-FU.", "K12.1", "hypothetical"),
    ("Signes devant faire reconsulter : fièvre, céphalées, raideur de nuque.", "R51", "hypothetical"),
    # one's own guess
    ("Je pense qu'il s'agit d'une sciatique.", "M54", "hypothetical"),
    ("Indication d'un traitement par Fosamax à poser après la densitométrie.", "M05BA04", "hypothetical"),
]

ABSENT = [
    ("Pas d'argument pour une maladie de système (lupus ou sarcoïdose).", "D86", "affirmed"),
    ("Reconsulter en cas de fièvre persistante, de vomissements ou de douleurs abdominales.", "R10", "affirmed"),
    ("Pas de fièvre, toux ou expectoration.", "R05", "affirmed"),
    ("Ne pas hésiter à reconsulter si fièvre, frissons ou brûlures mictionnelles.", "R50", "negated"),
    ("Le bénéfice d'un traitement par Tahor sera réévalué à 3 mois.", "C10AA05", "affirmed"),
    ("Le Lovenox n'est pas justifié à ce stade.", "B01AB05", "affirmed"),
    ("Pas de contre-indication à la poursuite du Xarelto.", "B01AF01", "negated"),
    ("Un cancer colique est à dépister, vu l'antécédent familial.", "C18", "family"),
    ("Uvéite antérieure droite, évoquant une uvéite liée à une spondylarthrite.", "H20.9", "hypothetical"),
    ("L'hypothèse d'une sarcoïdose a été abandonnée.", "D86", "hypothetical"),
    # controls: a drug on demand beside the affirmed sign, an association weighed, a drug given up
    ("Diarrhée depuis 2 jours. Imodium si diarrhée.", "A09", "hypothetical"),
    ("L'association Kardégic et Eliquis n'est pas justifiée : arrêt du Kardégic.", "B01AF02", "negated"),
    ("Le Tegretol a été abandonné (somnolence).", "N03AF01", "negated"),
]


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", PROBES)
def test_round20a_probe(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", ABSENT)
def test_round20a_absent(nlp_engine, text, code, assertion):
    assert (code, assertion) not in found(nlp_engine, text)


def test_round20a_probe_codes_exist():
    assert not unknown_probe_codes(PROBES + ABSENT)
