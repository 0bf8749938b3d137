"""Round 17a of issue 15 (docs/nlp-engine.md, "Round 17a"): probe sentences of my own wording
(not those of tests/data/nlp/letters/18_round17a.txt), positive and control cases, for the
families of assertion errors of the round's blind letters."""
from __future__ import annotations

import pytest

try:
    from test_nlp_round10 import found
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_round10 import found


@pytest.mark.nlp
@pytest.mark.parametrize("text, code, assertion", [
    ("Appendicite probable sans qu'on puisse exclure une salpingite.", "N70.9", "hypothetical"),
    ("(Sclérodermie, syndrome des anti-synthétases) paraît peu probable.", "M34.9", "hypothetical"),
    ("Une connectivite (sclérodermie, syndrome de Sjögren, lupus) semble peu probable.", "M32.9", "hypothetical"),
    ("Moins probablement, une embolie pulmonaire.", "I26", "hypothetical"),
    ("Une cardiopathie ischémique, qui paraît peu probable.", "I25", "hypothetical"),
    ("La pyélonéphrite, un temps évoquée, a été écartée.", "N10", "negated"),
    ("Une pneumopathie, traitée par Augmentin, est guérie.", "J18", "affirmed"),
    ("Syndrome dépressif (GDS élevé), le plus probable.", "F32", "hypothetical"),
    ("L'étiologie reste à discuter :\n- cardiomyopathie dilatée\n- sarcoïdose", "D86", "hypothetical"),
    ("Le diagnostic reste incertain : sarcoïdose ou tuberculose.", "A16.9", "hypothetical"),
    ("Plusieurs hypothèses pour l'altération de l'état général :\n1. syndrome dépressif ;\n2. cancer du sein",
     "R53", "affirmed"),
    ("Plusieurs hypothèses pour l'altération de l'état général :\n1. syndrome dépressif ;\n2. cancer du sein",
     "F32", "hypothetical"),
    ("Diagnostic retenu : sarcoïdose.", "D86", "affirmed"),
    ("Amiodarone en réserve.", "C01BD01", "hypothetical"),
    ("Un traitement par ibrutinib sera à reconsidérer en cas d'évolution.", "L01XE27", "hypothetical"),
    ("Traitement : Kardégic 75 mg. Conclusion : HTA. Le Kardégic sera à rediscuter avec le cardiologue.",
     "B01AC06", "affirmed"),
    ("En cas de salpingite, Rocéphine et Flagyl seront à prescrire.", "J01DD04", "hypothetical"),
    ("Doliprane à prescrire si douleur.", "N02BE01", "affirmed"),
])
def test_round17a_probe(nlp_engine, text, code, assertion):
    assert (code, assertion) in found(nlp_engine, text)
