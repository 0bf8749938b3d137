"""Token-level components added to the EDS-NLP pipeline by ``nlp/pipeline.py``.

* :class:`PluralNormalizer` folds French plurals in ``token.norm`` ("oedemes"
  -> "oedeme", "renaux" -> "renal"). It runs on the notes *and* on every
  pattern of the terminologies and qualifier cues (its pipe meta says it
  assigns ``token.norm``, so edsnlp passes the patterns through it), so the
  fold is symmetric: a singular term matches its plural in the note.
* :class:`TypoCorrector` repairs one-letter typos (deletion, insertion,
  substitution, transposition) of long medical words of the curated lexicon
  ("hypertention" -> "hypertension", "vomissments" -> "vomissements"). It
  runs on the notes only, and only on words that are unknown to the whole
  matching vocabulary (ATIH labels, drug names, lexicon, cues, edsnlp's
  French verb forms), of at least 8 letters, sharing the first letter, with
  exactly one candidate. A substituted letter must be a usual confusion
  (s/t, s/c, c/k, i/y, m/n...): "degression" is a word, not "depression".

Both only rewrite ``token.norm``; ``token.text`` and the offsets are untouched.
"""

from __future__ import annotations

import bisect
from typing import Iterable

# Words whose final "s" is not a plural mark (already folded: no accents).
_KEEP_S = ("ss", "us", "is", "os", "as", "ys")
MIN_PLURAL_LEN = 5


def fold_plural(norm: str) -> str:
    """French plural -> singular on an accent-free lower-case word."""
    n = len(norm)
    if n < MIN_PLURAL_LEN or not norm.isalpha():
        return norm
    if norm.endswith("eaux"):
        return norm[:-1]
    if norm.endswith("aux") and n >= 6:
        return norm[:-3] + "al"
    if norm.endswith("s") and not norm.endswith(_KEEP_S):
        return norm[:-1]
    return norm


_CACHE_MAX = 200_000  # norm hash -> result memo; cleared when full


class _NormRewriter:
    """Rewrite ``token.norm`` through ``self.rewrite(str) -> str | None``
    (None = unchanged), on the doc's NORM array (no Token objects: about
    ten times cheaper than ``for token in doc``). Results are memoised by
    norm hash; the memo keeps strings, not hashes, because a string added
    inside a spaCy memory zone is freed with it."""

    def rewrite(self, norm: str) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, doc):
        from spacy.attrs import NORM

        memo = self.__dict__.setdefault("_memo", {})
        strings = doc.vocab.strings
        arr = doc.to_array([NORM])
        changed = False
        for i, h in enumerate(arr.tolist()):
            new = memo.get(h, 0)
            if new == 0:
                new = self.rewrite(strings[h])
                if len(memo) >= _CACHE_MAX:
                    memo.clear()
                memo[h] = new
            if new is not None:
                arr[i] = strings.add(new)
                changed = True
        if changed:
            doc.from_array([NORM], arr)
        return doc

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_memo", None)
        return state


class PluralNormalizer(_NormRewriter):
    """Fold plurals in ``token.norm`` (after ``eds.normalizer``)."""

    def rewrite(self, norm: str) -> str | None:
        folded = fold_plural(norm)
        return folded if folded != norm else None


class FastNormalizer(_NormRewriter):
    """``eds.normalizer``'s NORM (the default lower-case NORM, then its accent
    and quote translation tables) plus the plural fold, in one pass over the
    NORM array with a memo, instead of one Python loop over the tokens per
    step. The space and pollution taggers of ``eds.normalizer`` are left out:
    no matcher or qualifier of this pipeline reads their tags
    (``ignore_excluded`` / ``ignore_space_tokens`` are off everywhere), and
    they cost about a quarter of the pipeline."""

    def __init__(self):
        from edsnlp.pipes.core.normalizer.accents.patterns import accents
        from edsnlp.pipes.core.normalizer.quotes.patterns import quotes_and_apostrophes

        def table(pairs):
            return str.maketrans("".join(g for g, _ in pairs),
                                 "".join(rep * len(g) for g, rep in pairs))

        self.accents = table(accents)
        self.quotes = table(quotes_and_apostrophes)
        self.lowercase = True  # read by edsnlp's qualifiers (check_normalizer)

    def rewrite(self, norm: str) -> str | None:
        new = fold_plural(norm.translate(self.accents).translate(self.quotes))
        return new if new != norm else None


MIN_TYPO_LEN = 8


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class TypoCorrector(_NormRewriter):
    """One-edit typo repair of long lexicon words, for unknown words only."""

    def __init__(self, targets: Iterable[str], known: Iterable[str]):
        self.known = frozenset(known) | frozenset(targets)
        self.targets = frozenset(t for t in targets if len(t) >= MIN_TYPO_LEN and t.isalpha())
        index: dict[str, set[str]] = {}
        for t in self.targets:
            for d in _deletes(t):
                index.setdefault(d, set()).add(t)
        self.index = {k: frozenset(v) for k, v in index.items()}

    def rewrite(self, norm: str) -> str | None:
        if len(norm) < MIN_TYPO_LEN or norm in self.known or not norm.isalpha():
            return None
        return self.correct(norm)

    def correct(self, word: str) -> str | None:
        """The unique target one edit away from ``word``, else None."""
        found: set[str] = set()
        # a letter missing in the note ("insufisance"): word is a delete of a target
        found |= self.index.get(word, frozenset())
        for d in _deletes(word):
            if d in self.targets:  # a letter too many in the note
                found.add(d)
            # a wrong or swapped letter: both share a delete
            found |= self.index.get(d, frozenset())
        found = {f for f in found if f[0] == word[0] and f != word and _one_edit(word, f)}
        return next(iter(found)) if len(found) == 1 else None


# letters a typist or a speller swaps for one another
SUBSTITUTIONS = frozenset(
    frozenset(p) for p in ("st", "sc", "sz", "ck", "cq", "kq", "iy", "mn", "ae", "ei", "fv", "td")
)


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (shared deletes also pair words
    two substitutions apart when the deleted positions differ); a substitution
    only between usual confusions."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return frozenset((a[diff[0]], b[diff[0]])) in SUBSTITUTIONS
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


# ------------------------------------------------------------- qualifiers
def _doc_level_get_cues(self, doc, spans=None):
    """edsnlp's ``get_cues`` runs the cue matchers once per sentence holding
    an entity (about 14 calls per letter and per qualifier, each with its
    Python overhead). Here they run once on the whole doc, and the matches
    outside those sentences are dropped: the same cues, a third of the cost."""
    whole = doc.doc if hasattr(doc, "doc") else doc
    matches = [*self.phrase_matcher(whole, as_spans=True),
               *self.regex_matcher(whole, as_spans=True)]
    if spans is None:
        if whole is doc:
            return matches
        return [m for m in matches if doc.start <= m.start and m.end <= doc.end]
    # the sentences holding an entity; a cue is kept when it lies within one
    starts = _sentence_starts(whole)
    held = {bisect.bisect_right(starts, s.start) - 1 for s in spans}
    out = []
    for m in matches:
        i = bisect.bisect_right(starts, m.start) - 1
        if i in held and m.end <= starts[i + 1]:
            out.append(m)
    return out


def _sentence_starts(doc) -> list[int]:
    """Token indices where sentences start, plus len(doc); computed once per
    doc from the SENT_START array (``span.sent`` walks the tokens each time)."""
    cached = doc.user_data.get("codoc_sent_starts")
    if cached is not None and cached[-1] == len(doc):
        return cached
    from spacy.attrs import SENT_START

    flags = doc.to_array([SENT_START]).tolist()
    starts = [i for i, f in enumerate(flags) if f == 1 or i == 0] + [len(doc)]
    doc.user_data["codoc_sent_starts"] = starts
    return starts


def doc_level_cues(pipe):
    """Give a built edsnlp rule-based qualifier the doc-level ``get_cues``
    (swaps its class for a module-level subclass, so pickling keeps it)."""
    base = type(pipe)
    sub = _FAST_CLASSES.get(base)
    if sub is None:
        raise TypeError(f"no doc-level cue class for {base.__name__}")
    pipe.__class__ = sub
    return pipe


def _doc_boundaries(self, doc, terminations=None):
    """edsnlp's ``_boundaries`` walks ``doc.sents`` (a Span per sentence, a
    Token per word) in each of the three qualifiers; the sentence starts are
    read once per doc instead. Same (start, end) pairs."""
    if doc.doc is not doc:  # a Span: edsnlp's own way
        return type(self).__mro__[1]._boundaries(self, doc, terminations)
    starts = set(_sentence_starts(doc))
    starts.update(t.start for t in terminations or ())
    starts = sorted(starts)
    return list(zip(starts[:-1], starts[1:]))


def _fast(base):
    return type(f"DocCues{base.__name__}", (base,), {"get_cues": _doc_level_get_cues,
                                                      "_boundaries": _doc_boundaries,
                                                      "__module__": __name__})


from edsnlp.pipes.qualifiers.family.family import FamilyContextQualifier  # noqa: E402
from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier  # noqa: E402
from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier  # noqa: E402

DocCuesNegationQualifier = _fast(NegationQualifier)
DocCuesHypothesisQualifier = _fast(HypothesisQualifier)
DocCuesFamilyContextQualifier = _fast(FamilyContextQualifier)
_FAST_CLASSES = {
    NegationQualifier: DocCuesNegationQualifier,
    HypothesisQualifier: DocCuesHypothesisQualifier,
    FamilyContextQualifier: DocCuesFamilyContextQualifier,
}
