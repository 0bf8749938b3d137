"""Round 19a of issue 15 (docs/nlp-engine.md, "Round 19a"): probe sentences of my own wording
(not those of tests/data/nlp/letters/22_round19a.txt), positive and control cases, for the
families of assertion errors of the round's blind letters and of the families left by round 18."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    # a treatment given up is denied
    ("Le Kardégic n'est plus envisageable après l'hémorragie.", "B01AC06", "negated"),
    ("Un traitement par Lovenox n'est plus envisageable.", "B01AB05", "negated"),
    ("Une chirurgie est exclue ; le Xeloda n'est plus indiqué.", "L01BC06", "negated"),
    ("Le méthotrexate n'est plus une option.", "L01BA01", "negated"),
    ("Le Lovenox n'est plus nécessaire.", "B01AB05", "negated"),
    ("La greffe n'est plus envisageable du fait d'une cirrhose.", "K74.6", "affirmed"),  # control
    # a following "éventuel(le)"
    ("Sarcoïdose éventuelle.", "D86", "hypothetical"),
    ("Une amylose cardiaque éventuelle sera discutée.", "E85", "hypothetical"),
    ("Recherche d'une endocardite éventuelle par ETO.", "I38", "hypothetical"),  # control: the cue before
    # bare items after "en cas de X,"
    ("Reconsulter en cas de fièvre, toux ou vomissements.", "R05", "hypothetical"),
    ("Consulter en cas de vomissements, diarrhée ou douleurs abdominales.", "R10", "hypothetical"),
    ("Revenir en cas de douleurs thoraciques, malaise ou palpitations.", "R00.2", "hypothetical"),
    # a screening among relatives names no relative
    ("Dépistage familial de l'hémochromatose positif en 2018, saignées mensuelles.", "E83.1", "affirmed"),
    ("Hémochromatose découverte par dépistage familial.", "E83.1", "affirmed"),
    ("Enquête familiale : hémochromatose chez son frère.", "E83.1", "family"),  # control
    # a known disease conditioning a drug taken on demand
    ("Migraine sans aura. Doliprane si migraine.", "G43", "affirmed"),
    ("Asthme allergique. Ventoline 2 bouffées en cas de crise d'asthme.", "J45", "affirmed"),  # control
    # "X plutôt qu'un Y" weighs both
    ("Au total, une migraine plutôt qu'un AIT.", "G43", "hypothetical"),
    ("Au total, une migraine plutôt qu'un AIT.", "G45.9", "hypothetical"),
    # "ascendant / descendant" after a noun: anatomy, no relative
    ("Coloscopie normale.\nBiopsies : colite du côlon descendant.", "K52.9", "affirmed"),
    ("Diabète chez ses ascendants.", "E14", "family"),  # control
])
def test_round19a_probe(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    ("Le Kardégic n'est plus envisageable après l'hémorragie.", "B01AC06", "hypothetical"),
    ("Sarcoïdose éventuelle.", "D86", "affirmed"),
    ("Reconsulter en cas de fièvre, toux ou vomissements.", "R11", "affirmed"),
    ("Hémochromatose découverte par dépistage familial.", "E83.1", "family"),
    ("Migraine sans aura. Doliprane si migraine.", "G43", "hypothetical"),
    ("Coloscopie normale.\nBiopsies : colite du côlon descendant.", "K52.9", "family"),
    # controls of the round 12a convention and of a weighed association
    ("Le diagnostic de TDAH ne peut être retenu à ce stade.", "F90", "negated"),
    ("L'association Kardégic et Eliquis n'est pas justifiée : arrêt du Kardégic.", "B01AF02", "negated"),
])
def test_round19a_absent(nlp_engine, text, code, assertion):
    assert (code, assertion) not in found(nlp_engine, text)
