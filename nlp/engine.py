"""The EDS-NLP backed implementation of :class:`nlp.Engine`."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from typing import Callable, Sequence

from . import config
from .lexicon import is_case_sensitive
from .lexgen import (CANCER_MODIFIED_HEADS, CANCER_MODIFIERS, CONTRACEPTION_WORDS, NAMED_PILLS,
                     modifier_forms, organ_forms)
from .pipeline import (
    CONDITIONAL_CUES,
    PREVENTION_CUES,
    HISTORY_CUE_PATTERN,
    TERMINOLOGIES,
    TOKEN_PIPES,
    REPORTER_PATTERN,
    TREATMENT_CUE_PATTERN,
    Payload,
    parse_key,
)
from .sections import SectionIndex, fold_chars
from .textutil import Candidate, clean_atc, format_icd10, select_spans, split_chunks
from .types import (
    AFFIRMED,
    ATC_SYSTEM,
    FAMILY,
    HYPOTHETICAL,
    ICD10_SYSTEM,
    NEGATED,
    Concept,
    LocalTerm,
    NoteTooLargeError,
)

log = logging.getLogger("codoc.nlp")

# Priorities on equal span length (lower wins).
P_LEXICON, P_WRITTEN_CODE, P_DRUG, P_CIM10 = 0, 1, 2, 3
P_CONTEXT = -1  # a word read by its context (a pill brand after "pilule") beats its ignore row

# ICD-10 codes written in the note with their dot ("E11.9", "I48.0").
# the letter first, its lookbehind after it: `re` then tries the pattern at capitals only, not at every character
_WRITTEN_CODE = re.compile(r"([A-Z](?<![A-Za-z0-9.][A-Z])[0-9]{2})\.([0-9]{1,3})(?![0-9A-Za-z])")
# eds.cim10 also matches bare codes ("J15", "H48", "T12"): in French notes these
# are days, hours, vertebrae... so bare-code matches of eds.cim10 are dropped.
_BARE_CODE = re.compile(r"^[^\W\d_]\s?[0-9]")

LOCAL_MATCHER_CACHE_SIZE = 16

_REPORTER = re.compile(REPORTER_PATTERN)
_TREATMENT_CUE = re.compile(TREATMENT_CUE_PATTERN)
# round 16: "Maladie coeliaque en cours d'exploration" weighs a diagnosis, "Anémie normocytaire à explorer",
# "Infertilité en cours de bilan" state a finding whose cause is sought: these cues (folded) never
# hedge a sign (chapter R), an anaemia or cytopenia, an infertility or an electrolyte disorder
_EXPLORATION_CUE = re.compile(
    r"^(?:(?:est|sont|reste|actuellement)\s+)?(?:en\s+cours\s+d(?:'|e\s+)(?:explorations?|bilan|investigations?"
    r"|evaluation|documentation|caracterisation)|a\s+(?:explorer|investiguer))$")
# round 16: "Un traitement de fond sera discuté au retour des résultats (Tecfidera ou Aubagio)", "Une
# biothérapie est à discuter (Humira ou Remicade)": a drug in a parenthesis after a hedged treatment (folded
# clause before the "(", from its last stop) names the treatment to come
_HEDGED_TREATMENT_BEFORE = re.compile(
    r"\b(?:(?:sera|serait|pourra|pourrait|seront|pourront)\s+(?:etre\s+)?(?:discute|propose|envisage|introduit"
    r"|instaure|debute|discutee?s?|proposee?s?|envisagee?s?|introduite?s?|instauree?s?|debutee?s?)"
    r"|a\s+(?:discuter|proposer|envisager|introduire|instaurer|debuter|prevoir)"
    r"|(?:est|sont)\s+(?:envisagee?s?|proposee?s?|a\s+l'etude))\b[^.;:!?(),]{0,40}\($")
# round 16: a spouse is no blood relative (docs/nlp-engine.md, "Round 16"); edsnlp's family cues
# hold "mari", "époux", "épouse"
SPOUSES = frozenset({"mari", "epoux", "epouse", "conjoint", "conjointe", "compagne", "compagnon"})
_FINDING_PREFIXES = ("R", *[f"D{n}" for n in range(50, 65)], "D69", "D70", "D72", "N97", "E87")
_HISTORY_CUE = re.compile(HISTORY_CUE_PATTERN)
_SENTENCE_END = re.compile(r"[.;!?]\s|\n")
# weight loss written with its figure ("perte de 6 kg", "amaigrissement de 5 kg")
_WEIGHT_LOSS = re.compile(
    r"\b(?:perte|amaigrissement|perdu)\s+(?:de\s+|d'environ\s+|d'\s*)?\d+(?:[,.]\d+)?\s*(?:kg|kilos?)\b",
    re.IGNORECASE)
WEIGHT_LOSS_CODE = "R63.4"
# and weight gain ("prise de 8 kg", "a pris 5 kilos"; round 13b)
_WEIGHT_GAIN = re.compile(
    r"\b(?:prise|pris)\s+(?:de\s+|d'environ\s+|d'\s*)?\d+(?:[,.]\d+)?\s*(?:kg|kilos?)\b",
    re.IGNORECASE)
WEIGHT_CHANGES = ((_WEIGHT_LOSS, WEIGHT_LOSS_CODE), (_WEIGHT_GAIN, "R63.5"))
# hormones and vitamins dosed in the blood are also drug names ("calcitonine
# normale", "vitamine D à 12 ng/ml", "cortisol bas"): not a drug when a result follows
ANALYTE_ATC = ("H05", "H01", "H04AA01", "H02AB09", "A11", "B03BA", "B03BB", "B05AA01", "G03",
               "V03AX")  # V03AX: "phosphore", "zinc", "cuivre" of the lab sheet (round 13b)
_LAB_RESULT = re.compile(
    r"\s*(?:[:=]\s*|à\s+|(?:sérique|plasmatique|sanguine?)s?\s+)?(?:"
    r"\d+(?:[,.]\d+)?\s*(?:mUI|µUI|UI/|pg/|ng/|nmol/|pmol/|µmol/|mmol/|g/l|g/dl|mg/l|µg/l|%)"
    r"|(?:normale?s?|basse?s?|élevée?s?|augmentée?s?|effondrée?s?|abaissée?s?|diminuée?s?"
    r"|indétectables?|indosables?|effondré|élevé|augmenté|abaissé|diminué|bas|dans les normes)\b)",
    re.IGNORECASE)
# a disease abbreviation that is also a lab analyte or a statistic, with its
# result: "FA 2N" / "FA à 250 UI/l" (phosphatases alcalines), "IC à 95 %"
_ABBREV_RESULT = re.compile(
    r"\s*(?:[:=]\s*|à\s+)?(?:\d+(?:[,.]\d+)?\s*(?:x\s*)?(?:N\b|UI|U/|µmol|mmol|g/|mg/|%)"
    r"|\d+(?:[,.]\d+)?\s*fois la normale|normales?\b)")
# fever written as a temperature only ("T 38,4 °C", "température à 39°"): 38 to 42 degrees
_FEVER_FIGURE = re.compile(
    # T, T°, Temp, Température, temp, température, t°; each letter first, then its lookbehind (scanned at T/t only)
    r"(?:T(?<![\w°]T)(?:|°|emp|empérature)|t(?<![\w°]t)(?:emp|empérature|°))\s*(?:[:=à]\s*)?"
    r"(?:3[89]|4[0-2])(?:(?:[,.]\d{1,2})\s*(?:°\s*C?)?|\s*°\s*C?)(?!\d|[,.]\d)")
FEVER_CODE = "R50"
# round 15: words that deny their sign by themselves (lexicon rows "apyrétique", "afébrile")
DENYING_WORDS = {FEVER_CODE: frozenset({"apyretique", "apyretiques", "afebrile", "afebriles"})}
# complications coded "diabetes, unspecified" (E14.x) in a note that names one type
_DIABETES_TYPED = re.compile(r"^E1[01]")


def _cancer_pattern() -> tuple[re.Pattern, dict[str, str]]:
    """A cancer head, one to four modifiers, then its organ, on folded text
    ("carcinome epidermoide bien differencie du poumon"): round 12b."""
    organs = {fold_chars(o).replace("\u2019", "'"): code for o, code in organ_forms().items()}

    def alternation(words) -> str:
        return "|".join(re.escape(w) for w in sorted({fold_chars(w) for w in words}, key=len,
                                                     reverse=True))
    mods = alternation(f for m in CANCER_MODIFIERS for f in modifier_forms(m))
    pattern = re.compile(
        rf"(?<![\w-])(?:{alternation(CANCER_MODIFIED_HEADS)})"
        rf"(?:(?:,|\s+et)?\s+(?:{mods}|(?:de\s+)?stade\s+[0-9ivx]+[abc]?|t[0-4][a-d]?n[0-3x]m[01x]))"
        rf"{{1,4}}\s+(?P<organ>{alternation(organs)})(?![\w-])")
    return pattern, organs


_CANCER_MODIFIED, _CANCER_ORGANS = _cancer_pattern()
# a first-name-like pill brand up to 40 characters after a word of contraception
# (no sentence end between them): round 12b
_PILLS = {fold_chars(name): code for name, code in NAMED_PILLS.items()}
_NAMED_PILL = re.compile(
    rf"(?:{'|'.join(sorted({fold_chars(w) for w in CONTRACEPTION_WORDS}, key=len, reverse=True))})"
    rf"[^.;\n]{{0,40}}?(?<![\w-])(?P<pill>{'|'.join(_PILLS)})(?![\w-])")
# an osteoporosis written with its fracture is M80 (round 13b): the candidate is the word
# "ostéoporose" alone, so that the fracture that follows keeps its own code
_OSTEOPOROSIS_FRACTURE = re.compile(
    r"\b(?P<head>osteoporose)s?\s+(?:(?:compliquee|compliquees)\s+)?(?:avec|d'une|de|par)\s+"
    r"(?:une\s+|des\s+|de\s+)?(?:fractures?|tassements?)\b")
OSTEOPOROSIS_FRACTURE_CODE = "M80.9"
# Words read by their context (round 14b). Viral hepatitis by its letter, on the raw text (the
# letter is a capital: "hépatite A" is no "hépatite à CMV"), letters coordinated ("hépatite
# virale aiguë (A ou E)", "hépatites B et C"); acute forms of B and C are B16.9 and B17.1.
_HEPATITIS_LETTERS = re.compile(
    r"(?<![\w-])[Hh][ée]patites?(?:\s+virales?)?(?P<acute>\s+aigu[ëe]s?)?\s+\(?"
    r"(?P<letters>[ABCE](?:\s*(?:,|/|ou|et)\s*[ABCE])*)(?![\w'\u2019])")
HEPATITIS_CODES = {"A": "B15.9", "B": "B18.1", "C": "B18.2", "E": "B17.2"}
HEPATITIS_ACUTE_CODES = {**HEPATITIS_CODES, "B": "B16.9", "C": "B17.1"}
_LETTER = re.compile(r"[ABCE]")
# "une goutte" is a drop (an ignore row) unless a diagnostic word precedes it or a verb or
# coordination of a diagnosis follows it ("une goutte paraît peu probable", "évoquant une goutte")
_GOUT_CUED = re.compile(
    r"(?:evoqu\w*|en faveur d'|diagnostic d'|hypothese d'|suspicion d'|eliminer|exclure|ecarter"
    r"|rechercher|penser a|arguments? pour|compatible avec|evocat\w+ d'|ou|et|,)\s+(?P<gout>une\s+goutte)\b")
_GOUT_PREDICATE = re.compile(
    r"\b(?P<gout>une\s+goutte)(?=\s*[?(]|\s+(?:est|etait|parait|semble|reste|n'est|ne|peut|pourrait"
    r"|serait|sera|doit|ou|et|possible|probable|improbable|debutante|recidivante|a evoquer"
    r"|a eliminer|a discuter|en poussee|n'a|a ete)\b)")
GOUT_CODE = "M10"
# round 17b: a bare "épanchement" in a clause that names a joint is a joint effusion ("genou droit
# chaud, épanchement important", "épanchement du genou"); a pleural, pericardial or peritoneal one
# keeps its longer lexicon row, and a clause without a joint stays silent
_JOINTS = (r"genoux?|chevilles?|coudes?|poignets?|epaules?|hanches?|rotul\w*|articulations?"
           r"|arthrites?|monoarthrites?|gonarthroses?|gonalgies?|hydarthroses?")
_NOT_JOINT = (r"(?!\s+(?:pleur|pericard|peritone|intra-?abdo|abdomin|ascit|liquidien|gazeux|sous-dur"
              r"|du douglas|dans le|de liquide|pulmon|thorac|retro|peri-?hep|peri-?splen|peri-?ren))")
_JOINT_EFFUSION = re.compile(
    rf"(?<![\w-])(?:{_JOINTS})(?![\w-])[^.;\n]{{0,40}}?(?<![\w-])(?P<eff>epanchements?)(?![\w-]){_NOT_JOINT}"
    rf"|(?<![\w-])(?P<eff2>epanchements?)(?![\w-]){_NOT_JOINT}[^.;:\n]{{0,24}}?(?<![\w-])(?:{_JOINTS})(?![\w-])")
JOINT_EFFUSION_CODE = "M25.4"

# round 18b: a bare "anévrisme" in a clause naming the aorta is the aorta's ("Aorte sans anévrisme",
# "aorte abdominale de 24 mm, sans anévrisme"; it was the unsited I72.9); an aneurysm named with
# another artery keeps its row
_AORTIC_ANEURYSM = re.compile(
    r"(?<![\w-])aort(?:e|es|ique|iques)(?![\w-])(?:(?!arter)[^.;:\n]){0,40}?(?<![\w-])"
    r"(?P<an>anevrysmes?|anevrismes?)(?![\w-])"
    r"(?!\s+(?:de|du|des|d'|poplit|iliaq|femor|carotid|renal|splen|intra|cerebr|coronar|ventric|septal|mesent))")
AORTIC_ANEURYSM_CODE = "I71.9"


def _context_candidates(doc, text: str, folded: str) -> list[Candidate]:
    """Candidates of the words read by their context (round 14b), each pattern run only
    when its trigger word is in the note."""
    cands: list[Candidate] = []
    if "patite" in folded:
        for m in _HEPATITIS_LETTERS.finditer(text):
            codes = HEPATITIS_ACUTE_CODES if m.group("acute") else HEPATITIS_CODES
            for i, letter in enumerate(_LETTER.finditer(text, m.start("letters"), m.end("letters"))):
                start = m.start() if i == 0 else letter.start()
                span = doc.char_span(start, letter.end(), alignment_mode="expand")
                if span is not None:
                    cands.append(Candidate(span.start, span.end, start, letter.end(), P_CONTEXT,
                                           ICD10_SYSTEM, codes[letter.group()]))
    if "une goutte" in folded:
        for pattern in (_GOUT_CUED, _GOUT_PREDICATE):
            cands.extend(_pattern_candidates(doc, pattern.finditer(folded), P_CONTEXT, ICD10_SYSTEM,
                                             GOUT_CODE, group="gout"))
    if "epanchement" in folded:
        for m in _JOINT_EFFUSION.finditer(folded):
            group = "eff" if m.group("eff") else "eff2"
            cands.extend(_pattern_candidates(doc, (m,), P_CONTEXT, ICD10_SYSTEM, JOINT_EFFUSION_CODE,
                                             group=group))
    if "aort" in folded and "anev" in folded:
        cands.extend(_pattern_candidates(doc, _AORTIC_ANEURYSM.finditer(folded), P_CONTEXT, ICD10_SYSTEM,
                                         AORTIC_ANEURYSM_CODE, group="an"))
    return cands


_CANCER_HINT = re.compile(r"cancer|carcinom|neopla|tumeur maligne")
_PILL_HINT = re.compile(r"pilule|contracept|progestati")


def _pattern_candidates(doc, matches, priority: int, system: str, code, group: int | str = 0):
    """A candidate for each regular-expression match (its ``group``) that falls on the
    doc's tokens; ``code`` is the code, or a function of the match giving it."""
    for m in matches:
        span = doc.char_span(m.start(group), m.end(group), alignment_mode="expand")
        if span is not None:
            yield Candidate(span.start, span.end, m.start(group), m.end(group), priority, system,
                            code(m) if callable(code) else code)


def _silence_edsnlp_logs() -> None:
    """edsnlp logs through loguru, and some messages quote the note (e.g. the
    tokenizer's "Missed some characters ..." warning): never let them out."""
    try:
        from loguru import logger

        logger.disable("edsnlp")
    except ImportError:  # pragma: no cover
        pass


def resolve_assertion(family: bool, negated: bool, hypothetical: bool) -> str:
    """Precedence family > negated > hypothetical > affirmed: "no family
    history of X" is family information, "no suspicion of X" is a negation."""
    if family:
        return FAMILY
    if negated:
        return NEGATED
    if hypothetical:
        return HYPOTHETICAL
    return AFFIRMED


def local_terms_hash(local_terms: Sequence[LocalTerm]) -> str:
    material = [[t.system, t.code, t.display, list(t.synonyms)] for t in local_terms]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()


# round 15: a compound sign names two signs ("polyuro-polydipsie": the polyuria of its row and the thirst);
# folded text of the mention -> (the code of its row, the second code)
COMPOUND_SIGNS = {
    **{w: ("R35", "R63.1") for w in ("polyuro-polydipsie", "polyuropolydipsie", "syndrome polyuro-polydipsique",
                                     "syndrome polyuropolydipsique", "polyuro-polydipsique")},
    **{w: ("M79.1", "M25.5") for w in ("arthromyalgies", "arthro-myalgies", "arthromyalgie", "arthro-myalgie",
                                       "polyarthromyalgies")},
    **{w: ("R53", "R63.0") for w in ("astheno-anorexie", "asthenie-anorexie")},
}


def compound_signs(concepts: list[Concept], display) -> list[Concept]:
    """Each mention of a compound sign (``COMPOUND_SIGNS``) gives its second sign too, same span and assertion."""
    extra = []
    for c in concepts:
        if c.system == ICD10_SYSTEM and c.code in _COMPOUND_FIRST:
            pair = COMPOUND_SIGNS.get(fold_chars(c.text).lower())
            if pair and pair[0] == c.code:
                extra.append(dataclasses.replace(c, code=pair[1], display=display(ICD10_SYSTEM, pair[1])))
    return concepts + extra if extra else concepts


_COMPOUND_FIRST = frozenset(first for first, _ in COMPOUND_SIGNS.values())


def type_diabetes(concepts: list[Concept], display) -> list[Concept]:
    """"rétinopathie diabétique" is E14.3 and "diabétique" E14 (type not said)
    unless the note names the patient's diabetes: with only type 2 (E11)
    named, they become E11.3 and E11."""
    types = {c.code[:3] for c in concepts if c.system == ICD10_SYSTEM
             and c.assertion != FAMILY and _DIABETES_TYPED.match(c.code)}
    if len(types) != 1:
        return concepts
    prefix = types.pop()
    return [dataclasses.replace(c, code=prefix + c.code[3:],
                                display=display(ICD10_SYSTEM, prefix + c.code[3:]) or c.display)
            if c.system == ICD10_SYSTEM and c.code[:3] == "E14" and c.assertion != FAMILY
            else c for c in concepts]


def _recoded(concepts: list[Concept], system: str, codes, target, display) -> list[Concept]:
    """Each concept of ``system`` whose code is in ``codes`` takes the code
    ``target(concept)`` gives, when it gives one (and that code's display)."""
    out = []
    for c in concepts:
        new = target(c) if c.system == system and c.code in codes else None
        out.append(dataclasses.replace(c, code=new, display=display(system, new) or c.display)
                   if new else c)
    return out


# An unspecified code made specific by another disease the note gives the patient
# (round 12b): a bare "insuffisance rénale" (N19) of a note naming a chronic kidney
# disease is that disease; a subdural haematoma or a subarachnoid haemorrhage of a
# note naming a head injury (S00-S09) is traumatic (S06.5, S06.6). code -> (prefixes
# of the specifying codes, target or None for the specifying code itself).
# ("neuropathie périphérique" G62.9 -> G63.2 in a diabetic was tried: it lost recall
# on two held-out sets, left out.)
_HEAD_INJURY = ("S00", "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09")
SPECIFIED_BY_NOTE = {
    "N19": (("N18",), None),
    "I62.0": (_HEAD_INJURY, "S06.5"),
    "I60": (_HEAD_INJURY, "S06.6"),
    # a glomerulopathy in a note naming the nephrotic syndrome is that syndrome's (round 13b)
    "N05.2": (("N04",), "N04.2"),
    "N05.9": (("N04",), None),
    # an unspecified stroke ("dépression post-AVC") of a note naming the patient's infarct or
    # haemorrhage is that stroke (round 14b; a relative's or a denied "AVC" keeps I64)
    "I64": (("I63", "I61"), None),
}


def specified_by_note(concepts: list[Concept], display) -> list[Concept]:
    """Codes of :data:`SPECIFIED_BY_NOTE` become the specific one when the note
    names the specifying disease of the patient (not family)."""
    if not any(c.system == ICD10_SYSTEM and c.code in SPECIFIED_BY_NOTE for c in concepts):
        return concepts
    patient = [c.code for c in concepts if c.system == ICD10_SYSTEM and c.assertion != FAMILY]

    def target(c: Concept) -> str | None:
        if c.assertion in (FAMILY, NEGATED):  # a relative's or a denied disease keeps its code
            return None
        prefixes, fixed = SPECIFIED_BY_NOTE[c.code]
        found = next((p for p in patient if p.startswith(prefixes)), None)
        return found and (fixed or found)

    return _recoded(concepts, ICD10_SYSTEM, SPECIFIED_BY_NOTE, target, display)


# Electrolytes whose ATC code depends on the route (round 12b): eds.drugs gives the
# infusion's code (B05XA), an oral dose ("chlorure de potassium 600 mg x3") is the
# mineral supplement; an intravenous word in the same stretch keeps the infusion.
ORAL_ATC = {"B05XA01": "A12BA01", "B05XA05": "A12CC02"}
_ORAL_DOSE = re.compile(r"\s*:?\s*\d+(?:[,.]\d+)?\s*(?:mg|g)\b(?!\s*/\s*(?:24\s*h|h)\b)"
                        r"|\s*(?:en\s+)?(?:cp|comprimés?|gélules?|sachets?|per\s+os)\b", re.IGNORECASE)
_INTRAVENOUS = re.compile(r"\b(?:IV|IVSE|IVL|IVD)\b|perfusion|intraveineu|soluté|seringue", re.IGNORECASE)


def oral_atc(concepts: list[Concept], text: str, display) -> list[Concept]:
    """Codes of :data:`ORAL_ATC` followed by an oral dose and no intravenous word
    (within 40 characters) become the oral supplement."""
    def oral(c: Concept) -> str | None:
        if _ORAL_DOSE.match(text, c.end) and not _INTRAVENOUS.search(text, max(0, c.start - 20),
                                                                     c.end + 40):
            return ORAL_ATC[c.code]
        return None

    return _recoded(concepts, ATC_SYSTEM, ORAL_ATC, oral, display)


# round 19b: a molecule or brand drugs.json lists both systemic and ophthalmic, named as an eye drop or
# ointment ("atropine collyre", "Neosynephrine et Mydriaticum collyres", "collyre à la dexaméthasone",
# "Zovirax pommade ophtalmique"), is the ophthalmic one (S01); without such a word it keeps its code.
OCULAR_ATC = {"C01CA06": "S01FB01", "A03BA01": "S01FA01", "J05AB01": "S01AD03", "H02AB02": "S01BA01",
              "J01GB01": "S01AA12", "J01FA10": "S01AA26", "J01XC01": "S01AA13", "R06AX17": "S01GX08",
              "R03BC01": "S01GX01", "H02AB09": "S01BA02"}
_OCULAR_AFTER = re.compile(r"[^.;:\n]{0,30}?(?<![\w-])(?:collyres?|gouttes?\s+(?:oculaires?|ophtalmiques?)"
                           r"|(?:pommade|gel|onguent)\s+ophtalmique|ophtalmiques?|intravitr[ée])", re.IGNORECASE)
_OCULAR_BEFORE = re.compile(r"(?<![\w-])(?:collyres?|(?:pommade|gel|onguent)\s+ophtalmique)\s+(?:à\s+la\s+|à\s+l'"
                            r"|au\s+|de\s+|d'|à\s+base\s+de\s+)?\s*$", re.IGNORECASE)


def ocular_atc(concepts: list[Concept], text: str, display) -> list[Concept]:
    """Codes of :data:`OCULAR_ATC` named with an eye-drop or ophthalmic-ointment word of their clause."""
    if not any(c.system == ATC_SYSTEM and c.code in OCULAR_ATC for c in concepts):
        return concepts

    def ocular(c: Concept) -> str | None:
        if _OCULAR_AFTER.match(text, c.end) or _OCULAR_BEFORE.search(text[max(0, c.start - 40):c.start]):
            return OCULAR_ATC[c.code]
        return None

    return _recoded(concepts, ATC_SYSTEM, OCULAR_ATC, ocular, display)


# Metronidazole named as an antibiotic therapy ("antibiothérapie par Rocéphine et Flagyl") is the
# systemic antibacterial J01XD01; otherwise the lexicon's P01AB01 (round 14b)
METRONIDAZOLE_ATC = ("P01AB01", "J01XD01")
_ANTIBIOTIC_CUE = re.compile(r"antibioth[ée]rapie|antibiotiques?\b|\bATB\b", re.IGNORECASE)


def antibiotic_metronidazole(concepts: list[Concept], text: str, display) -> list[Concept]:
    """Metronidazole after an antibiotic word of its sentence (up to 80 characters before it)."""
    oral, antibacterial = METRONIDAZOLE_ATC

    def named_antibiotic(c: Concept) -> str | None:
        before = text[max(0, c.start - 80):c.start]
        before = before[max(before.rfind(". "), before.rfind("\n")) + 1:]
        return antibacterial if _ANTIBIOTIC_CUE.search(before) else None

    return _recoded(concepts, ATC_SYSTEM, (oral,), named_antibiotic, display)


# Aspirin at an analgesic or anti-inflammatory dose (round 14b): eds.drugs gives the antiplatelet
# B01AC06 for every aspirin; 500 mg or more a dose (or "à dose anti-inflammatoire") taken
# by mouth is the analgesic N02BA01; an intravenous loading dose stays antiplatelet.
ASPIRIN_ATC = ("B01AC06", "N02BA01")
_ASPIRIN_DOSE = re.compile(r"\s*:?\s*(?:(?:[5-9][0-9]{2}|[1-9][0-9]{3})\s*mg|[1-9](?:[,.][0-9])?\s*g)\b"
                           r"|\s+(?:à|a)\s+dose\s+(?:anti-?inflammatoire|antalgique)", re.IGNORECASE)


def aspirin_dose(concepts: list[Concept], text: str, display) -> list[Concept]:
    """The antiplatelet aspirin followed by an analgesic dose and no intravenous word
    (within 40 characters) is the analgesic."""
    antiplatelet, analgesic = ASPIRIN_ATC

    def dosed(c: Concept) -> str | None:
        if _ASPIRIN_DOSE.match(text, c.end) and not _INTRAVENOUS.search(text, c.end, c.end + 40):
            return analgesic
        return None

    return _recoded(concepts, ATC_SYSTEM, (antiplatelet,), dosed, display)


# Molecules whose ATC code depends on the indication: the other use when the
# note names one of its diseases (or, for methotrexate, a weekly schedule) and no
# malignant tumour: code -> (other code, ICD-10 prefixes of its indications).
INDICATION_ATC = {
    # weekly methotrexate of rheumatology (M05-M14, M30-M36, M45-M46), psoriasis, Crohn, UC;
    # round 12b: the other immune diseases it treats (bullous L10-L14, eczema L20-L30,
    # lupus L93, morphoea L94, vasculitis L95, sarcoidosis D86, MS G35, myasthenia G70)
    "L01BA01": ("L04AX03", ("M0", "M1", "M3", "M45", "M46", "L40", "K50", "K51", "L1", "L2",
                            "L93", "L94", "L95", "D86", "G35", "G70")),
    # intravitreal aflibercept of the retina (H30-H36)
    "L01XX44": ("S01LA05", ("H3",)),
}
_WEEKLY = re.compile(r"par semaine|/\s*sem(?:aine)?\b|hebdomadaire", re.IGNORECASE)


def indication_atc(concepts: list[Concept], display, text: str = "") -> list[Concept]:
    """Oncology ATC codes of :data:`INDICATION_ATC` become their other use when
    the note gives that use and names no malignant tumour (C00-C97 but C44) of the patient."""
    if not any(c.system == ATC_SYSTEM and c.code in INDICATION_ATC for c in concepts):
        return concepts
    patient = [c.code for c in concepts if c.system == ICD10_SYSTEM
               and c.assertion in (AFFIRMED, HYPOTHETICAL)]
    # a skin carcinoma (C44) or a melanoma (C43) is never treated by these molecules (round 12b,
    # 14b); a cancer only weighed ("une néoplasie sous-jacente sera recherchée") does not make
    # them oncology (round 14b)
    if any(c.code[0] == "C" and not c.code.startswith(("C43", "C44")) for c in concepts
           if c.system == ICD10_SYSTEM and c.assertion == AFFIRMED):
        return concepts
    weekly = bool(_WEEKLY.search(text))

    def other(c: Concept) -> str | None:
        target, prefixes = INDICATION_ATC[c.code]
        if any(p.startswith(prefixes) for p in patient) or (c.code == "L01BA01" and weekly):
            return target
        return None

    return _recoded(concepts, ATC_SYSTEM, INDICATION_ATC, other, display)


_APPOSITION_GAP = re.compile(r"\s*\(\s*")


def apposition(concepts: list[Concept], text: str) -> list[Concept]:
    """"rivastigmine (Exelon) pourra être introduite": a concept followed by the
    same code in parentheses is one mention; the scope of a following cue ends
    at the "(", so the first takes the assertion of the second when it is
    affirmed and the second is not."""
    out = list(concepts)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if (a.system, a.code) == (b.system, b.code) and a.assertion == AFFIRMED != b.assertion \
                and _APPOSITION_GAP.fullmatch(text, a.end, b.start) and text[b.end:b.end + 1] == ")":
            out[i] = dataclasses.replace(a, assertion=b.assertion)
    return out


# "en association à l'aspirine", "associé au Kardégic", "majoration du Lasilix"
# (before the drug); "à dose curative", "à pleine dose" (after it)
_BESIDE = re.compile(r"(?:en association|associée?s?|en plus|en complément)\s+(?:à|au|aux|avec|de|du|des)"
                     r"\s+(?:(?:l'|la |le |les |son |sa |ses )\s*)?$", re.IGNORECASE)
_CHANGED = re.compile(r"(?:majoration|augmentation|diminution|baisse|réduction|adaptation|ajustement"
                      r"|arrêt|décroissance|intensification|modification)\s+(?:(?:de la dose|des doses"
                      r"|de la posologie)\s+)?(?:du |de la |de l'|des |de |d')\s*$", re.IGNORECASE)
_DOSE = re.compile(r"\s*(?:à|a)\s+(?:(?:pleine|demi|double|forte|faible)[- ]?)?dose\b", re.IGNORECASE)
# round 18a: a drug prescribed on a condition that names a disease ("En cas de pyélonéphrite, Oflocet",
# "Augmentin en cas de surinfection bronchique") is planned, not taken; not on a sign, a crisis or the
# exacerbation of a known disease ("Doliprane si fièvre", "Ventoline si crise d'asthme", "Xanax si angoisse")
_IF_CUES = frozenset({"si", "s'il", "s'ils", "en cas", "au cas ou"})
_CONDITION_ENDS = frozenset({",", ".", ";", ":", "(", ")", "?", "!"})
_AS_NEEDED_PREFIXES = ("R", "Z", "F", "T", "A09", "E16", "G40", "G43", "G44", "G47", "H81", "I10", "J30", "J44",
                       "J45", "K21", "K30", "K52", "K59", "L29", "L50", "M10", "M25", "M54", "M79", "N94")


def _disease_conditions(doc, items, qualifications) -> list[tuple[int, int]]:
    """The (cue start, condition end) token spans of the conditions ("en cas de", "si") that name a
    disease (not ``_AS_NEEDED_PREFIXES``) no other mention of the chunk affirms; the condition runs from
    its cue to a punctuation or a line end."""
    affirmed = {c.code[:3] for (c, _), q in zip(items, qualifications)
                if c.system == ICD10_SYSTEM and not (q.hypothesis or q.negation or q.family)}
    out = []
    for (c, _), q in zip(items, qualifications):
        if c.system != ICD10_SYSTEM or not q.hypothesis or c.code.startswith(_AS_NEEDED_PREFIXES) \
                or c.code[:3] in affirmed:
            continue
        for s, e in q.hypothesis_cues:
            if e <= c.start and c.start - e <= 4 and fold_chars(doc[s:e].text) in _IF_CUES \
                    and not any(_condition_end(t) for t in doc[e:c.start]):
                end = c.end
                while end < len(doc) and end - c.end < 6 and not _condition_end(doc[end]):
                    end += 1
                out.append((s, end))
    return out


def _condition_end(token) -> bool:
    return token.text in _CONDITION_ENDS or "\n" in token.text


def _on_condition(doc, cand, conditions) -> bool:
    """The drug ``cand`` follows a condition closed by a comma ("En cas de pyélonéphrite, Oflocet", a few
    words between) or is followed by one ("Ciflox 500 mg x2/j en cas d'infection urinaire")."""
    for s, end in conditions:
        if end <= cand.start:
            if end < len(doc) and doc[end].text in (",", ":") and cand.start - end <= 4 \
                    and not any(_condition_end(t) for t in doc[end + 1:cand.start]):
                return True
        elif cand.end <= s and s - cand.end <= 8 and not any(_condition_end(t) for t in doc[cand.end:s]):
            return True
    return False


# round 18a: a sign in a condition on its persistence ("si la protéinurie persiste", "en cas de persistance de la
# fièvre", "si les douleurs s'aggravent") is there: affirmed when the note affirms its code elsewhere (the rule of
# qualifiers._conditional_repeat, for a mention in another chunk)
_PERSISTING_BEFORE = re.compile(r"(?:\bsi|\bs'ils?|\ben\s+cas\s+d(?:e|')|\bpersistance\s+d(?:e|u|es|'))\s*"
                                r"(?:(?:la|le|les|l'|ces|cette|ce|sa|son|ses)\s*)?(?:\w+\s+)?$", re.IGNORECASE)
_PERSISTING_AFTER = re.compile(r"\s*(?:\w+\s+)?(?:persist|s'aggrav|se\s+major|ne\s+(?:régress|diminu|cède))",
                               re.IGNORECASE)


def persisting_signs(concepts: list[Concept], text: str, folded: str) -> list[Concept]:
    """Affirm a hypothetical sign whose condition is its persistence or worsening (see ``_PERSISTING_BEFORE``)."""
    if "persist" not in folded and "aggrav" not in folded and "major" not in folded:
        return concepts

    def persisting(c: Concept) -> bool:
        before = text[max(0, c.start - 40):c.start]
        return bool(("persistance" in before.lower() or _PERSISTING_AFTER.match(text, c.end))
                    and _PERSISTING_BEFORE.search(before))

    return _affirm_repeated(concepts, lambda c: c.code, persisting)


def _affirm_repeated(concepts: list[Concept], key: Callable[[Concept], str],
                     repeated: Callable[[Concept], bool]) -> list[Concept]:
    """Affirm each hypothetical ICD-10 concept whose ``key`` an affirmed ICD-10 concept of the note has, where
    ``repeated`` says the hedge only names that finding again (the note-wide twin of
    ``qualifiers._conditional_repeat``, which compares words within a chunk)."""
    affirmed = {key(c) for c in concepts if c.system == ICD10_SYSTEM and c.assertion == AFFIRMED}
    if not affirmed:
        return concepts
    return [dataclasses.replace(c, assertion=AFFIRMED)
            if c.system == ICD10_SYSTEM and c.assertion == HYPOTHETICAL and key(c) in affirmed and repeated(c) else c
            for c in concepts]


# round 20a: "Uvéite antérieure aiguë, évoquant une uvéite liée à l'HLA-B27", "pneumopathie ... faisant discuter une
# pneumopathie d'origine virale": a hedged mention of an affirmed disease's category, in its sentence, qualified by
# a cause ("liée à", "due à", "secondaire à", "d'origine", "dans le cadre de"): the hedge weighs the cause
_CAUSE_AFTER = re.compile(r"\s*(?:[\w-]+\s+){0,2}?(?:(?:li[ée]e?s?|due?s?|secondaires?|imputables?|associ[ée]e?s?)\s+"
                          r"(?:à|a|au|aux)\b|d'origine\b|dans\s+le\s+cadre\b|sur\s+(?:une?|des)\b)", re.IGNORECASE)
_SENTENCE_ENDS = (".", ";", "\n", "?", "!")


def evoked_cause(concepts: list[Concept], text: str) -> list[Concept]:
    """Affirm a hypothetical ICD-10 concept that names again the category of a disease affirmed before it in its
    sentence, followed by its cause (see ``_CAUSE_AFTER``)."""
    if not any(c.assertion == HYPOTHETICAL for c in concepts):
        return concepts
    affirmed = [c for c in concepts if c.system == ICD10_SYSTEM and c.assertion == AFFIRMED]

    def evoked(c: Concept) -> bool:
        return bool(_CAUSE_AFTER.match(text, c.end)) and any(
            a.code[:3] == c.code[:3] and a.end <= c.start and c.start - a.end <= 160
            and not any(ch in text[a.end:c.start] for ch in _SENTENCE_ENDS) for a in affirmed)

    return _affirm_repeated(concepts, lambda c: c.code[:3], evoked)


# round 19a: "Migraine sans aura ... Doliprane si migraine", "Ventoline en cas de crise d'asthme": a known
# chronic disease (affirmed elsewhere in the note) named as the condition of a drug taken on demand is there
_KNOWN_ON_DEMAND = ("G40", "G43", "G44", "G47", "J30", "J44", "J45", "K21", "L50", "M10", "N94", "F41")
_ON_DEMAND_BEFORE = re.compile(r"(?:\s*\d+(?:[,.]\d+)?\s*(?:mg|g|µg|mcg|bouffées?|cp|comprimés?|gélules?))?"
                               r"\s*(?:si|en\s+cas\s+d(?:e|')|lors\s+des?)\s*(?:(?:une\s+|la\s+)?crises?\s+d(?:e|'))?"
                               r"\s*$", re.IGNORECASE)


def known_on_demand(concepts: list[Concept], text: str) -> list[Concept]:
    """Affirm a hypothetical known disease (``_KNOWN_ON_DEMAND``) that conditions a drug taken on demand."""
    drug_ends = [c.end for c in concepts if c.system == ATC_SYSTEM]

    def on_demand(c: Concept) -> bool:
        return c.code.startswith(_KNOWN_ON_DEMAND) and any(
            0 <= c.start - e <= 40 and _ON_DEMAND_BEFORE.fullmatch(text, e, c.start) for e in drug_ends)

    return _affirm_repeated(concepts, lambda c: c.code[:3], on_demand)


# round 17a: "le Kardégic sera à rediscuter", "son Lasilix pourra être réduit": the patient's drug (named with
# a definite article or a possessive at a clause start) whose continuation is weighed
_REVISITED_BEFORE = re.compile(r"(?:^|[.;:,]\s*|\b(?:et|mais|puis)\s+)(?:le|la|les|son|sa|ses|l')\s*$",
                               re.IGNORECASE)
_REVISITED_AFTER = re.compile(r"\s*(?:\([^()]{0,30}\)\s*)?(?:sera|seront|est|sont|pourra|pourrait|devra)?\s*"
                              r"(?:être\s+)?(?:à\s+)?(?:rediscut|réévalu|reconsid|réduit|diminu|adapt"
                              r"|arrêt|suspendu|poursuivi|maintenu|remplac)", re.IGNORECASE)


def taken_drugs(concepts: list[Concept], text: str) -> list[Concept]:
    """"Un passage au Bactrim à dose curative pourra être discuté", "un relais
    par Xarelto en association à l'aspirine pourra être discuté": a drug the
    note also gives as taken (affirmed), named beside the discussed one, with
    a dose or a change of its dose, is the patient's treatment: affirmed (round 11)."""
    taken = {c.code for c in concepts if c.system == ATC_SYSTEM and c.assertion == AFFIRMED}
    if not taken:
        return concepts
    return [dataclasses.replace(c, assertion=AFFIRMED)
            if c.system == ATC_SYSTEM and c.assertion == HYPOTHETICAL and c.code in taken and (
                _BESIDE.search(text, max(0, c.start - 40), c.start)
                or _CHANGED.search(text, max(0, c.start - 40), c.start) or _DOSE.match(text, c.end)
                or (_REVISITED_BEFORE.search(text[max(0, c.start - 12):c.start])
                    and _REVISITED_AFTER.match(text, c.end)))
            else c for c in concepts]


# round 15: a disease named as the label of a meeting, protocol or unit ("avis en RCP endométriose",
# "IRM avec protocole endométriose", "centre expert Parkinson", "hôpital de jour VIH") says nothing of
# the patient by itself: when the note names the disease elsewhere, that mention gives its assertion
LABEL_HEADS = ("rcp", "protocole", "filiere", "centre expert", "centre de reference", "unite", "hopital de jour",
               "consultation", "reseau", "sequence", "sequences")  # round 16: "IRM avec séquences épilepsie"


def _after_label_head(folded: str, start: int) -> bool:
    window = folded[max(0, start - 24):start]
    head = window.rstrip(" \t")
    if len(head) == len(window) or not head.endswith(LABEL_HEADS):
        return False
    cut = len(head) - len(next(h for h in LABEL_HEADS if head.endswith(h)))
    return cut == 0 or not head[cut - 1].isalnum()  # a word of its own ("reconsultation" is none)


def label_mentions(concepts: list[Concept], folded: str) -> list[Concept]:
    """Drop a disease named only as a label (see ``LABEL_HEADS``) when another mention of its code
    is in the note (``folded``: the note's ``fold_chars``)."""
    labels = {i for i, c in enumerate(concepts)
              if c.system == ICD10_SYSTEM and _after_label_head(folded, c.start)}
    if not labels:
        return concepts
    others = {c.code for i, c in enumerate(concepts) if i not in labels and c.system == ICD10_SYSTEM}
    return [c for i, c in enumerate(concepts) if i not in labels or c.code not in others]


# round 17b: a disease named as what a vaccine or a prophylaxis is against is not the patient's
# ("vaccin contre la grippe fait", "vaccination anti-COVID à jour", "prophylaxie de la pneumocystose
# par Bactrim", "prévention des escarres"), nor the diseases coordinated after it ("vaccination contre
# la rougeole, les oreillons et la rubéole"); "prévention secondaire" and "traitement préventif de la
# migraine" name a disease the patient has, and are no lead
_PREVENTED_LEAD = re.compile(
    r"(?:(?<![\w-])(?:vaccin|vaccins|vaccination|vaccinations|vaccine|vaccinee|vaccines|vaccinees"
    r"|rappel du vaccin|rappel vaccinal)\s+(?:\w+\s+)?(?:contre|anti)\s*-?\s*"
    r"|(?<![\w-])(?:prophylaxie|antibioprophylaxie|chimioprophylaxie|prevention)\s+(?:primaire\s+)?"
    r"(?:de|des|du|d')\s*)(?:la\s+|le\s+|les\s+|l'|l\u2019)?$")
_PREVENTED_NEXT = re.compile(r"\s*(?:,|et|ou)\s*(?:(?:contre|anti)\s*-?\s*)?(?:la\s+|le\s+|les\s+|l'|l\u2019)?$")


def prevented_diseases(concepts: list[Concept], folded: str) -> list[Concept]:
    """Drop the diseases named as the target of a vaccine or a prophylaxis (``_PREVENTED_LEAD``)."""
    if "vaccin" not in folded and "prophylax" not in folded and "prevention" not in folded:
        return concepts
    dropped: set[int] = _vaccinated(concepts, folded) if "vaccin" in folded else set()
    diseases = sorted((c.start, c.end, i) for i, c in enumerate(concepts) if c.system == ICD10_SYSTEM)
    last_end = -1
    for start, end, i in diseases:
        window = folded[max(0, start - 60):start]
        if _PREVENTED_LEAD.search(window) or (
                last_end >= 0 and _PREVENTED_NEXT.fullmatch(folded, last_end, start)):
            dropped.add(i)
            last_end = end
        elif start >= last_end:
            last_end = -1
    return [c for i, c in enumerate(concepts) if i not in dropped] if dropped else concepts


# round 18b: a vaccine-preventable infection named after a vaccine word without "contre" ("Vaccination
# grippe et Covid à jour", "Vaccins à jour (grippe, pneumocoque, zona)", "vaccin grippe fait") is the
# vaccine's: between the vaccine word and the infection only other such infections, germ or vaccine
# names, separators and the words of a vaccination record
VACCINE_PREVENTABLE = ("J09", "J10", "J11", "U07", "B01", "B02", "A33", "A34", "A35", "A36", "A37", "B05",
                       "B06", "B26", "B15", "B16", "B17", "B18", "B19", "A39", "A80", "A15", "A16", "A17",
                       "A18", "A19", "B97.7", "A63.0", "A82", "A01", "A95", "A83")
_VACCINE_WORD = re.compile(r"(?<![\w-])vaccin(?:s|e|es|ee|ees|ation|ations|al|aux|ale|ales)?(?![\w-])")
# a list of infections ("grippe, Covid et zona"), or a record without a comma ("rappel pneumocoque et
# grippe faits"), or a record inside the parenthesis it opens ("Vaccins à jour (grippe, zona)")
_VACCINE_LIST = (r"[\s,;:()/+-]|(?<![\w'])(?:et|ou|contre|anti|la|le|les|l'|de|du|des|d'|antigrippale?s?"
                 r"|grippale?s?|saisonniere?s?|pneumocoques?|pneumococcique|dtp|dtcp|dtpolio|bcg|hpv|ror"
                 r"|covid-?19|sars-cov-?2)(?![\w'])")
_VACCINE_RECORD = (r"(?<![\w'])(?:a jour|a faire|a prevoir|a completer|faite?s?|realisee?s?|recue?s?|effectuee?s?"
                   r"|en|\d+(?:e|er|eme)?|doses?|injections?|rappels?|schema|complet|annuelle?|ce jour"
                   r"|cette annee)(?![\w'])")
_VACCINE_LIST_GAP = re.compile(rf"(?:{_VACCINE_LIST})*")
_VACCINE_RECORD_GAP = re.compile(rf"(?:(?!,){_VACCINE_LIST}|{_VACCINE_RECORD})*")
_VACCINE_PARENTHESIS_GAP = re.compile(rf"(?:{_VACCINE_LIST}|{_VACCINE_RECORD})*\((?:{_VACCINE_LIST})*")


def _vaccinated(concepts: list[Concept], folded: str) -> set[int]:
    """The indexes of the vaccine-preventable infections named after a vaccine word (``VACCINE_PREVENTABLE``)."""
    infections = sorted((c.start, c.end, i) for i, c in enumerate(concepts)
                        if c.system == ICD10_SYSTEM and c.code.startswith(VACCINE_PREVENTABLE))
    out: set[int] = set()
    for start, end, i in infections:
        words = list(_VACCINE_WORD.finditer(folded, max(0, start - 80), start))
        if not words:
            continue
        lead = words[-1].end()
        gap = folded[lead:start]
        for s2, e2, _ in infections:  # the other infections of the record read as list items
            if lead <= s2 and e2 <= start:
                gap = gap[:s2 - lead] + " " * (e2 - s2) + gap[e2 - lead:]
        if any(p.fullmatch(gap) for p in (_VACCINE_LIST_GAP, _VACCINE_RECORD_GAP, _VACCINE_PARENTHESIS_GAP)):
            out.add(i)
    return out


# round 18b: "IPP" (Identifiant Permanent du Patient) of a header, before its number ("IPP : 00482715",
# "N° IPP 123456", "IPP/NDA : 1234/5678"), is no proton-pump inhibitor
_IDENTIFIER_AFTER = re.compile(r"\s*(?:/\s*[A-Z]{2,4}\s*)*(?:n°|no|num(?:éro|ero)?\.?)?\s*[:=#]?\s*\d{3,}")
_IDENTIFIER_BEFORE = re.compile(r"(?:n°|no|num(?:éro|ero)|numéro d'|numero d')\s*$", re.IGNORECASE)
IDENTIFIER_WORDS = frozenset({"IPP"})


def identifiers(concepts: list[Concept], text: str) -> list[Concept]:
    """Drop a drug abbreviation of ``IDENTIFIER_WORDS`` written as a patient identifier."""
    if "IPP" not in text:
        return concepts
    return [c for c in concepts
            if not (c.system == ATC_SYSTEM and c.text in IDENTIFIER_WORDS
                    and (_IDENTIFIER_AFTER.match(text, c.end)
                         or _IDENTIFIER_BEFORE.search(text, max(0, c.start - 14), c.start)))]


# round 18b: a pain adjective right after a disease, its side or its course between, qualifies it
# ("lombosciatique droite hyperalgique", "colique néphrétique hyperalgique"): no pain of its own
PAIN_ADJECTIVES = frozenset({"algique", "algiques", "hyperalgique", "hyperalgiques"})
_QUALIFIED_GAP = re.compile(r"\s+(?:(?:droite?s?|gauches?|bilat[ée]rales?|aigu[ëe]?s?|chroniques?|tr[èe]s"
                            r"|s[ée]v[èe]res?|intenses?|r[ée]sistantes?|rebelles?)\s+){0,2}")


def qualifying_adjectives(concepts: list[Concept], text: str) -> list[Concept]:
    """Drop a pain adjective of ``PAIN_ADJECTIVES`` that qualifies the disease just before it."""
    if "lgique" not in text:
        return concepts
    drop = set()
    ends = sorted(c.end for c in concepts if c.system == ICD10_SYSTEM)
    for i, c in enumerate(concepts):
        if c.system == ICD10_SYSTEM and c.text.lower() in PAIN_ADJECTIVES:
            j = bisect.bisect_right(ends, c.start) - 1
            if j >= 0 and c.start - ends[j] <= 40 and _QUALIFIED_GAP.fullmatch(text, ends[j], c.start):
                drop.add(i)
    return [c for i, c in enumerate(concepts) if i not in drop] if drop else concepts


# round 20b: "œdématié" qualifying a mucosa, a wall or an organ seen at endoscopy or imaging ("muqueuse
# gastrique œdématiée", "paroi vésiculaire œdématiée", "aspect œdématié de la muqueuse") is no oedema R60
# of the patient's limbs or body; a limb ("cheville œdématiée") keeps it.
_OEDEMA_ADJECTIVE = re.compile(r"(?:œ|oe)d[ée]mati[ée]e?s?", re.IGNORECASE)
_OEDEMA_ORGAN = re.compile(r"(?<![\w-])(?:muqueuses?|parois?|aspect|[ée]piglotte|aryt[ée]no[iï]des?|cordes?\s+vocales?"
                           r"|conjonctives?|cornets?|luette|glotte|larynx|pylore|bulbe|antre|c[æa]cum|vulve|gland"
                           r"|pr[ée]puce|tympans?|pancr[ée]as|appendice|v[ée]sicule|anses?|sigmo[iï]de|rectum"
                           r"|c[ôo]lon|estomac|(?:œ|oe)sophage|duod[ée]num|fundus|villosit[ée]s|plis|m[ée]sent[èe]re"
                           r"|graisse|tissus?\s+sous-cutan[ée]s?)(?![\w-])", re.IGNORECASE)


# round 20b: "goutte(s)" as drops ("quelques gouttes de collyre", "8 gouttes le soir", "gouttes buvables",
# "2 gouttes dans chaque oeil") is no gout M10; the rows of round 10 ("1 goutte", "une goutte") cover the
# usual doses, this covers the rest of the dose wordings
_DROPS_BEFORE = re.compile(r"(?:\d+|quelques|plusieurs|deux|trois|quatre|cinq|six|huit|dix|quinze|vingt|trente"
                           r"|quarante|en|les|des|par|aux|avec|\bx|goutte\s+[àa])\s*$", re.IGNORECASE)
_DROPS_AFTER = re.compile(r"\s*(?:de\s+(?:collyre|solution|sang|s[ée]rum|lait|liquide|pus)|d'(?:huile|eau|urine)"
                          r"|dans\b|par\s+(?:jour|prise|narine|oreille|[œo]e?il)|le\s+(?:matin|midi|soir)|matin\b"
                          r"|midi\b|soir\b|x\s*\d|/\s*(?:j|jour|h)\b|buvables?\b|oculaires?\b|auriculaires?\b"
                          r"|nasales?\b|ophtalmiques?\b|[àa]\s+goutte\b)", re.IGNORECASE)


def drops_no_gout(concepts: list[Concept], text: str) -> list[Concept]:
    """Drop the M10 of a bare "goutte(s)" read as drops by its dose or its route."""
    if "goutte" not in text and "GOUTTE" not in text:
        return concepts

    def drops(c: Concept) -> bool:
        if c.system != ICD10_SYSTEM or c.code != "M10" or c.text.lower() not in ("goutte", "gouttes"):
            return False
        return bool(_DROPS_BEFORE.search(text[max(0, c.start - 16):c.start]) or _DROPS_AFTER.match(text, c.end))

    kept = [c for c in concepts if not drops(c)]
    return kept if len(kept) != len(concepts) else concepts


# round 20b: a drug class named with one of its molecules beside it ("sous statine (atorvastatine 40)",
# "bêtabloquant : bisoprolol", "AVK (fluindione)", "clopidogrel (antiagrégant)") is that molecule: the
# class code adds nothing of the patient's (a class alone keeps its code)
_CLASS_GAP = re.compile(r"[^.;\n]{0,40}")


def class_with_molecule(concepts: list[Concept], text: str) -> list[Concept]:
    """Drop an ATC class (under 7 characters) whose molecule (a 7-character code under it) is named
    within 40 characters of it in the same sentence."""
    classes = [c for c in concepts if c.system == ATC_SYSTEM and len(c.code) < 7]
    if not classes:
        return concepts
    molecules = [c for c in concepts if c.system == ATC_SYSTEM and len(c.code) == 7]
    drop = set()
    for k in classes:
        for m in molecules:
            if not m.code.startswith(k.code) or m.assertion != k.assertion:
                continue
            if (0 <= m.start - k.end <= 40 and _CLASS_GAP.fullmatch(text, k.end, m.start)) or (
                    0 <= k.start - m.end <= 40 and _CLASS_GAP.fullmatch(text, m.end, k.start)):
                drop.add(id(k))
                break
    return [c for c in concepts if id(c) not in drop] if drop else concepts


# round 20b: "carence martiale" is the iron-deficiency anaemia D50 of the dev letters; followed by "sans
# anémie" ("carence martiale sans anémie", "sans anémie associée") it is the iron deficiency E61.1 (the
# denied anaemia keeps its own D64 negated)
_WITHOUT_ANAEMIA = re.compile(r"\s*,?\s+(?:sans|non)\s+an[ée]mi(?:e|ante|que)\b", re.IGNORECASE)


def iron_deficiency(concepts: list[Concept], text: str, display) -> list[Concept]:
    """A D50.9 directly followed by "sans anémie" becomes E61.1."""
    if "an" not in text or not any(c.code == "D50.9" for c in concepts):
        return concepts

    def without_anaemia(c: Concept) -> str | None:
        return "E61.1" if _WITHOUT_ANAEMIA.match(text, c.end) and "an" not in c.text[:3].lower() else None

    return _recoded(concepts, ICD10_SYSTEM, ("D50.9",), without_anaemia, display)


def organ_oedema(concepts: list[Concept], text: str) -> list[Concept]:
    """Drop the R60 of an "œdématié" adjective whose clause names a mucosa, a wall or an organ before it."""
    if "dématié" not in text and "dematie" not in text and "DÉMATIÉ" not in text:
        return concepts

    def organ(c: Concept) -> bool:
        if c.system != ICD10_SYSTEM or c.code != "R60" or not _OEDEMA_ADJECTIVE.fullmatch(c.text):
            return False
        before = text[max(0, c.start - 60):c.start]
        before = before[max(before.rfind("."), before.rfind(";"), before.rfind(":"), before.rfind("\n")) + 1:]
        return bool(_OEDEMA_ORGAN.search(before))

    kept = [c for c in concepts if not organ(c)]
    return kept if len(kept) != len(concepts) else concepts


class _LocalMatcher:
    """Phrase matchers for the concepts of server-side CodeSystems.

    Built on the pipeline's vocabulary and normaliser (same matching rules as
    the lexicon: capitalised abbreviations case-sensitive, the rest ignores
    case and accents); the big pipeline is never rebuilt."""

    def __init__(self, nlp, local_terms: Sequence[LocalTerm]):
        from edsnlp.matchers.phrase import EDSPhraseMatcher

        self.terms = list(local_terms)
        ci: dict[str, list[str]] = {}
        cs: dict[str, list[str]] = {}
        for i, term in enumerate(self.terms):
            words = {w.strip() for w in (term.display, *term.synonyms) if w and w.strip()}
            for w in sorted(words):
                (cs if is_case_sensitive(w) else ci).setdefault(str(i), []).append(w)
        self.ci = EDSPhraseMatcher(nlp.vocab, attr="NORM", ignore_excluded=False)
        self.cs = EDSPhraseMatcher(nlp.vocab, attr="TEXT", ignore_excluded=False)
        self.ci.build_patterns(nlp=nlp, terms=ci)
        self.cs.build_patterns(nlp=nlp, terms=cs)
        self.size = sum(map(len, ci.values())) + sum(map(len, cs.values()))
        self.displays = {}
        for term in self.terms:
            self.displays.setdefault((term.system, term.code), term.display)

    def __call__(self, doc) -> list[Candidate]:
        out = []
        for matcher in (self.ci, self.cs):
            for span in matcher(doc, as_spans=True):
                term = self.terms[int(span.label_)]
                out.append(
                    Candidate(span.start, span.end, span.start_char, span.end_char, 0,
                              term.system, term.code)
                )
        return out


class EdsEngine:
    """Thread-safe (a lock serialises documents: the work is CPU-bound under
    the GIL anyway, and spaCy's shared vocabulary is mutated while parsing)."""

    def __init__(self, payload: Payload, *, max_chars: int | None = None,
                 chunk_chars: int | None = None, vocab_budget: int | None = None):
        self.payload = payload
        self.nlp = payload.nlp
        pipes = dict(self.nlp.pipeline)
        self._token_pipes = [pipes[name] for name in TOKEN_PIPES]
        # The terminology pipes (edsnlp TerminologyMatcher) make a Span per
        # match, store it in a SpanGroup, which makes new Spans at each read:
        # their phrase matchers are called directly, for (key, start, end).
        self._terminologies = []
        for name in TERMINOLOGIES:
            if pipes[name].regex_matcher.regex:  # pragma: no cover - not built so
                raise ValueError(f"terminology {name} has regex patterns")
            self._terminologies.append(pipes[name].phrase_matcher)
        self._keys: dict[int, tuple[str | None, str] | None] = {}  # match key -> (system, code)
        self._qualifier = payload.qualifier
        self._max_chars = max_chars
        self._chunk_chars = chunk_chars
        self._lock = threading.RLock()
        self._local_cache: OrderedDict[str, _LocalMatcher] = OrderedDict()
        self.info = dict(payload.info)
        # spaCy's vocabulary learns every new word it parses (names, numbers,
        # dates...): memory grows without bound. The vocabulary may learn up to
        # `vocab_budget` new strings (so frequent words stay on the fast path);
        # past that, each chunk is parsed in a spaCy memory zone and the
        # strings/lexemes it created are freed afterwards.
        vocab = self.nlp.vocab
        budget = vocab_budget if vocab_budget is not None else config.vocab_budget()
        self._vocab_limit = len(vocab.strings) + budget
        self._memory_zone = getattr(vocab, "memory_zone", None)
        _silence_edsnlp_logs()

    # ------------------------------------------------------------ settings
    @property
    def max_chars(self) -> int:
        return self._max_chars if self._max_chars is not None else config.max_chars()

    @property
    def chunk_chars(self) -> int:
        return self._chunk_chars if self._chunk_chars is not None else config.chunk_chars()

    # ---------------------------------------------------------------- API
    def extract(self, text: str, local_terms: Sequence[LocalTerm] = ()) -> list[Concept]:
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        if not text or text.isspace():
            return []
        limit = self.max_chars
        if len(text) > limit:
            raise NoteTooLargeError(len(text), limit)
        local_terms = tuple(local_terms or ())
        t0 = time.perf_counter()
        sections = SectionIndex(text)
        with self._lock:
            # built outside the memory zone: its strings must outlive the call
            local = self._local_matcher(local_terms) if local_terms else None
            concepts: list[Concept] = []
            n_chunks = 0
            for start, end in split_chunks(text, self.chunk_chars):
                n_chunks += 1
                chunk = text[start:end]
                if chunk.isspace():
                    continue
                with self._zone():
                    concepts.extend(self._extract_chunk(chunk, start, local, sections,
                                                        sections.folded[start:end]))
        concepts = specified_by_note(type_diabetes(concepts, self._display), self._display)
        concepts = indication_atc(concepts, self._display, text)
        concepts = aspirin_dose(oral_atc(concepts, text, self._display), text, self._display)
        concepts = antibiotic_metronidazole(concepts, text, self._display)
        concepts = ocular_atc(concepts, text, self._display)
        concepts = label_mentions(taken_drugs(apposition(concepts, text), text), sections.folded)
        concepts = prevented_diseases(concepts, sections.folded)
        concepts = organ_oedema(qualifying_adjectives(identifiers(concepts, text), text), text)
        concepts = iron_deficiency(class_with_molecule(drops_no_gout(concepts, text), text), text, self._display)
        concepts = evoked_cause(known_on_demand(persisting_signs(concepts, text, sections.folded), text), text)
        concepts = compound_signs(concepts, self._display)
        concepts.sort(key=lambda c: (c.start, c.end, c.system, c.code))
        log.debug(
            "nlp extract: %d chars, %d chunks, %d concepts, %.1f ms",
            len(text), n_chunks, len(concepts), (time.perf_counter() - t0) * 1000,
        )
        return concepts

    # ------------------------------------------------------------ internals
    def _zone(self):
        if self._memory_zone is None or len(self.nlp.vocab.strings) < self._vocab_limit:
            return contextlib.nullcontext()
        return self._memory_zone()

    def _local_matcher(self, local_terms: Sequence[LocalTerm]) -> _LocalMatcher:
        key = local_terms_hash(local_terms)
        matcher = self._local_cache.get(key)
        if matcher is not None:
            self._local_cache.move_to_end(key)
            return matcher
        t0 = time.perf_counter()
        matcher = _LocalMatcher(self.nlp, local_terms)
        self._local_cache[key] = matcher
        while len(self._local_cache) > LOCAL_MATCHER_CACHE_SIZE:
            self._local_cache.popitem(last=False)
        log.info(
            "local terminology matcher built: %d concepts, %d patterns, %.1f ms",
            len(local_terms), matcher.size, (time.perf_counter() - t0) * 1000,
        )
        return matcher

    def _key(self, match_id: int, matcher: int) -> tuple[str | None, str] | None:
        """(system, code) of a terminology match key, None if the key is no
        valid code; memoised (the keys are the patterns' labels)."""
        found = self._keys.get(match_id, 0)
        if found == 0:
            key = self.nlp.vocab.strings[match_id]
            if matcher < 2:  # the lexicon: "icd10|E11", "atc|A10BA02", "ignore|x"
                found = parse_key(key)
            elif matcher == 2:  # eds.drugs: an ATC code
                code = clean_atc(key)
                found = (ATC_SYSTEM, code) if code is not None else None
            else:  # ATIH labels: a raw ICD-10 code
                found = (ICD10_SYSTEM, format_icd10(key))
            self._keys[match_id] = found
        return found

    # every weight change of WEIGHT_CHANGES ends with its unit: without one, its two scans are skipped
    _WEIGHT_HINT = re.compile(r"kg|kilo", re.IGNORECASE)

    def _candidates(self, doc, text: str | None = None, folded: str | None = None) -> list[Candidate]:
        """``folded``: ``fold_chars(text)`` if the caller has it."""
        text = doc.text if text is None else text  # doc.text re-joins every token
        from spacy.attrs import IDX, LENGTH, ORTH

        cands: list[Candidate] = []
        idx, length, orth = doc.to_array([IDX, LENGTH, ORTH]).T.tolist() if len(doc) else ([],) * 3
        # the tokens' text is the note's unless the tokenizer skipped characters
        source = text if idx and idx[-1] + len(doc[-1].text_with_ws) == len(text) else doc.text
        strings = doc.vocab.strings
        for m, (matcher, priority) in enumerate(zip(self._terminologies,
                                                   (P_LEXICON, P_LEXICON, P_DRUG, P_CIM10))):
            for match_id, start, end in (matcher(doc) if idx else ()):
                found = self._key(match_id, m)
                if found is None:
                    continue
                start_char, end_char = idx[start], idx[end - 1] + length[end - 1]
                if m < 2:
                    last = strings[orth[end - 1]]
                    if last.endswith(".") and (end - start > 1 or len(last) > 1):
                        end_char -= 1  # "EP." is one token
                elif m == 3 and _BARE_CODE.match(source[start_char:end_char]):
                    continue
                cands.append(Candidate(start, end, start_char, end_char, priority, *found))
        if self._WEIGHT_HINT.search(text):
            for pattern, weight_code in WEIGHT_CHANGES:
                cands.extend(_pattern_candidates(doc, pattern.finditer(text), P_LEXICON, ICD10_SYSTEM,
                                                 weight_code))
        folded = (fold_chars(text) if folded is None else folded).replace("\u2019", "'")
        if _CANCER_HINT.search(folded):
            cands.extend(_pattern_candidates(doc, _CANCER_MODIFIED.finditer(folded), P_LEXICON,
                                             ICD10_SYSTEM, lambda m: _CANCER_ORGANS[m.group("organ")]))
        if _PILL_HINT.search(folded):
            cands.extend(_pattern_candidates(doc, _NAMED_PILL.finditer(folded), P_CONTEXT, ATC_SYSTEM,
                                             lambda m: _PILLS[m.group("pill")], group="pill"))
        cands.extend(_context_candidates(doc, text, folded))
        if "osteoporose" in folded:
            cands.extend(_pattern_candidates(doc, _OSTEOPOROSIS_FRACTURE.finditer(folded), P_CONTEXT,
                                             ICD10_SYSTEM, OSTEOPOROSIS_FRACTURE_CODE, group="head"))
        cands.extend(_pattern_candidates(doc, _FEVER_FIGURE.finditer(text), P_LEXICON, ICD10_SYSTEM,
                                         FEVER_CODE))
        labels = self.payload.icd_labels
        written = (m for m in _WRITTEN_CODE.finditer(text) if m.group(1) + m.group(2) in labels)
        cands.extend(_pattern_candidates(doc, written, P_WRITTEN_CODE, ICD10_SYSTEM,
                                         lambda m: format_icd10(m.group(1) + m.group(2))))
        return cands

    def _display(self, system: str, code: str) -> str | None:
        p = self.payload
        display = p.lexicon_displays.get((system, code))
        if display:
            return display
        if system == ICD10_SYSTEM:
            return p.icd_labels.get(code.replace(".", ""))
        if system == ATC_SYSTEM:
            return p.atc_labels.get(code)
        return None

    @staticmethod
    def _in_history_sentence(ends: list[int], pos: int, cues: list[int]) -> bool:
        """A history cue in the sentence of ``pos``; ``ends`` are the sorted
        sentence-end offsets of the chunk (its length last)."""
        i = bisect.bisect_right(ends, pos)
        start = ends[i - 1] if i else 0
        end = ends[i] if i < len(ends) else ends[-1]
        j = bisect.bisect_left(cues, start)
        return j < len(cues) and cues[j] < end

    @staticmethod
    def _in_hedged_parenthesis(chunk: str, start: int) -> bool:
        """A drug inside a "(" opened at most 40 characters before it, after a hedged treatment
        (``_HEDGED_TREATMENT_BEFORE``; round 16)."""
        opening = chunk.rfind("(", max(0, start - 40), start)
        if opening < 0 or ")" in chunk[opening:start]:
            return False
        before = chunk[max(0, opening - 120):opening + 1]
        return _HEDGED_TREATMENT_BEFORE.search(fold_chars(before).rstrip("( ") + " (") is not None

    @staticmethod
    def _lab_result(cand: Candidate, chunk: str) -> bool:
        """A drug name that is a dosed hormone or vitamin, or a disease
        abbreviation that is a lab analyte, followed by its result."""
        if cand.system == ATC_SYSTEM:
            return cand.code.startswith(ANALYTE_ATC) and bool(_LAB_RESULT.match(chunk, cand.cend))
        term = chunk[cand.cstart:cand.cend]
        return len(term) <= 4 and term.isupper() and bool(_ABBREV_RESULT.match(chunk, cand.cend))

    def _parse_pipes(self) -> list:
        """The token pipes as :meth:`_parse` runs them, same output: edsnlp's sentence segmenter replaced by
        :class:`~nlp.components.FastSentences` when it can stand in for it, and the NORM rewriters one after the
        other (normaliser, typos) in one :class:`~nlp.components.ChainedRewriter` pass. Built at the first call."""
        pipes = self.__dict__.get("_fast_pipes")
        if pipes is None:
            from .components import ChainedRewriter, FastSentences, _NormRewriter

            pipes = []
            for pipe in self._token_pipes:
                if isinstance(pipe, _NormRewriter) and pipes and isinstance(pipes[-1], _NormRewriter):
                    last = pipes.pop()
                    pipe = ChainedRewriter((*getattr(last, "steps", (last,)), pipe))
                elif type(pipe).__name__ == "SentenceSegmenter":
                    pipe = FastSentences.of(pipe, self.nlp.vocab) or pipe
                pipes.append(pipe)
            self._fast_pipes = pipes
        return pipes

    def _parse(self, chunk: str, local: _LocalMatcher | None, folded: str | None = None):
        """The parsed chunk and its deduplicated candidates, each with its
        display, sorted by position (local terms may overlap the others)."""
        # a typographic apostrophe is tokenised apart from its letter ("l", "’", "ovaire"):
        # parse the note with the straight one (same length, so the offsets hold)
        doc = self.nlp.make_doc(chunk.replace("\u2019", "'") if "\u2019" in chunk else chunk)
        for pipe in self._parse_pipes():
            doc = pipe(doc)
        selected = [c for c in select_spans(self._candidates(doc, chunk, folded))
                    if c.system is not None and not self._lab_result(c, chunk)]
        items: list[tuple[Candidate, str | None]] = [
            (c, self._display(c.system, c.code)) for c in selected
        ]
        if local is not None:
            items += [(c, local.displays.get((c.system, c.code))) for c in select_spans(local(doc))]
        items.sort(key=lambda item: (item[0].start, item[0].end))
        return doc, items

    def _extract_chunk(self, chunk: str, offset: int, local: _LocalMatcher | None,
                       sections: SectionIndex | None = None,
                       folded: str | None = None) -> list[Concept]:
        """``folded``: ``fold_chars(chunk)`` if the caller has it."""
        doc, items = self._parse(chunk, local, folded)
        qualifications = self._qualifier(doc, [(c.start, c.end) for c, _ in items])

        out = []
        reporters = None
        history_cues = None
        conditions = None
        for (cand, display), q in zip(items, qualifications):
            hypothesis = q.hypothesis
            if hypothesis:
                cues = [fold_chars(doc[s:e].text) for s, e in q.hypothesis_cues]
                if cand.system == ATC_SYSTEM and all(c in CONDITIONAL_CUES or c in PREVENTION_CUES for c in cues):
                    hypothesis = False  # "Doliprane si douleurs": prescribed, taken
                elif cand.system == ICD10_SYSTEM and cues and all(
                        _TREATMENT_CUE.match(c) for c in cues):
                    hypothesis = False  # "ablation du flutter proposée": flutter affirmed
                elif cand.system == ICD10_SYSTEM and cand.code.startswith(_FINDING_PREFIXES) and cues and all(
                        _EXPLORATION_CUE.match(c) for c in cues):
                    hypothesis = False  # "Anémie à explorer": the anaemia is there (round 16)
            if not hypothesis and not q.negation and cand.system == ATC_SYSTEM:
                hypothesis = self._in_hedged_parenthesis(chunk, cand.cstart)
                if not hypothesis:
                    if conditions is None:
                        conditions = _disease_conditions(doc, items, qualifications)
                    hypothesis = bool(conditions) and _on_condition(doc, cand, conditions)
            family = q.family
            if family:
                if reporters is None:
                    folded = folded or fold_chars(chunk)
                    reporters = [m.span() for m in _REPORTER.finditer(folded)]
                cue_chars = [(doc[a].idx, doc[b - 1].idx + len(doc[b - 1])) for a, b in q.family_cues]
                if all(any(s <= cs and ce <= e for s, e in reporters) for cs, ce in cue_chars):
                    family = False  # "sa fille note des oublis": a relative reporting
                elif all(cand.start <= a and b <= cand.end for a, b in q.family_cues):
                    family = False  # round 18b: the concept's own words ("thrombose des veines jumelles")
                elif all(fold_chars(doc[a:b].text) in SPOUSES for a, b in q.family_cues):
                    continue  # round 16: "son mari est diabétique": no blood relative, not the patient
            kind = sections.kind_at(offset + cand.cstart) if sections is not None else None
            if kind == "family":
                family = True
            negation = q.negation
            if cand.code in DENYING_WORDS and fold_chars(chunk[cand.cstart:cand.cend]) in DENYING_WORDS[cand.code]:
                negation, hypothesis = True, False  # round 15: "Apyrétique", "afébrile": no fever
            elif hypothesis and cand.code in DENYING_WORDS and not negation and q.hypothesis_cues and all(
                    fold_chars(doc[a:b].text) in CONDITIONAL_CUES for a, b in q.hypothesis_cues):
                folded = folded or fold_chars(chunk)
                if any(w in folded[:cand.cstart] for w in DENYING_WORDS[cand.code]):
                    # "Apyrétique ... Doliprane si fièvre": the denied sign again (as round 14a's
                    # "Pas de fièvre ... en cas de fièvre", qualifiers._conditional_repeat)
                    negation, hypothesis = True, False
            assertion = resolve_assertion(family, negation, hypothesis)
            history = False
            if cand.system == ICD10_SYSTEM:
                if kind == "history":
                    history = True
                else:
                    if history_cues is None:
                        folded = folded or fold_chars(chunk)
                        history_cues = [m.start() for m in _HISTORY_CUE.finditer(folded)]
                        # the sentences are only needed around a cue
                        sentence_ends = [m.end() for m in _SENTENCE_END.finditer(chunk)] if history_cues else []
                        sentence_ends.append(len(chunk))
                    if history_cues:
                        history = self._in_history_sentence(sentence_ends, cand.cstart,
                                                            history_cues)
            out.append(
                Concept(
                    system=cand.system,
                    code=cand.code,
                    display=display,
                    text=chunk[cand.cstart:cand.cend],
                    start=offset + cand.cstart,
                    end=offset + cand.cend,
                    assertion=assertion,
                    history=history,
                )
            )
        return out
