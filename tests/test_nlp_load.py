"""Loading the engine from its cache: spaCy's French hyphenated-word regex (2.7 s of CPU) is compiled only when
called, and this pipeline never calls it (nlp/imports.py)."""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.imports import DeferredPattern

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, *args: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter (nothing of spaCy imported yet); its last line of output as JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    res = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_deferred_pattern_compiles_on_first_use_and_matches_like_re():
    pattern = r"(?iu)^[a-zé]+-(?:t-)?(?:il|elle)$"
    deferred = DeferredPattern(pattern)
    match = deferred.match
    assert deferred.pattern == pattern and not deferred.compiled
    compiled = re.compile(pattern)
    for word in ("a-t-il", "Viendra-t-elle", "peut-être", "", "dit-il", "é-il"):
        assert bool(match(word)) == bool(compiled.match(word))
        assert (match(word) and match(word).group()) == (compiled.match(word) and compiled.match(word).group())
    assert deferred.compiled
    assert match.__self__.pattern == pattern  # what spaCy's Tokenizer.to_bytes reads
    assert deferred.fullmatch("dit-il").group() == compiled.fullmatch("dit-il").group()


def test_deferred_pattern_copies_and_pickles_as_the_real_pattern():
    pattern = r"(?iu)^anti-[a-z]+$"
    again = pickle.loads(pickle.dumps(DeferredPattern(pattern)))
    assert isinstance(again, DeferredPattern) and not again.compiled and again.pattern == pattern
    match = pickle.loads(pickle.dumps(DeferredPattern(pattern).match))
    assert match("anti-inflammatoire") and not match("anti") and match.__self__.pattern == pattern
    assert copy.copy(DeferredPattern(pattern)).match("Anti-viral")


TOKENIZE_FRENCH = """
import json, pickle, sys
if sys.argv[-1] == "defer":
    from nlp.imports import defer_french_token_match
    defer_french_token_match()
import spacy
from spacy.lang.fr import tokenizer_exceptions as fr
deferred = type(fr.TOKEN_MATCH).__name__
nlp = spacy.blank("fr")
text = ("Peut-être viendra-t-il après-demain ; anti-inflammatoire et auto-immune, "
        "a-t-on dit à Saint-Étienne-du-Rouvray, porte-monnaie et arrière-grand-mère.")
tokenizer = pickle.loads(pickle.dumps(nlp.tokenizer))
print(json.dumps({"tokens": [t.text for t in nlp(text)], "kind": deferred,
                  "pickled": [t.text for t in tokenizer(text)], "pattern": nlp.tokenizer.to_bytes() != b""}))
"""


@pytest.mark.nlp
def test_french_tokenizer_unchanged_when_its_token_match_is_deferred():
    pytest.importorskip("edsnlp")
    plain = _python(TOKENIZE_FRENCH, "plain")
    deferred = _python(TOKENIZE_FRENCH, "defer")
    assert plain["kind"] != "DeferredMatch" and deferred["kind"] == "DeferredMatch"
    assert deferred["tokens"] == plain["tokens"] == deferred["pickled"] == plain["pickled"]
    # words only the French TOKEN_MATCH keeps whole: it was called, through the deferral
    assert {"anti-inflammatoire", "Saint-Étienne-du-Rouvray", "arrière-grand-mère"} <= set(deferred["tokens"])
    assert deferred["pattern"]


@pytest.mark.nlp
def test_engine_loads_from_cache_and_extracts_without_compiling_french_token_match(nlp_engine, tmp_path):
    """A fresh process loads the session engine's payload from a cache of its own and never compiles the French
    regex (a cache of its own: another checkout's worker may replace the suite's cache meanwhile)."""
    from nlp import pipeline

    pipeline.write_cache(nlp_engine.payload, pipeline.cache_path(tmp_path))
    out = _python("""
import json, time
c0 = time.process_time()
import nlp
engine = nlp.get_engine(wait=None)
cpu = time.process_time() - c0
concepts = engine.extract("Antécédents : HTA, DT2 sous metformine. Pas de fièvre. Mère asthmatique.")
from spacy.lang.fr import tokenizer_exceptions as fr
print(json.dumps({"from_cache": engine.info["from_cache"], "cpu": cpu, "concepts": len(concepts),
                  "compiled": fr.TOKEN_MATCH.deferred.compiled}))
""", env={"CODOC_NLP_CACHE_DIR": str(tmp_path)})
    assert out["from_cache"] is True and out["concepts"] >= 4
    assert out["compiled"] is False
