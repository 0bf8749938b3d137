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
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config
from .imports import defer_french_token_match
from .lexicon import LEXICON_PATH, LexiconEntry, displays, file_sha256, load_lexicon
from .types import ATC_SYSTEM, ICD10_SYSTEM

log = logging.getLogger("codoc.nlp")

# Bump when the structure of the pipeline or of the payload changes.
BUILD_FORMAT = 5
MAGIC = b"CODOC-NLP-PICKLE\n"

# Names of the components, in pipeline order: the token pipes, then the
# terminologies (the engine calls their phrase matchers itself).
TOKEN_PIPES = ("sentences", "normalizer", "typos")
TERMINOLOGIES = ("codoc_lexicon", "codoc_lexicon_cs", "drugs", "cim10")
MATCHERS = TOKEN_PIPES + TERMINOLOGIES
# Negation, hypothesis and family context: one pass after the pipeline,
# nlp/qualifiers.py (Payload.qualifier), with edsnlp's cues and ours.
# eds.history is not used: its cues ("antécédent(s)", "ATCD") are matched by
# the engine over the whole sentence (HISTORY_CUE_PATTERN), together with the
# "Antécédents" sections; it cost ~13 % of the pipeline.
# eds.history's cues, on the folded sentence, family history excluded
HISTORY_CUE_PATTERN = r"\b(?:antecedents?|atcds?|tacds)\b(?!\s+(?:medicaux\s+)?fam)"
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
    """What is cached: the built pipeline, its qualifier and the label tables."""

    nlp: Any
    icd_labels: dict[str, str]  # raw ATIH code (E119) -> long label
    atc_labels: dict[str, str]  # ATC code -> first molecule name in edsnlp's drug list
    lexicon_displays: dict[tuple[str, str], str]
    info: dict[str, Any] = field(default_factory=dict)
    qualifier: Any = None  # nlp.qualifiers.CueQualifier


# ------------------------------------------------------------------ helpers
def edsnlp_version() -> str:
    from importlib.metadata import version

    return version("edsnlp")


# Modules whose code shapes the pickled pipeline (components, generated rows).
_BUILDER_MODULES = ("pipeline.py", "components.py", "lexgen.py", "lexicon.py", "qualifiers.py")


def _builder_digest() -> str:
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _BUILDER_MODULES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()


def cache_key(lexicon_path: Path = LEXICON_PATH) -> str:
    from importlib.metadata import version

    material = {
        "format": BUILD_FORMAT,
        "edsnlp": edsnlp_version(),
        "spacy": version("spacy"),
        "python": platform.python_version_tuple()[:2],
        "lexicon": file_sha256(lexicon_path),
        # any edit of the builder modules (cues, pipe settings, components,
        # generated rows) invalidates the cache
        "builder": _builder_digest(),
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


# ATIH chapters left out of the label matcher: external causes (V-Y: "chute",
# "tentative de suicide" are circumstances, not diagnoses) and factors
# influencing health status (Z: "soins palliatifs", "orthophonie" are
# services and procedures in letters). The lexicon may still use such codes.
EXCLUDED_CHAPTERS = ("V", "W", "X", "Y", "Z")
# codes the ATIH has withdrawn ("*** SU17 *** Dengue" for A90, now A97): labelled "*** SUyy ***"
SUPPRESSED = "***"


def cim10_label_patterns() -> dict[str, list[str]]:
    """eds.cim10's patterns minus the code-form ones: {raw code: [short, long]}."""
    with gzip.open(_resources_dir() / "cim10.csv.gz", "rt", encoding="utf-8") as fh:
        return {row["code"]: list(dict.fromkeys([row["short"], row["long"]]))
                for row in csv.DictReader(fh) if not row["code"].startswith(EXCLUDED_CHAPTERS)
                and not row["long"].startswith(SUPPRESSED)}


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
# Plurals need no entry: cues go through the plural fold like the notes.


def _genders(*stems: str) -> list[str]:
    """"retenu" -> retenu, retenue (plurals are folded)."""
    out = []
    for s in stems:
        out += [s, s + "e"]
    return out


# "<disease> non <qualifier>" qualifies the disease. Never a disease
# adjective here: "patient non diabétique" is a negation. ("asthme non contrôlé",
# "SAOS non appareillé", "DT2 non insulino-requérant", "FA non valvulaire").
NON_QUALIFIERS = [
    *_genders("compliqué", "traité", "équilibré", "contrôlé", "appareillé", "opéré", "stabilisé",
              "déplacé", "sevré", "anticoagulé", "insulino-traité", "insulinotraité",
              "documenté", "daté", "suivi", "substitué", "perfusé", "sécrétant", "infecté",
              "perçu", "palpé"),
    "sévère", "grave", "valvulaire", "ischémique", "obstructif", "obstructive", "proliférant",
    "proliférante", "proliférative", "proliferatif", "évolutif", "évolutive", "spécifique",
    "insulino-requérant", "insulinorequérant", "insulino-dépendant", "insulinodépendant",
    "insulino dépendant", "insulino-requérante", "infectieux", "infectieuse", "inflammatoire",
    "fonctionnel", "fonctionnelle", "hodgkinien", "métastatique", "invasif",
    "invasive", "productive", "productif", "récent", "récente",
    "ST+", "thrombosé", "rompu", "mutée", "muté", "sévères", "hémorragique", "tolérant",
    # exams: "épreuve d'effort non contributive : une coronaropathie reste possible"
    *_genders("réalisé", "fait", "injecté", "dosé", "interprété", "effectué", "demandé"),
    "contributif", "contributive", "concluant", "concluante", "interprétable", "significatif",
    "significative", "informatif", "informative",
]
_CHANGE_NOUNS = ("changement", "modification", "majoration", "adaptation", "diminution", "baisse",
                 "augmentation", "ajustement", "arrêt", "interruption", "suspension",
                 "réduction", "décroissance", "intensification", "relais")
_NOT_RULED_OUT = [f"{head} {verb}{e}" for head in (
    "ne peut être", "ne peut pas être", "ne peuvent être", "ne peuvent pas être", "n'a pas pu être",
    "n'a pu être", "ne pouvant être", "ne pouvant pas être", "ne saurait être",
    # round 12a: "n'est pas formellement éliminée", "n'a pas encore été exclu"
    "n'est pas formellement", "pas formellement", "non formellement", "n'a pas encore été",
    "pas encore", "n'est pas encore", "non encore",
    # round 14a: "n'a pas été formellement exclue", "n'est pas totalement éliminée"
    *[f"{h} {adv}" for h in ("n'a pas été", "n'est pas", "pas", "non") for adv in (
        "totalement", "complètement", "définitivement", "entièrement")],
    "n'a pas été formellement")
    for verb in ("exclu", "éliminé", "écarté") for e in ("", "e")]
# "le diagnostic de TDAH ne peut être retenu à ce stade", "une SEP n'est pas
# encore confirmée": not established yet, a hypothesis (round 12a)
_NOT_YET_ESTABLISHED = [
    *[f"{head} {verb}{e}" for head in (
        "ne peut être", "ne peut pas être", "ne peut pas encore être", "ne peut encore être",
        "ne peuvent être", "ne peuvent pas être", "ne pouvant être", "ne pouvant pas être",
        "ne peut pour l'instant être", "ne peut à ce stade être")
      for verb in ("retenu", "posé", "affirmé", "confirmé", "établi", "certifié") for e in ("", "e")],
    *[f"{head} {verb}{e}" for head in ("pas encore", "n'est pas encore", "non encore", "pas formellement",
                                       "n'est pas formellement", "n'a pas encore été")
      for verb in ("retenu", "posé", "affirmé", "confirmé", "établi") for e in ("", "e")],
    # "tuberculose non confirmée à ce jour": not yet
    *[f"{neg} {verb}{e} {when}" for neg in ("non", "pas") for verb in ("confirmé", "prouvé", "documenté",
                                                                      "démontré", "étayé", "établi")
      for e in ("", "e") for when in ("à ce jour", "à ce stade", "pour l'instant", "pour le moment")],
]
# "un PTI est le plus probable après élimination d'une cause virale": what is
# still to rule out is a hypothesis (round 12a)
_AFTER_RULING_OUT = [f"après {w} {p}" for w in ("élimination", "exclusion", "avoir éliminé", "avoir écarté",
                                                "avoir exclu")
                     for p in ("d'", "de", "des", "du", "un", "une")]
_AFTER_RULING_OUT = [c.replace("' ", "'").replace("d' ", "d'") for c in _AFTER_RULING_OUT]
# round 16: "une maladie de Crohn est suspectée, non confirmée": still a hypothesis (the
# hypothesis cue "suspectée" stands), not a negation
_SUSPECTED_NOT_CONFIRMED = [f"{h}{g}{s} {n} {v}{g}" for h in ("suspecté", "évoqué", "présumé", "supposé")
                            for g in ("", "e", "s", "es") for s in (",", " mais", ", mais", " et")
                            for n in ("non", "pas", "non encore", "pas encore", "pas encore formellement")
                            for v in ("confirmé", "prouvé", "démontré", "documenté", "étayé")]
_SUSPECTED_NOT_CONFIRMED += [f"{h}{s} {n} {v}{g}" for h in ("possible", "probable", "possibles", "probables")
                             for s in (",", " mais", ", mais") for n in ("non", "pas", "non encore", "pas encore")
                             for v in ("confirmé", "prouvé", "démontré") for g in ("", "e", "s", "es")]
EXTRA_NEGATION_PSEUDO = [
    "pas de certitude", "aucune certitude", "sans certitude",  # round 18a: a doubt, not a denial
    "à éliminer", "pour éliminer", "afin d'éliminer", "à exclure", "pour exclure",
    "reste à éliminer", "sans changement", "pas de modification", "sans modification",
    "pas de changement de", "pas de majoration", "pas d'adaptation", "sans adaptation",
    "non négligeable", "peu probable", "pas exclu", "pas exclue", "pas certain", "pas sûr",
    *[f"non {q}" for q in NON_QUALIFIERS],
    # "pas d'arrêt du Kardégic", "sans modification du traitement de son
    # diabète": a change that did not happen, the drug or disease is there
    *[f"{neg}{noun}" for neg in ("pas de ", "pas d'", "sans ", "aucun ", "aucune ")
      for noun in _CHANGE_NOUNS],
    # "une endocardite ne peut être exclue": not ruled out, a hypothesis
    *_NOT_RULED_OUT, *_NOT_YET_ESTABLISHED, *_AFTER_RULING_OUT, *_SUSPECTED_NOT_CONFIRMED,
    "pas impossible", "n'élimine pas", "n'éliminent pas", "n'exclut pas", "n'excluent pas",
    "n'écarte pas", "n'écartent pas", "sans pouvoir exclure", "sans pouvoir éliminer",
    "sans pouvoir écarter", "sans exclure", "sans éliminer", "sans écarter",
    # round 20a: "Ne pas hésiter à reconsulter si fièvre", "n'hésitez pas à nous appeler en cas de malaise": an
    # instruction, no denial
    "ne pas hésiter", "n'hésitez pas", "n'hésitez surtout pas", "ne pas hésiter à", "n'hésitez pas à",
    "sans hésiter", "ne pas tarder", "ne tardez pas",
    # round 20a: "Pas de contre-indication à la poursuite du Kardégic": the drug may go on, nothing is denied
    "pas de contre-indication", "aucune contre-indication", "sans contre-indication", "absence de contre-indication",
    "pas de contre indication", "pas de CI",
]
EXTRA_NEGATION_PRECEDING = [
    "absence d'", "absence de", "pas d'argument pour", "pas d'argument en faveur d'",
    "pas d'argument en faveur de", "pas d'indication à", "pas d'indication au",
    "pas d'indication aux", "pas d'indication d'", "pas d'indication de", "ni de", "ni d'",
    "sans argument pour", "sans signe de", "aucun signe de", "aucun argument pour",
    "ne retrouve pas", "ne retrouvent pas", "pas de notion de", "négativité de",
    # round 11: "indemne de toute métastase", "exempt de récidive", "dément toute prise"
    "indemne de", "indemne d'", "exempt de", "exempte de", "exempt d'", "exempte d'",
    "dément toute", "dément tout",
    # round 12a: "il n'a plus de fièvre", "rien en faveur d'une embolie"
    *[f"{v} plus {p}" for v in ("n'a", "n'ont", "ne présente", "ne présentent", "ne ressent", "ne décrit",
                                "ne rapporte", "ne signale", "ne se plaint", "sans")
      for p in ("de", "d'")],
    "rien en faveur d'", "rien en faveur de", "rien en faveur du", "aucun élément en faveur d'",
    "aucun élément en faveur de", "aucun élément pour",
]
EXTRA_NEGATION_FOLLOWING = [
    *_genders("non retrouvé", "pas retrouvé", "non retenu", "pas retenu", "non confirmé",
              "pas confirmé", "écarté", "est éliminé", "a été éliminé", "été éliminé",
              "non objectivé", "pas objectivé", "non visualisé", "pas visualisé", "infirmé",
              "non indiqué", "pas indiqué", "non détecté", "non décelé", "exclu",
              "non rapporté", "non signalé",
              "non décrit", "non vu", "pas vu", "non identifié", "non observé", "non visible",
              "non individualisé", "non visualisable", "non individualisable"),
    "non mis en évidence", "non mise en évidence", "pas mis en évidence", "pas mise en évidence",
    "n'est pas retenu", "n'est pas retenue", "n'a pas été retenu", "n'a pas été retenue",
    "n'a pas été confirmé", "n'a pas été confirmée", "n'est pas confirmé", "n'est pas confirmée",
    "n'est pas indiqué", "n'est pas indiquée", "n'a pas été retrouvé", "n'a pas été retrouvée",
    "n'est pas retrouvé", "n'est pas retrouvée", "a été écarté", "a été écartée",
    "négatif", "négative", "négativé", "négativée", "indétectable", "absent", "absente",
    "normal", "normale",
]
# not negation cues in letters: "peu probable" is a hypothesis, a bare "non"
# after a disease qualifies it ("asthme non contrôlé"): ": non" is kept.
NEGATION_REMOVED = {"following": {"peu probable", "non"}}

# "discrets oedèmes", "discrète dyspnée": mild, not hypothetical
HYPOTHESIS_REMOVED = {"discret", "discrets", "discrète", "discrètes"}

# "facteurs de risque cardiovasculaire : tabac, HTA" lists risk factors, it
# does not hedge them.
EXTRA_HYPOTHESIS_PSEUDO = [
    "facteur de risque", "facteurs de risque", "FdR", "FRCV", "à risque",
    "sans risque", "risque faible", "bas risque", "haut risque", "très haut risque",
]
EXTRA_HYPOTHESIS_PRECEDING = [
    # round 20a: a complication watched for ("Surveillance de l'apparition d'une mucite"), the signs to come back
    # for ("Signes devant faire reconsulter : fièvre, céphalées")
    *[f"{w}{e} {d}" for w in ("surveillance de l'", "surveiller l'", "guetter l'", "dépister l'")
      for e in ("apparition", "survenue") for d in ("d'", "de", "du", "des")],
    *[f"signes {w}" for w in ("devant faire reconsulter", "devant faire consulter", "devant amener à consulter",
                              "devant amener à reconsulter", "d'alerte", "d'alarme", "qui doivent faire consulter",
                              "qui doivent faire reconsulter")],
    # round 20a: "Je pense qu'il s'agit d'une migraine", "il me semble qu'il s'agit d'une sciatique"
    *[f"{who} qu'il s'agit" for who in ("je pense", "nous pensons", "on pense", "je crois", "nous croyons",
                                         "il me semble", "il nous semble", "je suppose", "nous supposons")],
    # round 13a: "Parmi les hypothèses, une sarcoïdose"
    *[f"parmi les {h}{w}" for h in ("hypothèses", "diagnostics différentiels", "diagnostics possibles",
                                    "diagnostics évoqués", "causes possibles", "étiologies possibles")
      for w in (",", " évoquées,", " envisagées,", " à discuter,", " à évoquer,")],
    "à éliminer", "pour éliminer", "afin d'éliminer", "éliminer un", "éliminer une",
    "pour exclure", "à exclure",
    "évoquer", "à évoquer", "évoquant", "évocateur d'", "évocateur de", "évocatrice d'",
    "évocatrice de", "compatible avec", "en faveur d'", "en faveur de", "doute sur",
    "suspecté", "suspectée", "suspicion d'", "suspicion de", "présomption de",
    "à la recherche d'", "à la recherche de", "dépistage d'", "dépistage de", "dépistage du",
    "dépistage des", "dépister", "à dépister", "peu probable", "vraisemblable",
    "vraisemblablement", "à craindre", "crainte d'", "crainte de", "risque d'", "risque de",
    "hypothèse d'", "hypothèse de", "hypothèse du", "prévention d'", "prévention de",
    "prévention du", "pourrait s'agir", "pourrait être", "pourra être",
    "discuter", "à discuter", "discuter un", "discuter une", "proposer", "envisager",
    "introduire", "à introduire", "à proposer", "à envisager", "à prévoir",
    # "on évoque", "le tableau oriente vers", "on craint", "diagnostic
    # différentiel : ..."
    "évoque", "évoquent", "évoquons", "a évoqué", "ont évoqué", "avons évoqué", "ai évoqué",
    "oriente vers", "orientent vers", "orientant vers", "orientation vers",
    "craint", "craignent", "craignons", "crainte", "redoute", "redoutent", "à redouter",
    "diagnostic différentiel", "diagnostics différentiels", "diagnostic différentiel d'",
    "diagnostic différentiel de", "pose la question d'", "pose la question de",
    "posant la question d'", "posant la question de", "question d'un", "question d'une",
    "s'interroge sur", "interrogation sur", "doute sur un", "doute sur une",
    "doute diagnostique", "pouvant correspondre", "pourrait correspondre", "pouvant évoquer",
    "pourrait évoquer", "pouvant témoigner", "pourrait témoigner", "pouvant traduire",
    "pourrait traduire", "pourrait être en rapport avec", "pouvant être en rapport avec",
    "pourrait être lié à", "pourrait être liée à", "présumé", "présumée", "supposé", "supposée",
    "proposition de", "proposition d'", "proposition du",
    "discuterons", "discutera", "discuteront", "introduction prochaine", "mise en route prochaine",
    "serait en rapport avec", "seraient en rapport avec", "serait lié à", "serait liée à",
    "seraient liés à", "seraient liées à", "serait dû à", "serait due à",
    # round 12a: "aspect suggestif d'une tuberculose", "la piste d'une sarcoïdose"
    "suggestif d'", "suggestif de", "suggestive d'", "suggestive de", "suggérant", "suggère",
    "suggèrent", "faisant suspecter", "fait suspecter", "font suspecter", "faisant craindre",
    "piste d'", "piste de", "piste du",
    "n'élimine pas", "n'éliminent pas", "n'exclut pas", "n'excluent pas", "n'écarte pas",
    "n'écartent pas", "sans pouvoir exclure", "sans pouvoir éliminer", "sans pouvoir écarter",
    "sans exclure", "sans éliminer", "sans écarter",
    "peut s'agir", "il s'agit peut-être", "peut-être", "peut correspondre", "peut être en rapport avec",
    "permettra de confirmer", "permettra d'éliminer", "permettra d'écarter", "permettra d'exclure",
    "permettront de confirmer", "permettront d'éliminer",
    *[f"{adv} {link}" for adv in ("probablement", "possiblement", "peut-être", "vraisemblablement")
      for link in ("en rapport avec", "lié à", "liée à", "dû à", "due à", "secondaire à", "en lien avec")],
    *[f"{v} {adv}{p}" for v in ("pense", "pensons", "penser", "pensent")
      for adv in ("", "en premier lieu ", "d'abord ", "surtout ", "plutôt ", "aussi ", "également ")
      for p in ("à", "au", "aux")],
    "fait penser à", "font penser à", "faisant penser à", "hésitation entre", "hésite entre",
    "hésitons entre", "doute entre",
    *_AFTER_RULING_OUT,
    "prévoir", "intérêt d'un", "intérêt d'une", "intérêt du", "intérêt de",
    "pistes diagnostiques", "piste diagnostique", "dg différentiel", "dg différentiels",
    "diag différentiel", "diag différentiels",
    # round 14a: "En diagnostic différentiel, une maladie de Still", "le diagnostic
    # différentiel se pose avec une pancréatite"
    *[f"{p} {d}," for p in ("en", "comme", "au titre du", "au rang des") for d in (
        "diagnostic différentiel", "diagnostics différentiels")],
    "se pose avec", "se posent avec", "se discute avec", "se discutent avec",
    # "les lésions peuvent aussi correspondre à des kystes", "pourraient également traduire"
    *[f"{m} {adv}{v}" for m in ("peut", "peuvent", "pourrait", "pourraient", "pouvant")
      for adv in ("", "aussi ", "également ", "plutôt ", "éventuellement ", "tout à fait ", "en fait ")
      for v in ("correspondre à", "correspondre au", "correspondre aux", "traduire", "témoigner d'",
                "témoigner de", "évoquer", "s'expliquer par", "relever d'", "relever de", "être dû à",
                "être due à", "être lié à", "être liée à", "être liés à", "être liées à",
                "être en rapport avec", "s'intégrer dans")],
    # "il s'agit a priori d'une sarcoïdose", "aspect plaidant pour", "permettra d'orienter vers"
    "a priori", "à priori", "plaide pour", "plaident pour", "plaidant pour", "plaide en faveur d'",
    "plaide en faveur de", "plaidant en faveur d'", "plaidant en faveur de", "orienter vers",
    "orientera vers", "orienteront vers", "orientent plutôt vers", "oriente plutôt vers",
    # "les lésions sont à rapporter à une sarcoïdose"
    *[f"{v} {p}" for v in ("à rapporter", "à rattacher", "à rapprocher") for p in ("à", "au", "aux", "d'", "de", "du")],
    # round 16: "Plutôt une colite microscopique qu'un SII", "il s'agit plutôt d'une sciatique",
    # "une migraine plutôt qu'un AIT" (an article after "plutôt": "plutôt bien toléré" is no cue)
    # (round 18a: no space after an apostrophe, "plutôt qu' un" matched no text)
    *[f"{w}{'' if w.endswith(chr(39)) else ' '}{a}" for w in ("plutôt", "ou plutôt", "plutôt qu'", "plutôt que",
                                                             "plutôt que d'")
      for a in ("un", "une", "des", "d'un", "d'une", "du", "de la", "l'", "le", "la")],
    # round 16: "Diagnostic à retenir en priorité : fibrose pulmonaire", "hypothèse à privilégier :"
    *[f"{h} {w}" for h in ("diagnostic", "diagnostics", "hypothèse", "hypothèses", "piste")
      for w in ("à retenir en priorité", "à retenir en premier", "à retenir en premier lieu",
                "à privilégier", "privilégié", "privilégiée", "principal", "principale",
                "le plus probable", "la plus probable", "le plus vraisemblable", "la plus vraisemblable")],
    "à retenir en priorité", "à retenir en premier lieu",
    # round 18a: "pas de certitude quant à une sarcoïdose", "incertitude sur une sarcoïdose"
    *[f"{h} {p}" for h in ("pas de certitude", "aucune certitude", "incertitude", "sans certitude")
      for p in ("quant à", "sur", "concernant")],
    # round 18a: "il n'est pas exclu qu'il s'agisse d'une embolie pulmonaire"
    *[f"{h} {q}" for h in ("n'est pas exclu", "pas exclu", "non exclu", "on ne peut exclure", "on ne peut pas exclure",
                           "on ne peut écarter", "on ne peut éliminer", "ne peut être exclu", "ne peut être écarté")
      for q in ("qu'il s'agisse d'", "qu'il s'agisse de", "qu'il s'agisse du", "qu'il s'agit d'", "qu'il s'agit de")],
    # round 18a: the cue before the drug held in reserve ("Nous gardons en réserve le tramadol")
    *[f"{v} en réserve" for v in ("gardons", "garde", "gardera", "garderons", "garder", "gardé", "gardée",
                                  "tenons", "tient", "tenir", "conservons", "conserve", "conserver")],
]
_FUTURE_VERBS = ("discuté", "proposé", "introduit", "envisagé", "instauré", "débuté", "repris",
                 "prescrit", "ajouté", "essayé", "tenté", "indiqué", "relayé", "mis en place",
                 "réalisé", "effectué")
EXTRA_HYPOTHESIS_FOLLOWING = [
    "à éliminer", "à exclure", "à confirmer", "à discuter", "à évoquer", "à rechercher",
    "suspecté", "suspectée", "suspectés", "suspectées", "non exclu", "non exclue",
    "non éliminé", "non éliminée", "à rediscuter", "reste à éliminer",
    "peu probable", "est peu probable", "semble peu probable", "à craindre", "est à craindre",
    "à dépister", "à surveiller", "à prévoir", "à proposer", "à envisager", "à introduire",
    "à instaurer", "à débuter", "est évoqué", "est évoquée", "évoqué", "évoquée",
    "pas exclu", "pas exclue", "n'est pas exclu", "n'est pas exclue", "vraisemblable",
    "est possible", "reste possible", "semble possible", "pas certain",
    *[f"{aux} {v}{e}" for aux in ("pourra être", "pourrait être", "sera", "serait", "pourront être")
      for v in _FUTURE_VERBS for e in ("", "e")],
    *_genders("proposé", "envisagé"),
    # round 13a: "l'introduction d'acide zolédronique est conditionnée à un bilan dentaire"
    *_genders("conditionné", "est conditionné", "sera conditionné", "subordonné", "est subordonné"),
    *_NOT_RULED_OUT, *_genders("redouté", "est redouté", "présumé", "supposé"),
    *_NOT_YET_ESTABLISHED,
    # round 12a: "une embolie pulmonaire n'est pas impossible", "reste douteuse", "est à évaluer"
    "pas impossible", "n'est pas impossible", "douteux", "douteuse", "à évaluer",
    # round 16: "Maladie coeliaque en cours d'exploration", "sarcoïdose en cours de bilan",
    # "lymphome à explorer", "fibrose pulmonaire à privilégier"
    *[f"{v}{w}" for v in ("", "est ", "sont ", "reste ", "actuellement ")
      for w in ("en cours d'exploration", "en cours d'explorations", "en cours de bilan",
                "en cours d'investigation", "en cours d'investigations", "en cours d'évaluation",
                "en cours de confirmation", "en cours de documentation", "en cours de caractérisation",
                "à explorer", "à investiguer", "à privilégier", "à retenir en priorité",
                "à retenir en premier lieu")],
    *_genders("sera confirmé", "devra être confirmé", "reste à confirmer", "pourra être confirmé"),
    "en attente de confirmation", "attente de confirmation",
    *_genders("est prévu", "sont prévu", "programmé", "est programmé"), "à programmer",
    "à démontrer", "à prouver", "à étayer", "reste à démontrer", "reste à prouver", "reste à étayer",
    *[f"{v} {d} diagnostics différentiels" for v in ("sont", "restent", "constituent", "font partie")
      for d in ("des", "les", "les principaux", "les deux")],
    "est un diagnostic différentiel", "constitue un diagnostic différentiel",
    *[f"{m} {v}" for m in ("pourrait", "pourraient", "peut", "peuvent")
      for v in ("y contribuer", "contribuer", "y participer", "participer", "être impliqué", "être impliquée",
                "jouer un rôle", "y jouer un rôle")],
    *[f"{v} {h}" for v in ("est", "reste", "constitue", "serait", "demeure")
      for h in ("une autre hypothèse", "l'autre hypothèse", "une hypothèse", "une seconde hypothèse",
                "une deuxième hypothèse", "une hypothèse alternative", "une alternative")],
    "fait partie des diagnostics différentiels",
    *[f"{h} {w}hypothèses" for h in ("au premier plan des", "au premier rang des", "en tête des",
                                     "fait partie des", "parmi les") for w in ("", "principales ")],
    # round 14a: "une scarlatine, moins probable, ...", "une sarcoïdose est discutée"
    "a priori", "à priori", "sans certitude", "sans certitude diagnostique",
    "moins probable", "plus probable", "très probable", "le plus probable",
    *_genders("est discuté", "sont discuté", "reste discuté", "restent discuté"),
    # round 17a: a drug held in reserve ("l'amiodarone est gardée en réserve"), a treatment or a diagnosis
    # to reconsider ("un traitement par ibrutinib sera à reconsidérer")
    "en réserve", *_genders("gardé en réserve", "est gardé en réserve", "tenu en réserve", "est tenu en réserve",
                            "conservé en réserve"),
    "à reconsidérer", "sera à reconsidérer", "seront à reconsidérer", "est à reconsidérer", "reste à reconsidérer",
    # round 20a: "Indication d'un traitement par Prolia à poser après la densitométrie" (a treatment cue)
    "à poser", "reste à poser", "sera à poser", *_genders("sera posé", "sera discuté", "seront discuté"),
    "sera à rediscuter", "seront à rediscuter", "est à rediscuter",
    "sera à prescrire", "seront à prescrire", "serait à prescrire", "seraient à prescrire",
    # round 18a: a treatment planned or weighed ("Taxol prévu le 12/03", "Keppra en alternative", "le Keppra
    # serait une option"; treatment cues, TREATMENT_CUE_PATTERN: no disease is hedged by them)
    *_genders("prévu"), "en alternative", "serait une option", "serait une alternative", "est une option",
    *[f"{m} être intéressant{g}" for m in ("pourrait", "pourra", "serait") for g in ("", "e")],
    # round 18a: "une pemphigoïde induite étant discutée mais peu probable"
    *_genders("étant discuté", "étant envisagé", "étant suspecté", "étant évoqué"),
    "discuté mais", "discutée mais", "évoqué mais", "évoquée mais",
    # round 19a: "une migraine plutôt qu'un AIT" weighs both (r16-gastro-01's "Plutôt une colite microscopique
    # qu'un SII" annotates both hypothetical): the cue without its article hedges the span before it
    "plutôt qu'", "plutôt que",
]


# "n'a finalement pas été retrouvé", "n'a jamais été confirmée", "n'a pas été
# repris": negation cues after the span (regex on the NORM text: lower case,
# no accents); edsnlp's "ne ... pas" regex only knows a "ne" before the span.
NEGATION_FOLLOWING_REGEX = [
    r"\bn'(?:a|ont|est|sont|etait|etaient|avait|avaient)\s+(?:\w+\s+)?(?:pas|jamais|plus|nullement)"
    r"\s+(?:\w+\s+)?(?:ete\s+)?(?:\w+\s+)?(?:retrouve|confirme|retenu|objective|visualise"
    r"|mis\s+en\s+evidence|detecte|identifie|decele|observe|constate|prouve|demontre|documente"
    r"|diagnostique|repris|reintroduit|introduit|prescrit|instaure|debute|administre)e?s?\b",
    # round 19a: "le Kardégic n'est plus envisageable", "le Xeloda n'est plus indiqué", "n'est plus une
    # option", "le Lovenox n'est plus nécessaire": a treatment given up is denied
    r"\bn'(?:est|sont|etait|etaient)\s+(?:pas|plus|nullement)\s+(?:\w+\s+)?"
    r"(?:envisageables?|indiquee?s?|necessaires?|utiles?|une\s+option|une\s+alternative)\b",
]


# Scope ends added to edsnlp's terminations: "X devant Y" / "X compte tenu
# de Y" give the reason Y, which the cue about X does not qualify ("à la
# recherche d'un cancer devant l'amaigrissement").
EXTRA_TERMINATION = [
    "devant", "compte tenu de", "compte tenu d'", "dans un contexte de", "dans un contexte d'",
    "dans le contexte de", "dans le contexte d'", "motivé par", "motivée par", "sur fond de",
    "sur terrain", "sur un terrain", "sur le terrain", "sur fond d'",
    "chez un patient", "chez une patiente",
    # contrast: "une tuberculose reste à éliminer malgré le Quantiféron négatif"
    "malgré", "en dépit de", "en dépit d'", "néanmoins", "en revanche", "par contre", "quoique",
]


def _cues():
    from edsnlp.pipes.qualifiers.hypothesis import patterns as hyp
    from edsnlp.pipes.qualifiers.negation import patterns as neg
    from edsnlp.pipes.terminations import termination

    def merged(base, extra, removed=()):
        return [c for c in dict.fromkeys([*base, *extra]) if c not in removed]

    return {
        "negation_pseudo": merged(neg.pseudo, EXTRA_NEGATION_PSEUDO),
        "negation_preceding": merged(neg.preceding, EXTRA_NEGATION_PRECEDING),
        "negation_following": merged(neg.following, EXTRA_NEGATION_FOLLOWING,
                                     NEGATION_REMOVED["following"]),
        "hypothesis_pseudo": merged(hyp.pseudo, EXTRA_HYPOTHESIS_PSEUDO),
        "hypothesis_preceding": merged(hyp.preceding, EXTRA_HYPOTHESIS_PRECEDING,
                                       HYPOTHESIS_REMOVED),
        "hypothesis_following": merged(hyp.following, EXTRA_HYPOTHESIS_FOLLOWING),
        "termination": merged(termination, EXTRA_TERMINATION),
        # "un traitement de fond (Seretide) pourra être proposé": a closing
        # parenthesis does not end the scope of a hypothesis cue that follows
        "hypothesis_termination": merged(termination, EXTRA_TERMINATION, {")"}),
        # "sa mère est asthmatique et allergique", "diabète chez le père et
        # les frères": coordination keeps the relative in scope
        "family_termination": merged(termination, EXTRA_TERMINATION,
                                     {"et", "ainsi que", "avec", "ni"}),
        "family": list(EXTRA_FAMILY),  # added to edsnlp's relatives (nlp/qualifiers.py)
    }


# Hypothesis cues that only make a statement conditional ("Doliprane si
# douleurs", "Novorapid selon glycémies", "en cas de besoin"): a drug
# prescribed that way is taken, so they never make a drug hypothetical.
CONDITIONAL_CUES = frozenset({"si", "s'il", "en cas", "au cas ou", "selon", "soit",
                              "a condition", "sous condition", "sous reserve",
                              "eventuellement", "eventuel", "eventuelle", "discret", "discrete"})

# round 18a: "Prévention de la thrombose par Lovenox", "prévention de l'ostéoporose par Fosamax": the
# drug of a prevention is given (the prevented disease is dropped, engine.prevented_diseases); these
# cues never make a drug hypothetical (folded cue text)
PREVENTION_CUES = frozenset({"prevention d'", "prevention de", "prevention du"})


# Hypothesis cues about a treatment to come ("pourra être proposé", "à
# introduire", "envisagée"): they make a drug hypothetical, never a disease
# ("une ablation du flutter est proposée": the flutter is there). Regex on
# the folded cue text.
TREATMENT_CUE_PATTERN = (
    # (not a verb of diagnosis: "une sarcoïdose pourrait expliquer le tableau", round 11)
    r"^(?:(?:pourra|pourrait|pourront|sera|serait|seront)(?:\s+etre)?\s+"
    r"(?!expliqu|en cause|rendre compte|correspond|evoqu|temoign|tradui|lie|en rapport"
    r"|elimin|exclu|ecart|confirm|recherch|y\s|contribu|particip|jouer|implique|favoris|aggrav"
    r"|responsable|a l'origine)[\w ]+"
    r"|proposee?s?|envisagee?s?"
    r"|(?:(?:reste|sera)\s+)?a\s+(?:proposer|introduire|prevoir|instaurer|debuter|envisager|poser)"
    r"|propositions?\s+(?:de|d'|du)|discuter(?:ons|a|ont)|(?:introduction|mise\s+en\s+route)\s+prochaine"
    # "discussion d'anakinra", a treatment held in reserve: "en cas d'échec", "à défaut" (round 15)
    r"|discussion\s+(?:d'|(?:de|du|des)\b)"
    r"|en\s+l'absence\s+d(?:'|e\s)|a\s+defaut|en\s+cas\s+d(?:'|e\s+non)|si\s+(?:echec|inefficacite|pas\s+d')"
    r"|en\s+(?:deuxieme|seconde|2e|2eme|2nde|troisieme)\s+intention"
    # round 17a: a drug held in reserve ("gardée en réserve")
    r"|(?:(?:est|sont)\s+)?(?:(?:gard|ten|tien|conserv)\w*\s+)?en\s+reserve"
    r"|en\s+alternative|est\s+une\s+option"
    # "Rocéphine si l'angiocholite se confirme" (qualifiers._if_confirmed, round 12a)
    r"|(?:si|s'ils?|en\s+cas)\b.*\b(?:confirm|positi)\w*"
    # "prévoir un relais par Xarelto", "carboplatine programmé", "intérêt d'un traitement par" (round 12a)
    r"|prevoir|(?:est\s+|sont\s+)?(?:prevue?s?|programmee?s?)|a\s+programmer|interet\s+(?:d'une?|du|de)"
    # "l'introduction de X est conditionnée à un bilan dentaire" (round 13a)
    r"|(?:(?:est|sont|sera|seront)\s+)?(?:conditionnee?s?|subordonnee?s?))$"
)


# Relatives who only *report* ("sa fille note des oublis", "accompagné de son
# fils", "retrouvé par son épouse"): not family history. Regex on the folded text.
REPORTER_PATTERN = (
    r"(?:\b(?:sa|son|ses|le|la|les|leur|un|une)\s+(?:\w+\s+)?"
    r"(?:maman|papa|fille|fils|filles|epouse|epoux|mari|femme|conjoint|conjointe|compagne|compagnon"
    r"|famille|enfants?|frere|soeur|mere|pere|parents|entourage|petite?-fille|petit-fils"
    r"|belle-fille|gendre|niece|neveu|aidant)"
    r"\s+(?:\w+\s+)?(?:rapporte|rapportent|note|notent|signale|signalent|decrit|decrivent"
    r"|dit|disent|explique|expliquent|confirme|remarque|remarquent|indique|indiquent"
    r"|constate|constatent|observe|observent|s'inquiete|s'inquietent|decrit|evoque|trouve"
    r"|a\s+constate|a\s+note|a\s+remarque|rapporte)\b)"
    r"|(?:\b(?:accompagnee?|amenee?|retrouvee?|adressee?|appel|selon|d'apres|par)\s+(?:de|par)?\s*"
    r"(?:(?:sa|son|ses|la|le|les)\s+|l')(?:fille|fils|filles|epouse|epoux|mari|femme|conjointe?"
    r"|famille|enfants|parents|mere|pere|maman|papa|soeur|frere|entourage|aidant)\b)"
)


# ------------------------------------------------------------------- build
EXTRA_FAMILY = [
    "cousin germain", "cousine germaine", "demi-frère", "demi-soeur", "demi-sœur", "jumeau",
    "jumelle", "jumeaux", "grand-oncle", "grand-tante", "fratrie", "ascendant", "ascendants",
    "apparenté", "apparentés", "collatéral", "collatéraux", "branche maternelle",
    "branche paternelle", "côté maternel", "côté paternel", "lignée maternelle",
    "lignée paternelle", "maternel", "maternelle", "paternel", "paternelle", "grand-parent",
    "arrière-grand-parent", "descendant", "descendants", "petit-fils", "petite-fille",
    "hérédité",  # round 11: "hérédité coronarienne" (not "héréditaire": the patient's own disease)
]


def all_entries(lexicon_path: Path = LEXICON_PATH) -> list[LexiconEntry]:
    """The curated TSV rows, then the generated rows (nlp/lexgen.py) whose
    term the TSV does not already define (the TSV wins)."""
    from .lexgen import generated_entries

    entries = load_lexicon(lexicon_path)
    seen = {e.term if e.case_sensitive else e.term.lower() for e in entries}
    for e in generated_entries():
        key = e.term if e.case_sensitive else e.term.lower()
        if key not in seen:
            seen.add(key)
            entries.append(e)
    return entries


def _typo_corrector(nlp, entries: list[LexiconEntry], cues: dict[str, dict[str, list[str]]]):
    """Targets: the long words of the curated lexicon, as the matchers see
    them (normalised, plural-folded). Known words: every string the pattern
    building put in the vocabulary (ATIH labels, drug names, lexicon) and the
    words of the qualifier cues (round 11: "le principal diagnostic
    différentiel" was read as "principale", no cue matched)."""
    from .components import TypoCorrector

    normalizer = nlp.get_pipe("normalizer")

    def norms(phrase: str) -> list[str]:
        return [t.norm_ for t in normalizer(nlp.make_doc(phrase)) if t.norm_.isalpha()]

    targets = set()
    for e in entries:
        if e.system is None or e.case_sensitive:
            continue
        targets.update(norms(e.term))
    known = {s for s in nlp.vocab.strings if s.isalpha() and s == s.lower()}
    known.update(w for labels in cues.values() for phrases in labels.values()
                 for phrase in phrases for w in norms(phrase))
    # French verb forms shipped with edsnlp (hypothesis cues): real words
    from .components import fold_plural

    with gzip.open(_resources_dir() / "verbs.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            word = unicodedata.normalize("NFD", row["term"].lower())
            word = "".join(c for c in word if unicodedata.category(c) != "Mn")
            known.add(fold_plural(word))
    return TypoCorrector(targets, known)


def build_payload(lexicon_path: Path = LEXICON_PATH) -> Payload:
    defer_french_token_match()
    import edsnlp
    import edsnlp.pipes as eds

    t0 = time.perf_counter()
    entries: list[LexiconEntry] = all_entries(lexicon_path)
    ci_terms: dict[str, list[str]] = defaultdict(list)
    cs_terms: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        (cs_terms if e.case_sensitive else ci_terms)[entry_key(e.system, e.code)].append(e.term)

    with _quiet_progress():
        nlp = edsnlp.blank("eds")
        from .components import FastEDSTokenizer

        nlp.tokenizer = FastEDSTokenizer(nlp.vocab)  # edsnlp's tokens, faster
        # list bullets ("- ", "* ", "•") start a sentence: a cue never crosses them
        nlp.add_pipe(eds.sentences(use_bullet_start=True), name="sentences")
        # NORM = eds.normalizer's (lower case, accents, quotes) + plural fold,
        # in one pass (nlp/components.py). Declared as assigning token.norm,
        # so edsnlp also passes every pattern (terminologies, cues) through
        # it: the fold is symmetric.
        from edsnlp.core.registries import PIPE_META, FactoryMeta

        from .components import FastNormalizer

        nlp.add_pipe(FastNormalizer(), name="normalizer")
        PIPE_META[nlp.get_pipe("normalizer")] = FactoryMeta(
            assigns=["token.norm"], requires=[], retokenizes=False, default_config={})
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
        # Typo repair: built now that the vocabulary holds every pattern word,
        # placed before the matchers; it has no pipe meta, so the qualifier
        # cues below are not passed through it.
        from .qualifiers import CueQualifier, cue_terms, negation_regex

        cues = cue_terms(_cues())
        nlp.add_pipe(_typo_corrector(nlp, entries, cues), name="typos", before="codoc_lexicon")
        PIPE_META[nlp.get_pipe("typos")] = FactoryMeta(
            assigns=[], requires=[], retokenizes=False, default_config={})
        qualifier = CueQualifier(nlp, cues, negation_regex(), NEGATION_FOLLOWING_REGEX)

    assert tuple(nlp.pipe_names) == MATCHERS, nlp.pipe_names
    payload = Payload(
        nlp=nlp,
        icd_labels=load_icd_labels(),
        atc_labels=load_atc_labels(),
        lexicon_displays=displays(entries),
        qualifier=qualifier,
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
    defer_french_token_match()  # unpickling imports edsnlp.language, hence spaCy's French data
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
    "BUILD_FORMAT", "MATCHERS", "TOKEN_PIPES", "TERMINOLOGIES", "LEXICON_LABEL", "Payload",
    "build_payload", "load_or_build", "read_cache", "write_cache", "cache_path", "cache_key",
    "entry_key", "parse_key",
]
