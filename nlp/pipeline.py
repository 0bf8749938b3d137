"""Build the EDS-NLP pipeline and cache it on disk (pickle).

Nothing here downloads anything: every vocabulary comes from the installed
edsnlp package (ATIH CIM-10 labels, Romedi-derived drug names) and from
``nlp/data/lexicon_fr.tsv``.

Never use ``nlp.to_disk()`` + ``edsnlp.load()`` for this pipeline: on edsnlp
0.23 it silently breaks every accented pattern (family/history cues stop
working). Pickle keeps the built object as is.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import pickle
import platform
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config
from .lexicon import LEXICON_PATH, LexiconEntry, displays, file_sha256, load_lexicon
from .types import ATC_SYSTEM, ICD10_SYSTEM

log = logging.getLogger("codoc.nlp")

# Bump when the structure of the pipeline or of the payload changes.
BUILD_FORMAT = 3
MAGIC = b"CODOC-NLP-PICKLE\n"

# Names of the components, in pipeline order.
MATCHERS = ("sentences", "normalizer", "codoc_lexicon", "codoc_lexicon_cs", "drugs", "cim10")
QUALIFIERS = ("negation", "hypothesis", "family", "history")
SPAN_GROUP = "codoc"  # label of the deduplicated spans the qualifiers look at
SPANS_KEY = "codoc_spans"  # doc.user_data key holding them (see codoc_spans)
LEXICON_LABEL = "codoc_lexicon"

_ALIAS_OF = {ICD10_SYSTEM: "icd10", ATC_SYSTEM: "atc", None: "ignore"}
_SYSTEM_OF = {v: k for k, v in _ALIAS_OF.items()}


def entry_key(system: str | None, code: str) -> str:
    return f"{_ALIAS_OF[system]}|{code}"


def parse_key(key: str) -> tuple[str | None, str]:
    alias, _, code = key.partition("|")
    return _SYSTEM_OF[alias], code


@dataclass
class Payload:
    """What is cached: the built pipeline and the label tables."""

    nlp: Any
    icd_labels: dict[str, str]  # raw ATIH code (E119) -> long label
    atc_labels: dict[str, str]  # ATC code -> first molecule name in edsnlp's drug list
    lexicon_displays: dict[tuple[str, str], str]
    info: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ helpers
def edsnlp_version() -> str:
    from importlib.metadata import version

    return version("edsnlp")


def cache_key(lexicon_path: Path = LEXICON_PATH) -> str:
    from importlib.metadata import version

    material = {
        "format": BUILD_FORMAT,
        "edsnlp": edsnlp_version(),
        "spacy": version("spacy"),
        "python": platform.python_version_tuple()[:2],
        "lexicon": file_sha256(lexicon_path),
        # any edit of this module (cues, pipe settings) invalidates the cache
        "builder": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:24]


def cache_path(cache_dir: Path | None = None, lexicon_path: Path = LEXICON_PATH) -> Path:
    cache_dir = cache_dir if cache_dir is not None else config.cache_dir()
    return cache_dir / f"codoc-nlp-{cache_key(lexicon_path)}.pkl"


def _resources_dir() -> Path:
    import edsnlp

    return Path(edsnlp.BASE_DIR) / "resources"


def load_icd_labels() -> dict[str, str]:
    with gzip.open(_resources_dir() / "cim10.csv.gz", "rt", encoding="utf-8") as fh:
        return {row["code"]: row["long"] for row in csv.DictReader(fh)}


def cim10_label_patterns() -> dict[str, list[str]]:
    """eds.cim10's patterns minus the code-form ones: {raw code: [short, long]}."""
    with gzip.open(_resources_dir() / "cim10.csv.gz", "rt", encoding="utf-8") as fh:
        return {row["code"]: list(dict.fromkeys([row["short"], row["long"]]))
                for row in csv.DictReader(fh)}


def load_atc_labels() -> dict[str, str]:
    with open(_resources_dir() / "drugs.json", encoding="utf-8") as fh:
        drugs = json.load(fh)
    labels = {}
    for code, names in drugs.items():
        molecule = next((n for n in names if n == n.lower()), None)
        if molecule:
            labels[code] = molecule
    return labels


@contextlib.contextmanager
def _quiet_progress():
    """edsnlp shows tqdm progress bars while compiling terminologies: mute them."""
    try:
        import edsnlp.matchers.phrase as phrase
    except Exception:  # pragma: no cover
        yield
        return
    original = getattr(phrase, "tqdm", None)
    try:
        phrase.tqdm = lambda iterable, *a, **k: iterable
        yield
    finally:
        if original is not None:
            phrase.tqdm = original


def codoc_spans(doclike):
    """Span getter of the qualifiers: the deduplicated spans the engine put in
    ``doc.user_data`` (a plain list: cheaper than a SpanGroup, which re-creates
    its Span objects at every read)."""
    doc = getattr(doclike, "doc", doclike)
    spans = doc.user_data.get(SPANS_KEY, ())
    if doclike is doc:
        return spans
    return [s for s in spans if s.start >= doclike.start and s.end <= doclike.end]


# ---------------------------------------------------------------- normaliser
# edsnlp's default pollution patterns minus "footer": that one targets the
# AP-HP printed-page footer (page number + IPP "80xxxxxxxx") and alone costs
# ~1.2 ms per 2,000-character note, ~15 % of the whole pipeline.
POLLUTION = {
    "information": True,
    "bars": True,
    "biology": False,
    "doctors": True,
    "web": True,
    "coding": False,
    "footer": False,
    "intraword_split": True,
}

# ------------------------------------------------------------------- cues
# Additions to the default edsnlp qualifier cues (French clinical usage).
# "à éliminer" / "pour éliminer" mean "to be ruled out" (a hypothesis), not
# "ruled out"; "non compliqué(e)" qualifies the disease, it does not deny it.
EXTRA_NEGATION_PSEUDO = [
    "à éliminer", "pour éliminer", "afin d'éliminer", "à exclure", "pour exclure",
    "non compliqué", "non compliquée", "non compliqués", "non compliquées",
    "non sévère", "non grave", "non traité", "non traitée", "non équilibré", "non équilibrée",
]
EXTRA_HYPOTHESIS_PRECEDING = [
    "à éliminer", "pour éliminer", "afin d'éliminer", "éliminer un", "éliminer une",
    "pour exclure", "à exclure",
    "évoquer", "à évoquer", "évoquant", "évocateur d'", "évocateur de", "évocatrice d'",
    "évocatrice de", "compatible avec", "en faveur d'", "en faveur de", "doute sur",
    "suspecté", "suspectée", "suspicion d'", "suspicion de", "présomption de",
    "à la recherche d'", "à la recherche de", "dépistage d'", "dépistage de", "dépistage du",
    "dépistage des",
]
EXTRA_HYPOTHESIS_FOLLOWING = [
    "à éliminer", "à exclure", "à confirmer", "à discuter", "à évoquer", "à rechercher",
    "suspecté", "suspectée", "suspectés", "suspectées", "non exclu", "non exclue",
    "non éliminé", "non éliminée", "à rediscuter",
]


def _cues():
    from edsnlp.pipes.qualifiers.hypothesis import patterns as hyp
    from edsnlp.pipes.qualifiers.negation import patterns as neg

    def merged(base, extra):
        return list(dict.fromkeys([*base, *extra]))

    return {
        "negation_pseudo": merged(neg.pseudo, EXTRA_NEGATION_PSEUDO),
        "hypothesis_preceding": merged(hyp.preceding, EXTRA_HYPOTHESIS_PRECEDING),
        "hypothesis_following": merged(hyp.following, EXTRA_HYPOTHESIS_FOLLOWING),
    }


# ------------------------------------------------------------------- build
def build_payload(lexicon_path: Path = LEXICON_PATH) -> Payload:
    import edsnlp
    import edsnlp.pipes as eds

    t0 = time.perf_counter()
    entries: list[LexiconEntry] = load_lexicon(lexicon_path)
    ci_terms: dict[str, list[str]] = defaultdict(list)
    cs_terms: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        (cs_terms if e.case_sensitive else ci_terms)[entry_key(e.system, e.code)].append(e.term)

    with _quiet_progress():
        nlp = edsnlp.blank("eds")
        nlp.add_pipe(eds.sentences(), name="sentences")
        nlp.add_pipe(eds.normalizer(pollution=POLLUTION), name="normalizer")
        # Curated lexicon BEFORE eds.cim10: accent/case-insensitive terms on NORM,
        # capitalised abbreviations case-sensitive on TEXT.
        nlp.add_pipe(
            eds.terminology(
                label=LEXICON_LABEL, terms=dict(ci_terms), attr="NORM",
                span_setter={LEXICON_LABEL: True},
            ),
            name="codoc_lexicon",
        )
        nlp.add_pipe(
            eds.terminology(
                label=LEXICON_LABEL, terms=dict(cs_terms), attr="TEXT",
                span_setter={LEXICON_LABEL: True},
            ),
            name="codoc_lexicon_cs",
        )
        nlp.add_pipe(eds.drugs(term_matcher="exact", span_setter={"drug": True}), name="drugs")
        # eds.cim10 is a TerminologyMatcher over edsnlp's ATIH table, with six
        # patterns per code: the short and long labels plus four written forms
        # of the code itself. We build the same matcher (exact mode only:
        # simstring is ~14x slower and returns wrong codes) with the labels only:
        # bare codes in French notes are days, hours, vertebrae ("J15", "H48",
        # "T12") and edsnlp's dotted form is malformed ("E1.19"), so written
        # codes are handled by the engine's validated regex instead. Two thirds
        # fewer patterns: half the build time, faster cache load, less memory.
        nlp.add_pipe(
            eds.terminology(
                label="cim10", terms=cim10_label_patterns(), attr="NORM",
                span_setter={"cim10": True},
            ),
            name="cim10",
        )
        cues = _cues()
        nlp.add_pipe(
            eds.negation(span_getter=codoc_spans, pseudo=cues["negation_pseudo"]),
            name="negation",
        )
        nlp.add_pipe(
            eds.hypothesis(
                span_getter=codoc_spans,
                preceding=cues["hypothesis_preceding"],
                following=cues["hypothesis_following"],
            ),
            name="hypothesis",
        )
        nlp.add_pipe(eds.family(span_getter=codoc_spans, use_sections=False), name="family")
        nlp.add_pipe(eds.history(span_getter=codoc_spans), name="history")

    assert tuple(nlp.pipe_names) == MATCHERS + QUALIFIERS, nlp.pipe_names
    payload = Payload(
        nlp=nlp,
        icd_labels=load_icd_labels(),
        atc_labels=load_atc_labels(),
        lexicon_displays=displays(entries),
        info={
            "edsnlp": edsnlp_version(),
            "lexicon_entries": len(entries),
            "build_seconds": round(time.perf_counter() - t0, 2),
        },
    )
    log.info(
        "nlp pipeline built in %.1f s (%d lexicon entries)",
        payload.info["build_seconds"], len(entries),
    )
    return payload


# ------------------------------------------------------------------- cache
def write_cache(payload: Payload, path: Path) -> None:
    """Write atomically: temp file in the same directory, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(body).hexdigest().encode()
    fd, tmp = tempfile.mkstemp(prefix=".tmp-codoc-nlp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC)
            fh.write(digest + b"\n")
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_cache(path: Path) -> Payload:
    """Load a cache file; raises ValueError if it is corrupt."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(MAGIC):
        raise ValueError("bad magic")
    buf = io.BytesIO(data)
    buf.seek(len(MAGIC))
    digest = buf.readline().strip()
    body = memoryview(data)[buf.tell():]
    if hashlib.sha256(body).hexdigest().encode() != digest:
        raise ValueError("checksum mismatch")
    payload = pickle.loads(body)
    if not isinstance(payload, Payload):
        raise ValueError("unexpected payload type")
    return payload


def _remove_stale(path: Path) -> None:
    for other in path.parent.glob("codoc-nlp-*.pkl"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
                log.info("removed stale nlp cache file %s", other.name)


@contextlib.contextmanager
def _build_lock(cache_dir: Path):
    """Serialise cold builds between processes (e.g. several web workers
    starting together on a 2-core machine): the first builds, the others wait
    and then load its cache. The OS releases the lock if the holder dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Unix
        yield
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fh = open(cache_dir / ".build.lock", "a+b")
    except OSError:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _try_read(path: Path) -> Payload | None:
    if not path.exists():
        return None
    t0 = time.perf_counter()
    try:
        payload = read_cache(path)
    except Exception as exc:  # corrupt, truncated, incompatible...
        log.warning("nlp cache %s unusable (%s): rebuilding", path.name, type(exc).__name__)
        return None
    payload.info["load_seconds"] = round(time.perf_counter() - t0, 2)
    payload.info["from_cache"] = True
    log.info("nlp pipeline loaded from cache in %.1f s", payload.info["load_seconds"])
    return payload


def load_or_build(
    cache_dir: Path | None = None, lexicon_path: Path = LEXICON_PATH, use_cache: bool = True
) -> Payload:
    """Return the payload from the on-disk cache, or build it (and cache it).

    A corrupt or unreadable cache file is ignored and rebuilt; a cache
    directory that cannot be written only costs a rebuild at next start."""
    if not use_cache:
        return build_payload(lexicon_path)
    path = cache_path(cache_dir, lexicon_path)
    payload = _try_read(path)
    if payload is not None:
        return payload
    with _build_lock(path.parent):
        payload = _try_read(path)  # another process may have built it meanwhile
        if payload is not None:
            return payload
        payload = build_payload(lexicon_path)
        payload.info["from_cache"] = False
        try:
            t0 = time.perf_counter()
            write_cache(payload, path)
            log.info("nlp cache written in %.1f s", time.perf_counter() - t0)
            _remove_stale(path)
        except OSError as exc:
            log.warning("could not write nlp cache in %s (%s)", path.parent, exc)
    return payload


__all__ = [
    "BUILD_FORMAT", "MATCHERS", "QUALIFIERS", "SPAN_GROUP", "LEXICON_LABEL", "Payload",
    "build_payload", "load_or_build", "read_cache", "write_cache", "cache_path", "cache_key",
    "entry_key", "parse_key", "codoc_spans",
]
