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


# ------------------------------------------------------------- tokenizer
from .imports import defer_french_token_match  # noqa: E402

defer_french_token_match()  # edsnlp.language imports spaCy's French data: 2.7 s of regex we never call
from edsnlp.language import EDSTokenizer  # noqa: E402


class FastEDSTokenizer(EDSTokenizer):
    """``EDSTokenizer`` whose words come from one ``findall`` (a list of
    (word, space) pairs built in C): about half its time. A text its regex
    does not cover end to end goes through edsnlp's own loop, which warns
    about the skipped characters."""

    def __call__(self, text: str):
        from spacy.tokens import Doc

        found = self.word_regex.findall(text)
        if not found:
            return super().__call__(text)
        words, spaces = zip(*found)  # a space is "" or one character: Doc reads it as a flag
        if sum(map(len, words)) + sum(map(len, spaces)) != len(text):
            return super().__call__(text)
        return Doc(self.vocab, words=words, spaces=spaces)


# ------------------------------------------------------------- sentences
class FastSentences:
    """edsnlp's sentence segmenter (``eds.sentences``), same SENT_START in less time: edsnlp's reads
    ``doc[i].text`` for every token. What decides a sentence start depends on the lexeme only (orth, shape, flags):
    one memo per orth; and only punctuation and line breaks, and the tokens right after them, change the
    segmenter's state, so the loop visits those alone. Built by :meth:`of` from the pipeline's own segmenter (its
    hash sets), for the settings it reproduces (capitalised or bullet starts, one line break, no hard count)."""

    PUNCT, NEWLINE, OTHER_PUNCT, DIGIT, STARTER, KNOWN = 1, 2, 4, 8, 16, 32  # KNOWN: never 0 in the memo
    # the C fields of edsnlp's FastSentenceSegmenter, in the order of its pickled state (Cython sorts them)
    FIELDS = ("bullet_starter_hash", "capitalized_shapes_hash", "check_capitalized", "endline_hash",
              "excluded_hash", "hard_newline_count", "ignore_excluded", "min_newline_count", "newline_hash",
              "punct_chars_hash", "use_bullet_start")

    def __init__(self, vocab, punct: set[int], bullets: set[int], shapes: set[int], newline: int):
        self.vocab = vocab
        self.punct, self.bullets, self.shapes, self.newline = punct, bullets, shapes, newline
        self._memo: dict[int, int] = {}

    @classmethod
    def of(cls, pipe, vocab) -> FastSentences | None:
        """The equivalent of the ``eds.sentences`` pipe ``pipe``, or None when its settings are not the ones
        reproduced here (or edsnlp's segmenter changed shape)."""
        try:
            state = pipe.fast_segmenter.__reduce_cython__()[1][2]
        except (AttributeError, IndexError, TypeError):
            return None
        if not isinstance(state, tuple) or len(state) != len(cls.FIELDS):
            return None
        f = dict(zip(cls.FIELDS, state))
        if not all(isinstance(f[k], set) for k in ("bullet_starter_hash", "capitalized_shapes_hash",
                                                   "punct_chars_hash")):
            return None
        if (f["check_capitalized"], f["hard_newline_count"], f["min_newline_count"], f["use_bullet_start"]) != (
                True, -1, 1, True) or f["newline_hash"] != vocab.strings["\n"]:
            return None
        return cls(vocab, f["punct_chars_hash"], f["bullet_starter_hash"], f["capitalized_shapes_hash"],
                   f["newline_hash"])

    def _kind(self, orth: int) -> int:
        """The bits of a lexeme: sentence punctuation, line break, other punctuation, digit, may start a sentence."""
        lex = self.vocab[orth]
        text = lex.orth_
        kind = (self.KNOWN | (orth in self.punct) * self.PUNCT
                | (orth == self.newline or "\n" in text or "\r" in text) * self.NEWLINE
                | (lex.is_punct and orth not in self.bullets) * self.OTHER_PUNCT
                | lex.is_digit * self.DIGIT
                | (lex.shape in self.shapes or orth in self.bullets) * self.STARTER)
        if len(self._memo) >= _CACHE_MAX:
            self._memo.clear()
        self._memo[orth] = kind
        return kind

    def __call__(self, doc):
        """On a doc fresh from the tokenizer: no token is tagged EXCLUDED (nothing for ``ignore_excluded`` to skip)."""
        import numpy
        from spacy.attrs import ORTH, SENT_START

        n = len(doc)
        if not n:
            return doc
        get = self._memo.get
        codes = [get(orth) or self._kind(orth) for orth in doc.to_array(ORTH).tolist()]
        special = [i for i, code in enumerate(codes) if code & 7]  # PUNCT | NEWLINE | OTHER_PUNCT
        starts = [-1] * n
        starts[0] = 1
        seen_period, newlines, j = False, 0, 0
        for i in special + [n]:
            while (seen_period or newlines) and j < i:  # the plain tokens before i, while the state is on
                if seen_period and codes[j] & self.DIGIT:
                    seen_period = False
                else:
                    if seen_period or codes[j] & self.STARTER:
                        starts[j] = 1
                    seen_period, newlines = False, 0
                j += 1
            if i == n:
                break
            j = i + 1
            code = codes[i]
            if seen_period and code & self.DIGIT:
                seen_period = False
                continue
            if code & self.PUNCT:
                seen_period = True
            newlines = newlines + 1 if code & self.NEWLINE else 0
        doc.from_array([SENT_START], numpy.array(starts, dtype=numpy.int64).astype(numpy.uint64))
        return doc


class ChainedRewriter(_NormRewriter):
    """Several ``_NormRewriter`` pipes in one pass over the NORM array (one memo, one ``to_array``), the same NORM as
    running them one after the other."""

    def __init__(self, steps):
        self.steps = tuple(steps)

    def rewrite(self, norm: str) -> str | None:
        current, changed = norm, False
        for step in self.steps:
            new = step.rewrite(current)
            if new is not None:
                current, changed = new, True
        return current if changed else None
