"""Quality of the NLP engine on realistic French hospital letters.

``tests/data/nlp/letters/*.txt`` holds the development gold set: fictitious
discharge letters and consultation reports of 800-3,000 characters across
specialties, with sections, medication lists, abbreviations and typos,
annotated exhaustively. Format of a file::

    ### <id> | <specialty>
    <the letter, verbatim>
    >>> expected
    <code> <A|N|H|F> [hist]        one (code, assertion) per line
    >>> optional
    <code> <code> ...              vague findings: count neither as hit nor error

A code is ICD-10 (category ``I10`` or sub-code ``I48.0``) or ATC (7
characters). ``hist`` marks a diagnosis of the patient's history (e.g. under
"Antécédents"); an ICD-10 line without it is scored as not history. Scoring is the one of
``tests/test_nlp_quality.py``. Every code
is checked against the ATIH CIM-10 and ATC (drug) resources shipped in the
installed edsnlp package.

Run ``python tests/test_nlp_letters.py`` for the report with every error.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest

try:
    from test_nlp_quality import ATC, ICD10, evaluate, report
except ImportError:  # pragma: no cover - run as a package
    from tests.test_nlp_quality import ATC, ICD10, evaluate, report

LETTERS_DIR = Path(__file__).parent / "data" / "nlp" / "letters"
# Written after the engine work on LETTERS_DIR, scored once, never used to
# tune the engine: an estimate of the figures on unseen letters.
HOLDOUT_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout"
# Written after all engine work, scored once, never inspected for tuning
# (letters_holdout was inspected after its first score: see docs/nlp-engine.md).
HOLDOUT2_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout2"
# Written before the assertion work of round 5, rich in negation, hypothesis
# and family wordings; scored once before that work and once after it.
HOLDOUT3_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout3"
# Blind: 12 letters (one per specialty) written and annotated by an engineer who
# never read nlp/ nor ran the engine on them; scored once (see its FIRST_SCORE.md).
HOLDOUT4_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout4"
# Blind like letters_holdout4, rich in hypotheses (55 of its 309 triples), with
# specialties beyond SPECIALTIES; scored once (see its FIRST_SCORE.md).
HOLDOUT5_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout5"
# Blind like letters_holdout4, everyday letters of many kinds (discharge, consultation,
# emergency, day hospital, operative stay, letters to the GP) in 14 specialties, dermatology
# and gastro-enterology included; scored once (see its FIRST_SCORE.md).
HOLDOUT6_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout6"
# Blind like letters_holdout6, everyday letters of many kinds in 14 specialties, other clinical
# stories, 47 hypothetical triples; scored once (see its FIRST_SCORE.md).
HOLDOUT7_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout7"
# Blind like letters_holdout7, everyday letters of many kinds in 16 specialties (haematology and
# orthopaedics included), other clinical stories, 40 hypothetical triples; scored once (see its
# FIRST_SCORE.md).
HOLDOUT8_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout8"
# Blind like letters_holdout8, everyday letters of many kinds in 16 specialties (rheumatology
# included), other clinical stories, 54 hypothetical and 35 family triples; scored once (see its
# FIRST_SCORE.md).
HOLDOUT9_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout9"
# Blind like letters_holdout9, everyday letters of many kinds in 15 specialties (two surgery letters,
# visceral and vascular), other clinical stories, 105 negated and 39 hypothetical triples; scored
# once (see its FIRST_SCORE.md).
HOLDOUT10_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout10"
# Blind like letters_holdout10, everyday letters of many kinds in 16 specialties (orthopaedic surgery included),
# other clinical stories, 53 hypothetical and 33 family triples; scored on the thirteenth session's start and once
# after its rounds (see its FIRST_SCORE.md).
HOLDOUT11_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout11"
# Blind like letters_holdout11, everyday letters of many kinds in 16 specialties, other clinical stories,
# 51 hypothetical and 37 family triples; scored on the fourteenth session's start and once after its rounds (see its
# FIRST_SCORE.md).
HOLDOUT12_DIR = Path(__file__).parent / "data" / "nlp" / "letters_holdout12"
# every held-out set, oldest first, with the fewest letters it must hold
HOLDOUT_MINIMUMS = {HOLDOUT_DIR: 7, HOLDOUT2_DIR: 5, HOLDOUT3_DIR: 8, HOLDOUT4_DIR: 12, HOLDOUT5_DIR: 12,
                    HOLDOUT6_DIR: 14, HOLDOUT7_DIR: 14, HOLDOUT8_DIR: 16, HOLDOUT9_DIR: 16, HOLDOUT10_DIR: 16,
                    HOLDOUT11_DIR: 16, HOLDOUT12_DIR: 16}
HOLDOUT_DIRS = list(HOLDOUT_MINIMUMS)
ASSERTIONS = {"A": "affirmed", "N": "negated", "H": "hypothetical", "F": "family"}
SPECIALTIES = {
    "cardiology", "pneumology", "oncology", "diabetology", "nephrology", "neurology",
    "psychiatry", "paediatrics", "geriatrics", "infectiology", "surgery", "emergency",
}
HOLDOUT_SPECIALTIES = SPECIALTIES | {"internal", "gastro", "rheumatology", "haematology",
                                     "dermatology"}
# round 10 (08_round10.txt): the specialties the first dev letters lacked
ROUND10_SPECIALTIES = {"rheumatology", "haematology", "gastro", "dermatology", "ent",
                       "ophthalmology", "urology", "gynaecology", "endocrinology", "vascular",
                       "internal", "intensive care"}
_ICD = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
_ATC7 = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
_ATC_ANY = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")

# Floors a little below the figures measured on this set (see docs/nlp-engine.md).
FLOORS = {
    # measured (46 letters, rounds 2 and 3 included) after round 5: P 0.995,
    # R 0.986, F1 0.991; ICD-10 F1 0.988, ATC F1 0.996; affirmed 0.995,
    # negated 0.985, hypothetical 0.950, family 1.000; after round 6 (broader
    # lexicon, gold corrected: I49 N added): the same, ICD-10 F1 0.989; after
    # round 7 (denied and evoked concepts): R 0.987, negated 0.988; round 9 (58
    # letters, 07_round9.txt rich in hypotheses): P 0.994, R 0.985, F1 0.989,
    # ICD-10 F1 0.986, ATC F1 0.997; affirmed 0.994, negated 0.990,
    # hypothetical 0.954, family 1.000; round 10 (58 letters, 08_round10.txt
    # included): P 0.995, R 0.986, F1 0.990; ICD-10 F1 0.989, ATC F1 0.994;
    # hypothetical 0.948. Both merged (70 letters): P 0.993, R 0.984, F1 0.989,
    # ICD-10 F1 0.986 (0.98596), ATC F1 0.995; hypothetical 0.949: floors just
    # under them (per class 0.945, recall 0.983, ICD-10 0.985); round 11 (78
    # letters, 09_round11.txt included): P 0.993, R 0.988, F1 0.991, ICD-10 F1
    # 0.988, ATC F1 0.997; affirmed 0.996, negated 0.983, hypothetical 0.966,
    # family 1.000: floors just under them; rounds 12a and 12b merged (94
    # letters: 16 new ones whose errors are each other's files): P 0.989,
    # R 0.984, F1 0.986, ICD-10 F1 0.983, ATC F1 0.994; affirmed 0.994, negated
    # 0.979, hypothetical 0.945, family 0.995 (the 78 earlier letters: F1 0.992);
    # rounds 13a and 13b merged (106 letters): P 0.992, R 0.986, F1 0.989, ICD-10
    # F1 0.987, ATC F1 0.994; affirmed 0.995, negated 0.981, hypothetical 0.965,
    # family 0.992: floors just under them; rounds 14a and 14b merged (118 letters):
    # P 0.993, R 0.986, F1 0.990, ICD-10 F1 0.988, ATC F1 0.993; affirmed 0.995,
    # negated 0.985, hypothetical 0.966, family 1.000 (ATC floor 0.991: the new
    # letters' drugs left missed are the lexicon's, listed in docs/nlp-engine.md);
    # round 15 (124 letters, 16_round15.txt included): P 0.993, R 0.987, F1 0.990,
    # ICD-10 F1 0.989, ATC F1 0.994; affirmed 0.995, negated 0.986, hypothetical
    # 0.966, family 1.000: the floors hold unchanged
    "micro_f1": 0.988,
    "precision": 0.991,
    "recall": 0.985,
    "icd10_f1": 0.986,
    "atc_f1": 0.991,
    "assertion_f1": 0.960,  # each of a:affirmed, a:negated, a:hypothetical, a:family
}


HOLDOUT_FLOORS = {
    # first score 0.918 (P 0.966, R 0.874), then inspected and used for
    # class-level fixes: now P 1.000, R 0.992, F1 0.996
    "letters_holdout": {"micro_f1": 0.99, "precision": 0.995, "recall": 0.985},
    # never inspected for tuning: P 0.965, R 0.854, F1 0.906 before round 2,
    # P 0.968, R 0.938, F1 0.953 after (see docs/nlp-engine.md for its caveat)
    # (unchanged by round 5, never inspected); round 7: P 0.969, R 0.938, F1 0.953
    "letters_holdout2": {"micro_f1": 0.948, "precision": 0.963, "recall": 0.933},
    # written before round 5 (assertion classes); first score P 0.935, R 0.883,
    # F1 0.908 (negated 0.840, hypothetical 0.800); after round 5, with the
    # guideline's optional codes corrected: P 0.959, R 0.888, F1 0.922
    # (negated 0.850, hypothetical 0.865); no longer blind. Round 6 (broader
    # lexicon, 15 of its rows wordings that docs/nlp-engine.md names among this
    # set's misses): P 0.966, R 0.922, F1 0.943; without those 15 rows unchanged;
    # round 7: unchanged
    "letters_holdout3": {"micro_f1": 0.938, "precision": 0.962, "recall": 0.917},
    # blind, scored once on main 16d6773: P 0.960, R 0.902, F1 0.930; with two
    # annotation mistakes corrected (FIRST_SCORE.md): P 0.963, R 0.905, F1 0.934;
    # round 7 (whose engineer never saw it): P 0.960, R 0.913, F1 0.936
    "letters_holdout4": {"micro_f1": 0.93, "precision": 0.955, "recall": 0.905},
    # blind, scored once on main 12dc4e7: P 0.912, R 0.871, F1 0.891 (hypothetical
    # 0.764); with two optional codes the guideline asks for (FIRST_SCORE.md): P 0.918,
    # R 0.871, F1 0.894 (hypothetical 0.772)
    "letters_holdout5": {"micro_f1": 0.887, "precision": 0.908, "recall": 0.867},
    # blind, scored once on main ae02e50: P 0.938, R 0.896, F1 0.917 (hypothetical
    # 0.655); with class-only drug words and conditional symptoms moved to optional
    # (FIRST_SCORE.md): P 0.961, R 0.896, F1 0.928 (hypothetical 0.717)
    "letters_holdout6": {"micro_f1": 0.914, "precision": 0.935, "recall": 0.893},
    # blind, scored once on main ee3e5da: P 0.891, R 0.852, F1 0.871 (hypothetical
    # 0.619); with the optional J03 for "angine" (FIRST_SCORE.md): P 0.894, R 0.852, F1 0.872
    "letters_holdout7": {"micro_f1": 0.868, "precision": 0.888, "recall": 0.848},
    # blind, scored once on main 3338fb1: P 0.928, R 0.874, F1 0.901 (hypothetical 0.715);
    # with conditional symptoms and class-only drug words moved to optional and "AVC" coded
    # I64 (FIRST_SCORE.md): P 0.942, R 0.877, F1 0.908 (hypothetical 0.755)
    "letters_holdout8": {"micro_f1": 0.898, "precision": 0.925, "recall": 0.871},
    # blind, scored once on main 2294265 (nlp/ 04739f0): P 0.922, R 0.906, F1 0.914
    # (hypothetical 0.780); with "angoisse" (F41) optional in a conditional instruction
    # (FIRST_SCORE.md): P 0.925, R 0.906, F1 0.915 (hypothetical 0.788)
    "letters_holdout9": {"micro_f1": 0.905, "precision": 0.915, "recall": 0.895},
    # blind, scored once on main 45878e7 (nlp/ 1bf8b90): P 0.918, R 0.885, F1 0.901
    # (hypothetical 0.667); with the motif's "éruption" (R21) the annotation had missed
    # (FIRST_SCORE.md): P 0.921, R 0.885, F1 0.903
    "letters_holdout10": {"micro_f1": 0.893, "precision": 0.911, "recall": 0.875},
    # blind, scored on the thirteenth session's start 6cb3ee9: P 0.924, R 0.897, F1 0.910
    # (hypothetical 0.777, family 0.923)
    "letters_holdout11": {"micro_f1": 0.900, "precision": 0.915, "recall": 0.887},
    # blind, scored on the fourteenth session's start 99f3ccb: P 0.940, R 0.906, F1 0.923
    # (hypothetical 0.776, family 0.944); after rounds 20a and 20b: P 0.945, R 0.909, F1 0.927
    "letters_holdout12": {"micro_f1": 0.913, "precision": 0.930, "recall": 0.896},
}


def system_of(code: str) -> str:
    if _ICD.match(code):
        return ICD10
    if _ATC_ANY.match(code):
        return ATC
    raise ValueError(f"neither ICD-10 nor ATC: {code!r}")


def parse_letters(text: str, source: str = "?") -> list[dict]:
    items: list[dict] = []
    cur = None
    mode = None
    buf: list[str] = []

    def close():
        if cur is not None:
            cur["text"] = "\n".join(buf).strip("\n")
            items.append(cur)

    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("### "):
            close()
            ident, _, specialty = line[4:].partition("|")
            cur = {"id": ident.strip(), "category": specialty.strip(), "expected": [],
                   "optional": []}
            mode, buf = "text", []
        elif cur is None:
            continue  # file header comments
        elif line.strip() == ">>> expected":
            mode = "expected"
        elif line.strip() == ">>> optional":
            mode = "optional"
        elif mode == "text":
            buf.append(line)
        elif not line.strip():
            continue
        elif mode == "expected":
            parts = line.split()
            if len(parts) not in (2, 3) or parts[1] not in ASSERTIONS or (
                    len(parts) == 3 and parts[2] != "hist"):
                raise ValueError(f"{source}:{lineno}: bad expected line {line!r}")
            g = {"system": system_of(parts[0]), "code": parts[0],
                 "assertion": ASSERTIONS[parts[1]]}
            if len(parts) == 3:
                g["history"] = True
            elif g["system"] == ICD10:
                g["history"] = False  # ICD-10 lines without "hist": not history
            cur["expected"].append(g)
        else:
            cur["optional"] += [{"system": system_of(c), "code": c} for c in line.split()]
    close()
    return items


def load_letters(directory: Path = LETTERS_DIR) -> list[dict]:
    items = []
    for path in sorted(directory.glob("*.txt")):
        items += parse_letters(path.read_text(encoding="utf-8"), path.name)
    return items


def _resources() -> tuple[set[str], set[str]]:
    edsnlp = pytest.importorskip("edsnlp")
    base = Path(edsnlp.BASE_DIR) / "resources"
    with gzip.open(base / "cim10.csv.gz", "rt", encoding="utf-8") as fh:
        icd = {row["code"] for row in csv.DictReader(fh)}
    with open(base / "drugs.json", encoding="utf-8") as fh:
        atc = set(json.load(fh))
    return icd, atc


def unknown_probe_codes(probes, no_concept=()) -> list[str]:
    """The codes of a round's probe tables (``(text, code, assertion)`` and ``(text, code)`` rows) absent from the
    edsnlp resources: an ICD-10 code or an ATC code or prefix, a no-concept code also as an ICD-10 category."""
    icd, atc = _resources()
    atc_prefixes = {code[:n] for code in atc for n in (1, 3, 4, 5, 7)}
    bad = [code for _, code, _ in probes if code.replace(".", "") not in icd and code not in atc_prefixes]
    return bad + [code for _, code in no_concept if code not in atc_prefixes
                  and not any(c.startswith(code.replace(".", "")) for c in icd)]


def test_letters_are_well_formed():
    items = load_letters()
    assert len(items) >= 30
    assert len({i["id"] for i in items}) == len(items)
    assert SPECIALTIES <= {i["category"] for i in items} <= SPECIALTIES | ROUND10_SPECIALTIES
    for item in items:
        assert 800 <= len(item["text"]) <= 3000, (item["id"], len(item["text"]))
        assert item["expected"], item["id"]
        triples = [(g["code"], g["assertion"]) for g in item["expected"]]
        assert len(triples) == len(set(triples)), item["id"]  # no duplicate line
        for g in item["expected"]:
            if g["system"] == ATC:
                assert _ATC7.match(g["code"]), (item["id"], g["code"])  # 7 characters
            else:
                # category level unless the note states the sub-code
                assert len(g["code"]) == 3 or "." in g["code"], (item["id"], g["code"])


def holdout_name(directory: Path) -> str:
    """``holdout2`` for ``letters_holdout2``: the test id of the set and the script's flag (``--holdout2``)."""
    return directory.name.removeprefix("letters_")


@pytest.mark.parametrize("directory,minimum", HOLDOUT_MINIMUMS.items())
def test_holdout_letters_are_well_formed(directory, minimum):
    items = load_letters(directory)
    assert len(items) >= minimum
    assert not {i["id"] for i in items} & {i["id"] for i in load_letters()}
    for item in items:
        assert item["category"] in HOLDOUT_SPECIALTIES
        assert 800 <= len(item["text"]) <= 3000, (item["id"], len(item["text"]))
        triples = [(g["code"], g["assertion"]) for g in item["expected"]]
        assert len(triples) == len(set(triples)), item["id"]
        for g in item["expected"]:
            if g["system"] == ATC:
                assert _ATC7.match(g["code"]), (item["id"], g["code"])


def test_letters_codes_exist_in_edsnlp_resources():
    icd, atc = _resources()
    atc_prefixes = {code[:n] for code in atc for n in (1, 3, 4, 5, 7)}
    bad = []
    for item in load_letters() + [i for directory in HOLDOUT_DIRS for i in load_letters(directory)]:
        for g in item["expected"]:
            raw = g["code"].replace(".", "")
            if (g["system"] == ICD10 and raw not in icd) or (g["system"] == ATC and raw not in atc):
                bad.append((item["id"], g["code"]))
        for o in item["optional"]:
            raw = o["code"].replace(".", "")
            if (o["system"] == ICD10 and raw not in icd) or (
                    o["system"] == ATC and raw not in atc_prefixes):
                bad.append((item["id"], "optional", o["code"]))
    assert not bad


def test_parse_letters_rejects_bad_lines():
    with pytest.raises(ValueError):
        parse_letters("### x | cardiology\ntext\n>>> expected\nI10 Z\n")
    with pytest.raises(ValueError):
        parse_letters("### x | cardiology\ntext\n>>> expected\nhello A\n")
    items = parse_letters("### x | cardiology\nline 1\n\nline 2\n>>> expected\nI10 A hist\n"
                          "C09AA05 N\n>>> optional\nR06 A10B\n")
    assert items[0]["text"] == "line 1\n\nline 2"
    assert items[0]["expected"][0] == {"system": ICD10, "code": "I10", "assertion": "affirmed",
                                       "history": True}
    assert "history" not in items[0]["expected"][1]  # drugs carry no history flag
    assert [o["system"] for o in items[0]["optional"]] == [ICD10, ATC]


def test_optional_codes_neither_hit_nor_error():
    from nlp import Concept

    items = [{"id": "x", "category": "c", "text": "",
              "expected": [{"system": ICD10, "code": "I10", "assertion": "affirmed"}],
              "optional": [{"system": ICD10, "code": "R06"}, {"system": ATC, "code": "A10B"}]}]

    def c(system, code, assertion):
        return Concept(system, code, None, "", 0, 0, assertion)

    r = evaluate(items, [[c(ICD10, "R06.0", "negated"), c(ATC, "A10BA02", "affirmed"),
                          c(ICD10, "I10", "negated")]])
    assert r["by"]["all"]["pred"] == 1 and r["by"]["all"]["tp_pred"] == 0  # only I10/negated
    assert r["by"]["all"]["gold"] == 1 and r["by"]["all"]["tp_gold"] == 0
    assert r["by"]["a:negated"]["pred"] == 1 and r["by"]["a:affirmed"]["gold"] == 1


def run(engine, directory: Path = LETTERS_DIR) -> dict:
    items = load_letters(directory)
    return evaluate(items, [engine.extract(item["text"]) for item in items])


@pytest.mark.nlp
def test_letters_quality(nlp_engine):
    result = run(nlp_engine)
    print()
    print(report(result, show_errors=True))
    by = result["by"]
    assert by["all"]["f1"] >= FLOORS["micro_f1"]
    assert by["all"]["precision"] >= FLOORS["precision"]
    assert by["all"]["recall"] >= FLOORS["recall"]
    assert by["icd10"]["f1"] >= FLOORS["icd10_f1"]
    assert by["atc"]["f1"] >= FLOORS["atc_f1"]
    for a in ("affirmed", "negated", "hypothetical", "family"):
        assert by["a:" + a]["f1"] >= FLOORS["assertion_f1"], a


@pytest.mark.nlp
@pytest.mark.parametrize("directory", HOLDOUT_DIRS, ids=[holdout_name(d) for d in HOLDOUT_DIRS])
def test_holdout_letters_quality(nlp_engine, directory):
    result = run(nlp_engine, directory)
    print()
    print(report(result, show_errors=True))
    by = result["by"]
    floors = HOLDOUT_FLOORS[directory.name]
    assert by["all"]["f1"] >= floors["micro_f1"]
    assert by["all"]["precision"] >= floors["precision"]
    assert by["all"]["recall"] >= floors["recall"]


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import nlp

    engine = nlp.get_engine(wait=None)
    directory = next((d for d in HOLDOUT_DIRS if f"--{holdout_name(d)}" in sys.argv), LETTERS_DIR)
    print(report(run(engine, directory), show_errors="-q" not in sys.argv))
