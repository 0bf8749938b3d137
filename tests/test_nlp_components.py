"""Unit tests of the issue-15 pieces of the engine that need no pipeline:
plural fold, typo repair, sections, generated lexicon rows, char folding, tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.sections import SectionIndex, find_sections, fold_chars


def test_fold_chars_keeps_offsets():
    for text in ("Éthylo-tabagique, œdème", "ÇA İx ß", "abc", ""):
        assert len(fold_chars(text)) == len(text)
    assert fold_chars("Antécédents FAMILIAUX") == "antecedents familiaux"


def test_sections_family_history_and_ends():
    text = ("Motif : dyspnée.\n\nAntécédents :\n- HTA\n- diabète\n\n"
            "Antécédents familiaux : père diabétique\nSuspicion d'EP.\n"
            "ATCD : BPCO, SAOS\n  suite de la liste\nConclusion : IC.\n")
    kinds = [(s.kind, text[s.start:s.end]) for s in find_sections(text)]
    assert kinds[0] == ("history", "Antécédents :\n- HTA\n- diabète\n")
    assert kinds[1] == ("family", "Antécédents familiaux : père diabétique\n")  # inline: one line
    assert kinds[2] == ("history", "ATCD : BPCO, SAOS\n  suite de la liste\n")
    idx = SectionIndex(text)
    assert idx.kind_at(text.index("HTA")) == "history"
    assert idx.kind_at(text.index("Suspicion")) is None
    assert idx.kind_at(text.index("IC.")) is None


def test_generated_rows_are_valid_icd_categories():
    from nlp.lexgen import generated_entries

    entries = generated_entries()
    terms = {e.term: e.code for e in entries}
    assert terms["K du sein"] == "C50" and terms["néo pulmonaire"] == "C34"
    assert terms["métastase osseuse"] == "C79.5" and terms["adénocarcinome rénal"] == "C64"
    assert terms["carcinome canalaire infiltrant du sein gauche"] == "C50"
    assert len(terms) == len(entries)


def test_generated_rows_exist_in_atih_table():
    pytest.importorskip("edsnlp")
    from nlp.lexgen import generated_entries
    from nlp.pipeline import load_icd_labels
    from nlp.textutil import raw_icd10

    labels = load_icd_labels()
    assert [e.term for e in generated_entries() if raw_icd10(e.code) not in labels] == []


def test_plural_fold():
    pytest.importorskip("edsnlp")
    from nlp.components import fold_plural

    assert fold_plural("oedemes") == "oedeme"
    assert fold_plural("renaux") == "renal"
    assert fold_plural("niveaux") == "niveau"
    for word in ("pancreas", "sinus", "virus", "fils", "diabete"):
        assert fold_plural(word) == word  # -as, -us, short words, no plural


def test_typo_corrector_one_usual_edit_only():
    pytest.importorskip("edsnlp")
    from nlp.components import TypoCorrector

    tc = TypoCorrector(["hypertension", "insuffisance", "vomissement", "depression"],
                       known=["degression"])
    assert tc.rewrite("hypertention") == "hypertension"  # s/t
    assert tc.rewrite("insufisance") == "insuffisance"  # missing letter
    assert tc.rewrite("vomissment") == "vomissement"
    assert tc.rewrite("insuffisnace") == "insuffisance"  # swapped letters
    assert tc.rewrite("degression") is None  # a known word
    assert tc.rewrite("depressiom") is None or tc.rewrite("depressiom") == "depression"
    assert tc.rewrite("debression") is None  # b/p is not a usual confusion
    assert tc.rewrite("hypotension") is None  # two edits
    assert tc.rewrite("courte") is None  # too short


def test_atc_codes_of_the_drug_resource_are_written_as_the_who_does():
    from nlp.textutil import clean_atc

    assert clean_atc("JO5AX09") == "J05AX09"
    assert clean_atc("A10BA02") == "A10BA02"
    assert clean_atc("not-a-code") is None


def test_fast_tokenizer_gives_edsnlp_tokens():
    pytest.importorskip("edsnlp")
    from edsnlp.language import EDSTokenizer
    from spacy.vocab import Vocab

    from nlp.components import FastEDSTokenizer

    vocab = Vocab()
    theirs, ours = EDSTokenizer(vocab), FastEDSTokenizer(vocab)
    texts = ["", " ", "a\n\n  b\t\r\nc  ", "Dr. Durand : HTA, 12,5 mg/j ; EP. ACR5 l'oedème’s «x» 3.5.6 °C",
             "\u00a0x\u2009y — Mme. Y (né le 3/4) ?", "ATCD:\n- DT2 sous metformine 1000mg x2/j\n"]
    texts += [line for line in (Path(__file__).parent / "data" / "nlp" / "letters"
                                / "01_cardio_pneumo.txt").read_text(encoding="utf-8").splitlines()]
    for text in texts:
        assert [t.text_with_ws for t in ours(text)] == [t.text_with_ws for t in theirs(text)], text
