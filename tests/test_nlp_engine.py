"""Unit tests of the NLP engine interface (nlp/).

Tests marked ``nlp`` need edsnlp and the loaded pipeline; they share the
process-wide engine (loaded once: ~1.5 s of CPU from the pickle cache, ~10 s the first
time when the cache is built)."""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

import pytest

import nlp
from nlp import Concept, EngineError, LocalTerm, NoteTooLargeError
from nlp import config
from nlp.engine import local_terms_hash, resolve_assertion
from nlp.lexicon import LEXICON_PATH, is_case_sensitive, load_lexicon
from nlp.loader import Loader
from nlp.textutil import Candidate, format_icd10, raw_icd10, select_spans, split_chunks

ICD10 = nlp.ICD10_SYSTEM
ATC = nlp.ATC_SYSTEM
DOTTED = re.compile(r"^[A-Z][0-9]{2}(\.[0-9+]{1,4})?$")


# --------------------------------------------------------------------- pure
@pytest.mark.parametrize(
    "raw, formatted",
    [("E119", "E11.9"), ("I10", "I10"), ("G473", "G47.3"), ("U0710", "U07.10"),
     ("B24+0", "B24.+0"), ("E11.9", "E11.9"), ("e119", "E11.9")],
)
def test_format_icd10(raw, formatted):
    assert format_icd10(raw) == formatted
    assert raw_icd10(formatted) == raw.upper().replace(".", "")


@pytest.mark.parametrize("bad", ["", "E1", "11E", "C09AA05", "E11.9.1"])
def test_format_icd10_rejects(bad):
    with pytest.raises(ValueError):
        format_icd10(bad)


def test_split_chunks_cover_text_and_prefer_boundaries():
    para = "Première phrase du paragraphe. Deuxième phrase un peu plus longue.\n"
    text = (para * 40 + "\n") * 10
    windows = list(split_chunks(text, 1000))
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    for (s1, e1), (s2, _) in zip(windows, windows[1:]):
        assert e1 == s2
    for s, e in windows:
        assert 0 < e - s <= 1000
        assert text[e - 1] in "\n " or e == len(text)


def test_split_chunks_hard_cut_without_separators():
    text = "x" * 2500
    assert list(split_chunks(text, 1000)) == [(0, 1000), (1000, 2000), (2000, 2500)]
    assert list(split_chunks("", 1000)) == []
    assert list(split_chunks("abc", 1000)) == [(0, 3)]


def _cand(start, end, priority, system, code):
    return Candidate(start, end, start * 5, end * 5, priority, system, code)


def test_select_spans_longest_then_priority():
    lex = _cand(2, 4, 0, ICD10, "I48.0")
    cim = _cand(2, 3, 3, ICD10, "I48")  # shorter, overlapping: dropped
    same_span_cim = _cand(2, 4, 3, ICD10, "I49")  # same span, lexicon wins
    drug = _cand(6, 7, 2, ATC, "B01AC06")
    got = select_spans([cim, drug, same_span_cim, lex])
    assert got == [lex, drug]


def test_select_spans_ignore_claims_span_and_category_preferred():
    block = _cand(0, 1, 0, None, "-")
    drug = _cand(0, 1, 2, ATC, "A12BA01")
    sub = _cand(3, 4, 3, ICD10, "L01.0")
    cat = _cand(3, 4, 3, ICD10, "L01")
    assert select_spans([drug, block, sub, cat]) == [block, cat]


def test_assertion_precedence():
    assert resolve_assertion(True, True, True) == "family"
    assert resolve_assertion(False, True, True) == "negated"
    assert resolve_assertion(False, False, True) == "hypothetical"
    assert resolve_assertion(False, False, False) == "affirmed"


def test_lexicon_is_valid():
    entries = load_lexicon()
    assert len(entries) >= 300
    systems = {e.system for e in entries}
    assert {ICD10, ATC, None} <= systems
    for e in entries:
        if e.system == ICD10:
            assert DOTTED.match(e.code), e
    # ambiguous short abbreviations are case-sensitive
    by_term = {e.term: e for e in entries}
    for abbr in ("FA", "EP", "IC", "HTA", "DT2", "BPCO"):
        assert by_term[abbr].case_sensitive
    assert not by_term["hypertension artérielle"].case_sensitive
    assert is_case_sensitive("AC/FA") and not is_case_sensitive("covid-19")


def test_lexicon_icd_codes_exist_in_atih_labels():
    pytest.importorskip("edsnlp")
    from nlp.pipeline import load_icd_labels

    labels = load_icd_labels()
    missing = [e.term for e in load_lexicon() if e.system == ICD10 and raw_icd10(e.code) not in labels]
    assert missing == []


def test_config_from_env(monkeypatch):
    monkeypatch.delenv("CODOC_NLP_MAX_CHARS", raising=False)
    monkeypatch.delenv("CODOC_NLP_CACHE_DIR", raising=False)
    monkeypatch.delenv("CODOC_NLP_VOCAB_BUDGET", raising=False)
    assert config.max_chars() == 1_000_000
    assert config.cache_dir() == Path("./data/nlp-cache")
    monkeypatch.setenv("CODOC_NLP_MAX_CHARS", "2_000")
    monkeypatch.setenv("CODOC_NLP_CACHE_DIR", "/tmp/x")
    assert config.max_chars() == 2000
    assert config.cache_dir() == Path("/tmp/x")
    assert config.vocab_budget() == 100_000
    monkeypatch.setenv("CODOC_NLP_VOCAB_BUDGET", "0")
    assert config.vocab_budget() == 0
    monkeypatch.setenv("CODOC_NLP_MAX_CHARS", "many")
    with pytest.raises(ValueError):
        config.max_chars()


def test_local_terms_hash_changes_with_content():
    a = [LocalTerm("http://x", "1", "Foo", ("bar",))]
    b = [LocalTerm("http://x", "1", "Foo", ("baz",))]
    assert local_terms_hash(a) == local_terms_hash(list(a))
    assert local_terms_hash(a) != local_terms_hash(b)


# ------------------------------------------------------------------- loader
class _FakeEngine:
    def extract(self, text, local_terms=()):
        return []


def test_loader_states_and_idempotence():
    gate = threading.Event()
    calls = []

    def factory():
        calls.append(1)
        gate.wait(5)
        return _FakeEngine()

    loader = Loader(factory)
    assert loader.status() == "idle"
    loader.start()
    loader.start()
    assert loader.status() == "loading"
    assert loader.get(wait=0) is None
    assert loader.get(wait=0.05) is None
    gate.set()
    engine = loader.get(wait=None)
    assert isinstance(engine, _FakeEngine)
    assert isinstance(engine, nlp.Engine)
    assert loader.status() == "ready"
    assert loader.get() is engine
    assert calls == [1]


def test_loader_failure_is_sticky_and_raises_engine_error():
    def factory():
        raise OSError("disk on fire")

    loader = Loader(factory)
    with pytest.raises(EngineError, match="disk on fire"):
        loader.get(wait=None)
    assert loader.status() == "failed"
    loader.start()
    assert loader.status() == "failed"
    with pytest.raises(EngineError):
        loader.get()


def test_loaded_engine_is_out_of_the_collectors_walks():
    """What the process holds once the engine is loaded is frozen: a full collection no longer walks it."""
    import gc

    gc.unfreeze()
    held = _FakeEngine()
    assert gc.get_freeze_count() == 0
    assert Loader(lambda: held).get(wait=None) is held
    assert gc.get_freeze_count() > 0
    assert not any(o is held for o in gc.get_objects())  # frozen objects are not tracked in any generation


def test_get_engine_starts_loading_lazily():
    loader = Loader(lambda: _FakeEngine())
    assert loader.get(wait=None) is not None


# -------------------------------------------------------------------- cache
def test_cache_roundtrip_corruption_and_rebuild(tmp_path, monkeypatch):
    from nlp import pipeline

    payload = pipeline.Payload(nlp={"fake": True}, icd_labels={"I10": "HTA"}, atc_labels={},
                               lexicon_displays={}, info={"build_seconds": 0})
    path = tmp_path / "codoc-nlp-test.pkl"
    pipeline.write_cache(payload, path)
    assert pipeline.read_cache(path).icd_labels == {"I10": "HTA"}
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left

    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        pipeline.read_cache(path)

    pytest.importorskip("edsnlp")  # cache_path() needs the installed versions
    builds = []

    def fake_build(lexicon_path=LEXICON_PATH):
        builds.append(1)
        return pipeline.Payload(nlp=None, icd_labels={}, atc_labels={}, lexicon_displays={},
                                info={"build_seconds": 0})

    monkeypatch.setattr(pipeline, "build_payload", fake_build)
    target = pipeline.cache_path(tmp_path)
    target.write_bytes(b"garbage")  # corrupt cache -> rebuild and overwrite
    stale = tmp_path / "codoc-nlp-old.pkl"
    stale.write_bytes(b"old")
    p1 = pipeline.load_or_build(tmp_path)
    assert builds == [1] and p1.info["from_cache"] is False
    assert not stale.exists()
    p2 = pipeline.load_or_build(tmp_path)
    assert builds == [1] and p2.info["from_cache"] is True


# ------------------------------------------------------------ with pipeline
@pytest.fixture(scope="session")
def nlp_engine():
    pytest.importorskip("edsnlp")
    return nlp.get_engine(wait=None)


NOTE = (
    "Compte rendu d'hospitalisation.\n\n"
    "Antécédents : HTA, DT2 sous metformine, BPCO. Pas de FA.\n"
    "Antécédents familiaux : mère traitée pour un cancer du sein.\n"
    "Suspicion d'embolie pulmonaire, angioscanner demandé.\n"
    "Traitement de sortie : Kardégic 75 mg, Lasilix 40 mg. Potassium 4,2 mmol/l, revu à J15.\n"
)


def _codes(concepts):
    return {(c.system, c.code, c.assertion) for c in concepts}


@pytest.mark.nlp
def test_engine_status_ready(nlp_engine):
    assert nlp.engine_status() == "ready"
    assert nlp.get_engine() is nlp_engine
    assert isinstance(nlp_engine, nlp.Engine)


@pytest.mark.nlp
def test_extract_concepts_offsets_and_assertions(nlp_engine):
    concepts = nlp_engine.extract(NOTE)
    assert all(isinstance(c, Concept) for c in concepts)
    for c in concepts:
        assert NOTE[c.start:c.end] == c.text
        assert c.assertion in ("affirmed", "negated", "hypothetical", "family")
        assert c.display
    assert concepts == sorted(concepts, key=lambda c: (c.start, c.end, c.system, c.code))
    got = _codes(concepts)
    assert {
        (ICD10, "I10", "affirmed"),
        (ICD10, "E11", "affirmed"),
        (ATC, "A10BA02", "affirmed"),
        (ICD10, "J44", "affirmed"),
        (ICD10, "I48", "negated"),
        (ICD10, "C50", "family"),
        (ICD10, "I26", "hypothetical"),
        (ATC, "B01AC06", "affirmed"),
        (ATC, "C03CA01", "affirmed"),
    } <= got
    hta = next(c for c in concepts if c.code == "I10")
    assert hta.text == "HTA" and hta.history is True
    # "Potassium" (lab value) and "J15" (day 15) are not concepts
    assert not [c for c in concepts if c.text.lower() in ("potassium", "j15", "j 15")]


@pytest.mark.nlp
def test_icd10_codes_are_dotted(nlp_engine):
    text = ("Codage : E11.9 et I48.0. Asthme à prédominance allergique. "
            "Diabète sucré de type 2, avec complications rénales. Cystite.")
    concepts = nlp_engine.extract(text)
    icd = [c for c in concepts if c.system == ICD10]
    assert {c.code for c in icd} >= {"E11.9", "I48.0", "J45.0", "E11.2"}
    for c in icd:
        assert DOTTED.match(c.code), c.code
        assert len(c.code) == 3 or "." in c.code
    written = next(c for c in icd if c.code == "E11.9")
    assert written.text == "E11.9" and text[written.start:written.end] == "E11.9"
    # lexicon (N30.9) beats eds.cim10 (N30) on the same words
    assert [c.code for c in icd if c.text == "Cystite"] == ["N30.9"]


@pytest.mark.nlp
def test_no_codes_from_numbers_days_or_lab_words(nlp_engine):
    text = ("MMS à 18/30, albuminémie à 25 g/l, revu à J15 et H48. Vertèbre T12. "
            "Potassium 4,1 mmol/l, glucose 5,2 mmol/l, fer sérique bas. Mme Diane Martin.")
    assert nlp_engine.extract(text) == []


@pytest.mark.nlp
def test_overlaps_deduplicated_longest_wins(nlp_engine):
    concepts = nlp_engine.extract("Fibrillation auriculaire paroxystique connue.")
    assert [(c.code, c.text) for c in concepts] == [("I48.0", "Fibrillation auriculaire paroxystique")]


@pytest.mark.nlp
def test_case_sensitive_abbreviations(nlp_engine):
    assert _codes(nlp_engine.extract("Découverte d'une FA.")) == {(ICD10, "I48", "affirmed")}
    # "EP." at a sentence end is a single token for the edsnlp tokenizer
    ep = nlp_engine.extract("Pas de suspicion d'EP.")
    assert [(c.code, c.text, c.assertion) for c in ep] == [("I26", "EP", "negated")]
    assert not [c for c in nlp_engine.extract("Il fa beau, ep et ic.") if c.system == ICD10]


@pytest.mark.nlp
@pytest.mark.parametrize("text", ["", " ", "\n\n\t "])
def test_empty_text(nlp_engine, text):
    assert nlp_engine.extract(text) == []
    assert nlp_engine.extract(text, [LocalTerm("http://x", "1", "HTA")]) == []


@pytest.mark.nlp
def test_non_str_rejected(nlp_engine):
    with pytest.raises(TypeError):
        nlp_engine.extract(None)


@pytest.mark.nlp
def test_local_terms_matched_qualified_and_hot_swapped(nlp_engine):
    cs = "http://codoc.example/CodeSystem/local"
    terms_v1 = [
        LocalTerm(cs, "SYN-1", "syndrome de Machin-Truc", ("maladie de Machin",)),
        LocalTerm(cs, "ABR-1", "Syndrome Zorglub", ("SZB",)),
    ]
    text = ("Pas de syndrome de Machin-Truc. Suspicion de SZB. Sa mère avait une maladie de Machin. "
            "szb en minuscules ne compte pas.")
    got = [(c.system, c.code, c.text, c.assertion) for c in nlp_engine.extract(text, terms_v1)]
    assert (cs, "SYN-1", "syndrome de Machin-Truc", "negated") in got
    assert (cs, "ABR-1", "SZB", "hypothetical") in got
    assert (cs, "SYN-1", "maladie de Machin", "family") in got
    assert len([g for g in got if g[0] == cs]) == 3
    local = [c for c in nlp_engine.extract(text, terms_v1) if c.system == cs]
    assert all(text[c.start:c.end] == c.text for c in local)
    assert {c.display for c in local} == {"syndrome de Machin-Truc", "Syndrome Zorglub"}

    # the CodeSystem changes at run time: new terms are used, old ones are gone
    terms_v2 = [LocalTerm(cs, "SYN-2", "maladie de Machin")]
    got2 = {(c.code, c.text) for c in nlp_engine.extract(text, terms_v2) if c.system == cs}
    assert got2 == {("SYN-2", "maladie de Machin")}
    # no local terms: standard concepts only
    assert not [c for c in nlp_engine.extract(text) if c.system == cs]
    # matchers are cached by content hash, not rebuilt
    cache = nlp_engine._local_cache
    assert local_terms_hash(terms_v1) in cache and local_terms_hash(terms_v2) in cache
    before = cache[local_terms_hash(terms_v1)]
    nlp_engine.extract("rien", list(terms_v1))
    assert cache[local_terms_hash(terms_v1)] is before


@pytest.mark.nlp
def test_local_term_alongside_standard_code(nlp_engine):
    cs = "http://codoc.example/CodeSystem/cardio"
    concepts = nlp_engine.extract("Patient hypertendu (HTA).", [LocalTerm(cs, "C1", "HTA")])
    got = {(c.system, c.code, c.text) for c in concepts}
    assert {(ICD10, "I10", "HTA"), (cs, "C1", "HTA"), (ICD10, "I10", "hypertendu")} <= got


@pytest.mark.nlp
def test_long_note_chunked_with_correct_offsets(nlp_engine):
    from nlp.engine import EdsEngine

    paragraph = ("Patient suivi pour une HTA et une BPCO. Pas de fièvre. "
                 "Traitement par Kardégic et ramipril, bien toléré. " * 3).strip() + "\n\n"
    text = paragraph * 300  # ~45,000 characters
    small = EdsEngine(nlp_engine.payload, chunk_chars=2_000)
    t0 = time.perf_counter()
    concepts = small.extract(text)
    assert time.perf_counter() - t0 < 30
    per_paragraph = len(nlp_engine.extract(paragraph))
    assert per_paragraph >= 12
    assert len(concepts) == 300 * per_paragraph
    for c in concepts:
        assert text[c.start:c.end] == c.text
    assert max(c.end for c in concepts) > len(text) - len(paragraph)
    # same result as the default chunk size
    assert concepts == nlp_engine.extract(text)


@pytest.mark.nlp
def test_note_too_large(nlp_engine, monkeypatch):
    from nlp.engine import EdsEngine

    limited = EdsEngine(nlp_engine.payload, max_chars=1_000)
    with pytest.raises(NoteTooLargeError) as info:
        limited.extract("HTA. " * 201)
    assert info.value.size == 1005 and info.value.limit == 1000
    assert limited.extract("HTA. " * 200)

    # a 5 MB note is refused at once with the default limit
    monkeypatch.delenv("CODOC_NLP_MAX_CHARS", raising=False)
    t0 = time.perf_counter()
    with pytest.raises(NoteTooLargeError):
        nlp_engine.extract("x" * 5_000_000)
    assert time.perf_counter() - t0 < 1
    monkeypatch.setenv("CODOC_NLP_MAX_CHARS", "100")
    with pytest.raises(NoteTooLargeError):
        nlp_engine.extract("HTA. " * 30)


@pytest.mark.nlp
def test_pathological_text_finishes(nlp_engine):
    from nlp.engine import EdsEngine

    engine = EdsEngine(nlp_engine.payload, max_chars=1_000_000)
    for text in ("a" * 300_000, "(" * 100_000 + "HTA", "=" * 50_000 + "\n" + "HTA " * 5_000,
                 "\n" * 200_000 + "DT2"):
        t0 = time.perf_counter()
        concepts = engine.extract(text)
        assert time.perf_counter() - t0 < 60
        for c in concepts:
            assert text[c.start:c.end] == c.text


@pytest.mark.nlp
def test_concurrent_extract_is_consistent(nlp_engine):
    expected = nlp_engine.extract(NOTE)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(nlp_engine.extract(NOTE))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results) and len(results) == 20


@pytest.mark.nlp
def test_note_text_never_logged(nlp_engine, caplog):
    secret = "Zebulon Patronyme-Secret"
    with caplog.at_level(logging.DEBUG):
        nlp_engine.extract(f"M. {secret}, HTA.", [LocalTerm("http://x", "1", "Sentinelle Locale")])
        nlp_engine.extract(f"M. {secret}, HTA.", [LocalTerm("http://x", "2", "Autre Sentinelle")])
    assert caplog.records  # counts and timings are logged
    for record in caplog.records:
        message = record.getMessage()
        assert "Zebulon" not in message and "HTA" not in message and "Sentinelle" not in message


@pytest.mark.nlp
def test_vocabulary_growth_is_bounded(nlp_engine):
    from nlp.engine import EdsEngine

    strings = nlp_engine.nlp.vocab.strings
    zoned = EdsEngine(nlp_engine.payload, vocab_budget=0)  # always in a memory zone
    zoned.extract("HTA. Warm-up.")
    before = len(strings)
    for i in range(50):
        concepts = zoned.extract(f"M. Xyzzy{i}quux Plugh{i * 7919}, suivi pour HTA et DT2.")
        assert {c.code for c in concepts} >= {"I10", "E11"}
    assert len(strings) == before

    budgeted = EdsEngine(nlp_engine.payload, vocab_budget=40)
    limit = len(strings) + 40
    for i in range(50):
        budgeted.extract(f"Mme Frobnitz{i}zork Grault{i * 104729}, HTA.")
    assert limit <= len(strings) <= limit + 10  # learns up to the budget, then stops
