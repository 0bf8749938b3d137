"""Negation, hypothesis and family context of the engine's spans, in one pass.

The three edsnlp qualifiers (``eds.negation``, ``eds.hypothesis``,
``eds.family``) each ran their own cue matcher over the note, created a spaCy
``Span`` per cue and wrote their flags through span extensions: about 40 % of
the engine's time. :class:`CueQualifier` keeps their cue lists and their
rules, but matches every cue of the three at once (one phrase matcher on
NORM, keys ``"<qualifier>|<label>"``) and works on token indices:

* cues are kept only inside a sentence that holds the start of a span;
* scopes are the sentences, cut at each termination cue of the qualifier;
* a pseudo cue removes the cues it overlaps when it is at least as long
  (edsnlp's ``filter_spans(label_to_remove="pseudo")``);
* negation / hypothesis: a "preceding" cue (or verb) before the span, or a
  "following" one after it, in the same scope; family: a family cue anywhere
  in the scope. A span crossing a scope boundary is qualified by any of them.

Rules of ours (``own_rules``), each about a scope edsnlp's rules cut short:

* a plural negative result right after a list of spans joined by "et" or ","
  negates each of them ("sérologies VIH et hépatite B négatives", "toux,
  fièvre : absentes"), although "et" and "," end the scope of a cue;
* a cue followed by ":" introduces a list, and qualifies every span of it up
  to the end of the sentence, ";", "mais" or the end of its line ("Pas de :
  fièvre, toux, dyspnée", "Hypothèses : pneumopathie, embolie", "Mère : HTA,
  diabète"); a colon that ends its line introduces the bullet lines below it
  (up to a line without a bullet or a blank line);
* a span coordinated to the previous one by a repeated preposition ("absence
  de fièvre et de toux", "pas de fièvre, de toux ou de dyspnée") shares the
  preceding negation or hypothesis cue of that span;
* round 8, the hypothesis: a trailing "?" does not reach back over a ":",
  "traité par" / "sous" ends it before a drug, a span after "de son/sa" is a
  known disease, a cue after "d'origine ..." hedges the cause, "à type de"
  shares the previous span's hypothesis;
* round 9 (docs/nlp-engine.md): a negative result inside a condition ("si
  ... négatif") negates nothing before it; the event of a chronic disease
  ("poussée de Crohn") presupposes it; "X, de type Y, est possible" hedges
  X; diagnostic list titles with a complement and numbered items; a
  screening cue, a span and ":" hedge the list; a drug the patient takes or
  stops, or named as the cause of a hedged event, is not hedged; a ":"
  after a hedged diagnosis ends the cue;
* "following" regex cues for the negation: "n'a finalement pas été
  retrouvé", "n'a jamais été confirmée", "n'a pas été repris" (edsnlp's "ne
  ... pas" regex only knows "ne" before the span);
* round 12a (docs/nlp-engine.md, "Round 12a: assertion classes"): the child
  who is the patient ("chez un enfant de 4 ans"), a test ordered for a
  disease (a hypothesis), a treatment given "si X se confirme", a finding
  repeated in a condition ("Doliprane si fièvre") after the note gives it,
  a suspicion settled afterwards ("confirmée", ", finalement écartée"), lists
  of differentials with their articles, "X avec Y est écarté", the evidence
  subject of a verb of reasoning ("la toux évoque ..."), a predicate cue
  before ":", the relative of a ", dont" / age / participle clause.

``tests/test_nlp_qualifiers.py`` checks the flags against the edsnlp
qualifiers, built with the same cues, on the development letters.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, chain
from operator import add
from typing import NamedTuple, Sequence

NEGATION, HYPOTHESIS, FAMILY = "negation", "hypothesis", "family"
QUALIFIER_NAMES = (NEGATION, HYPOTHESIS, FAMILY)
PSEUDO, TERMINATION = "pseudo", "termination"
OWN = "+own"  # label suffix of the cues of ours (see cue_terms)
PRECEDING = frozenset({"preceding", "verbs_preceding"})
FOLLOWING = frozenset({"following", "verbs_following"})


class Qualification(NamedTuple):
    """The context of one span; cues are (start, end) token ranges."""

    negation: bool
    hypothesis: bool
    hypothesis_cues: tuple[tuple[int, int], ...]
    family: bool
    family_cues: tuple[tuple[int, int], ...]


# Round 8 (docs/nlp-engine.md): hypothesis cue families the merged lists of
# nlp/pipeline.py lack. "X ne peut être exclu", "on ne peut exclure X", "X
# non éliminé": not ruled out is a hypothesis, so these are also negation
# pseudo cues (they remove "exclu", "éliminé", "ne ... pas" under them).
_NOT_EXCLUDED = [f"{p} {v}{g}" for p in ("non", "pas", "ne peut être", "ne peut pas être",
                                        "ne peuvent être", "ne peuvent pas être")
                 for v in ("exclu", "éliminé", "écarté") for g in ("", "e", "s", "es")]
_CANNOT_EXCLUDE = [f"{p} {v}" for p in ("ne peut", "ne peut pas", "on ne peut", "on ne peut pas",
                                        "ne pas", "sans", "ne permet pas d'", "ne permettant pas d'",
                                        "impossible d'", "ne peuvent", "ne peuvent pas",
                                        # round 12a: "nous ne pouvons exclure", "on ne peut
                                        # formellement éliminer", "il n'est pas possible d'écarter"
                                        "ne pouvons", "ne pouvons pas", "ne peut formellement",
                                        "ne peut pas formellement", "ne pouvons formellement",
                                        "n'est pas possible d'", "pas possible d'",
                                        # round 17a: "sans que l'on puisse écarter une salpingite"
                                        "sans que l'on puisse", "sans qu'on puisse", "sans que nous puissions",
                                        "sans que l'on ne puisse", "sans pouvoir", "sans pouvoir formellement")
                   for v in ("exclure", "éliminer", "écarter")]
_CANNOT_EXCLUDE = [c.replace("' ", "'") for c in _CANNOT_EXCLUDE]
# "ne pas méconnaître une dissection": a diagnosis not to miss
_NOT_TO_MISS = [f"{p}{v}" for p in ("ne pas ", "à ne pas ") for v in (
    "méconnaître", "méconnaitre", "passer à côté d'", "passer à côté de", "manquer", "rater")]
# Round 9: a test planned "pour écarter / afin d'exclure X" looks for X, it
# does not deny it (edsnlp's negating verb "écarter" read it as negated)
_TO_RULE_OUT = [f"{p}{v}" for p in ("pour ", "afin d'", "afin de ", "en vue d'", "de façon à ")
                for v in ("écarter", "éliminer", "exclure", "infirmer")]
_TO_LOOK_FOR = [f"{p}{v}" for p in ("pour ", "afin de ", "en vue de ")
                for v in ("rechercher", "dépister", "confirmer", "documenter", "préciser")]
# Round 11: "une tuberculose doit être éliminée", "devra être exclue": a workup
# still to do, a hypothesis (edsnlp's "éliminé" after the span read it as negated)
_MUST_RULE_OUT = [f"{aux} {v}{g}" for aux in ("doit être", "doivent être", "devra être",
                                             "devront être", "devrait être", "devraient être",
                                             "sera", "seront")
                  for v in ("éliminé", "exclu", "écarté") for g in ("", "e", "s", "es")]
# "il faudra éliminer une insuffisance surrénale", "il convient d'exclure";
# "n'a pas pu être formellement éliminée"; "une leucémie est improbable" (as "peu probable")
_MUST_ELIMINATE = [f"{p}{v}" for p in ("il faut ", "il faudra ", "il faudrait ", "il convient d'",
                                       "il conviendra d'", "nécessité d'")
                   for v in ("éliminer", "exclure", "écarter")]
_MUST_RULE_OUT += [f"{h} {adv} {v}{g}" for h in ("n'a pas pu être", "n'a pu être", "ne peut être",
                                                 "ne peut pas être", "ne pouvant être")
                   for adv in ("formellement", "totalement", "complètement", "définitivement")
                   for v in ("éliminé", "exclu", "écarté") for g in ("", "e")]
IMPROBABLE = ["improbable", "peu vraisemblable"]
# round 15: "le bilan devra éliminer une tuberculose", "la biopsie doit exclure un lymphome": an active
# verb of ruling out after a modal (edsnlp's negating verb otherwise); "sarcoïdose non prouvée"
_MODAL_RULE_OUT = [f"{m} {v}" for m in ("devra", "devront", "doit", "doivent", "devrait", "devraient")
                   for v in ("éliminer", "écarter", "exclure", "rechercher", "infirmer")]
_NOT_PROVEN = [f"{n} prouvé{g}" for n in ("non", "pas", "n'est pas", "ne sont pas", "non encore", "pas encore")
               for g in ("", "e", "s", "es")]
# "En l'absence d'amélioration, relais par Augmentin", "À défaut, Tavanic", "En cas d'échec : Tavanic": a lead
# at a clause start whose ":" or "," is followed by the treatment held in reserve (_if_result_then)
_RESERVE_LEADS = [["en", "l'", "absence", "d'", "amelioration"], ["en", "l'", "absence", "d'", "efficacite"],
                  ["en", "l'", "absence", "de", "reponse"], ["en", "l'", "absence", "d'", "evolution"],
                  ["a", "defaut"],
                  # round 18a: "En cas d'intolérance, relais par Keppra"
                  ["en", "cas", "d'", "intolerance"], ["en", "cas", "de", "mauvaise", "tolerance"],
                  ["en", "cas", "d'", "effets", "secondaires"], ["en", "cas", "d'", "effets", "indesirables"],
                  ["en", "cas", "d'", "echec"],
                  ["en", "cas", "d'", "inefficacite"], ["en", "cas", "de", "non-amelioration"]]
_CONDITION_FIRST = frozenset({"si", "s'il", "s'ils", "s'", "en", "a"})
_IN_RESERVE = ["en l'absence d'amélioration", "en l'absence d'efficacité", "à défaut", "en cas d'échec",
               "en cas d'intolérance", "en cas de mauvaise tolérance",
               "en cas d'inefficacité", "si échec", "si inefficacité", "si pas d'amélioration",
               "en cas de non-amélioration", "en l'absence de réponse", "en deuxième intention",
               "en seconde intention", "en 2e intention", "en 2ème intention", "en 2nde intention",
               "en troisième intention"]
NOT_RULED_OUT = [*_MODAL_RULE_OUT, *_NOT_PROVEN, *_NOT_EXCLUDED, *_CANNOT_EXCLUDE, *_NOT_TO_MISS, *_TO_RULE_OUT,
                 *_MUST_RULE_OUT, *_MUST_ELIMINATE, *IMPROBABLE]
# Round 11: "un rejet n'est pas suspecté" denies; "suspecté" is then no hypothesis
NOT_SUSPECTED = [f"{n} {v}{g}" for n in ("non", "pas") for v in ("suspecté", "évoqué")
                 for g in ("", "e")]
HYPOTHESIS_PRECEDING = [
    *_CANNOT_EXCLUDE, *_NOT_TO_MISS, "à suspecter", "suspecter", "vs", "versus",
    # round 11: "on discute une sarcoïdose", "nous proposons l'introduction d'Eliquis"
    "on discute", "nous discutons", "se discute", "se discutent", "on propose", "nous proposons",
    "je propose", "proposons", *_MUST_ELIMINATE,
    "diagnostic différentiel avec", "diagnostics différentiels avec", "orientation diagnostique",
    # "le tableau fait craindre", "faisant redouter"
    *[f"{v} {w}" for v in ("fait", "font", "faisant", "faire") for w in ("craindre", "redouter",
                                                                      "évoquer", "suspecter")],
    "craindre", "redouter",
    # titles of a list: "Hypothèses diagnostiques :", "Pistes diagnostiques :"
    "hypothèse diagnostique", "hypothèses diagnostiques", "piste diagnostique",
    "pistes diagnostiques", "diagnostic incertain", "diagnostics possibles", "diagnostic possible",
    "diagnostic probable", "diagnostics probables", "diagnostic à évoquer", "diagnostics à évoquer",
    "diagnostic à éliminer", "diagnostics à éliminer", "probablement", "possiblement",
    # round 17a: a sentence adverb and its comma ("Moins probablement, une embolie pulmonaire"): the comma
    # inside the cue ends no scope
    *[f"{d}{a}," for d in ("", "plus ", "moins ", "très ", "peut-être ", "mais ") for a in (
        "probablement", "possiblement", "vraisemblablement")], "peut-être,", "éventuellement,",
    *_TO_RULE_OUT, *_TO_LOOK_FOR,
    # round 15: "présomption d'EP", "il n'est pas impossible qu'il s'agisse d'un lymphome",
    # "le bilan devra éliminer une tuberculose" (an active verb of ruling out after a modal)
    "présomption de", "présomption d'", "forte présomption de", "forte présomption d'",
    "il n'est pas impossible que", "il n'est pas impossible qu'", "n'est pas impossible que",
    "n'est pas impossible qu'", "voire",
    *_MODAL_RULE_OUT, "avant de retenir",
    # round 15: a treatment held in reserve ("En l'absence d'amélioration, relais par Augmentin", "À défaut,
    # Tavanic"); treatment cues too (nlp/pipeline.py), so a disease after them stays affirmed
    *_IN_RESERVE,
    # round 15: "discussion d'anakinra en cas de corticodépendance", "discussion d'un relais par
    # Xarelto": a treatment weighed (a drug only: nlp/pipeline.py's treatment cues keep a disease)
    "discussion de", "discussion d'", "discussion du", "discussion des",
]
_IS = ("est", "reste", "demeure", "constitue", "serait", "restant", "demeurant", "constituant")
HYPOTHESIS_FOLLOWING = [
    *_NOT_EXCLUDED, "vs", "versus", "à suspecter", "est à suspecter", "restent à éliminer",
    "reste à confirmer", "restent à confirmer",
    "à écarter", "à infirmer", "reste à discuter", "restent possibles", "plausible", "plausibles",
    "incertain", "incertaine", "non certain", "non certaine", "est suspecté", "est suspectée",
    # round 11: "X doit être recherché(e)", "un lymphome est le principal diagnostic différentiel"
    *IMPROBABLE, *_MUST_RULE_OUT, *[f"{aux} recherché{g}" for aux in ("doit être", "doivent être", "devra être")
                       for g in ("", "e")],
    *[f"{v} {d} diagnostic différentiel" for v in _IS
      for d in ("le", "un", "le principal", "un autre", "l'autre", "le premier", "le seul")],
    # "une EP reste une hypothèse", "se discute", "pourrait expliquer le tableau",
    # "est en discussion en RCP", "reste à documenter"
    *[f"{v} {d}" for v in _IS for d in ("une hypothèse", "l'hypothèse", "une possibilité",
                                         "une piste", "l'hypothèse principale",
                                         # round 16: "X est la première hypothèse", "reste notre hypothèse"
                                         "la première hypothèse", "la principale hypothèse", "notre hypothèse",
                                         "notre hypothèse principale", "notre première hypothèse",
                                         "la seconde hypothèse", "la deuxième hypothèse", "une autre hypothèse",
                                         "l'autre hypothèse", "la première piste", "la principale piste",
                                         "notre principale hypothèse", "l'hypothèse la plus probable")],
    *[f"{v}{w}" for v in ("se ", "peut se ", "pourra se ", "pourrait se ", "doit se ")
      for w in ("discuter", "discute", "discutera", "poser", "pose")],
    *[f"{v} {w}" for v in ("pourrait", "pourraient", "pouvant", "peut", "pourrait aussi")
      for w in ("expliquer", "être en cause", "rendre compte", "être responsable", "être à l'origine")],
    *[f"{v} {d}" for v in ("sont", "restent") for d in (
        "les hypothèses", "les deux hypothèses", "les principales hypothèses", "des hypothèses",
        "les diagnostics différentiels", "les deux diagnostics différentiels")],
    *[f"{v} nécessaire" for v in ("pourra être", "pourrait être", "pourront être", "sera peut-être")],
    "serait en cause", "seraient en cause", "en discussion", "est en discussion",
    "à l'étude", "est à l'étude", "en cours de discussion",
    "à documenter", "reste à documenter", "restent à documenter",
    # round 15: "Augmentin si échec", "Januvia en deuxième intention"
    *_IN_RESERVE,
    # round 15: "une pneumopathie pourrait correspondre au tableau", "une sarcoïdose est à considérer",
    # "X est au second plan", "X entre dans le cadre du diagnostic différentiel", "X reste la piste
    # privilégiée", "sarcoïdose non prouvée"
    *[f"{v} correspondre" for v in ("pourrait", "pourraient", "peut", "peuvent", "pouvant")],
    "à considérer", "est à considérer", "sont à considérer",
    "au second plan", "est au second plan", "reste au second plan", "au second rang",
    "entre dans le cadre du diagnostic différentiel", "entre dans le diagnostic différentiel",
    "fait partie du diagnostic différentiel", "font partie du diagnostic différentiel",
    *[f"{a}piste privilégiée" for a in ("", "la ", "une ")], "la piste principale",
    *_NOT_PROVEN,
    # round 9: "ostéomyélite à ne pas méconnaître", a diagnosis not to miss
    *[f"à ne pas {v}" for v in ("méconnaître", "méconnaitre", "manquer", "rater", "négliger")],
]
# Round 11: words that join two drugs of one proposal; the termination inside
# them ("avec") does not end the scope of a hypothesis cue: "un relais par Xarelto
# en association avec l'aspirine pourra être discuté" hedges the Xarelto too.
# A cue of its own label ("bridge") that qualifies nothing.
BRIDGES = [f"{h} {p}" for h in ("en association", "associé", "associée", "en combinaison")
           for p in ("avec", "avec le", "avec la", "avec l'", "à", "au", "aux")]
BRIDGES = [b.replace("' ", "'") for b in BRIDGES]
# Round 9: drugs not given ("Seroplex non introduit"), as the "n'a pas été
# introduit" regex of nlp/pipeline.py already reads them
NEGATION_FOLLOWING = [f"{n} {v}{g}" for n in ("non", "pas") for v in (
    "introduit", "débuté", "instauré", "prescrit", "repris", "réintroduit", "poursuivi")
    for g in ("", "e")] + NOT_SUSPECTED + [
    # round 15: "la cystite radique n'est pas en cause", "le Kardégic ne semble pas en cause",
    # "l'amiodarone est mise hors de cause"
    f"{v} pas en cause" for v in ("n'est", "ne sont", "ne semble", "ne semblent", "ne paraît", "ne paraissent",
                                  "ne serait", "n'était", "n'a pas été mis", "n'a pas été mise")] + [
    f"{v} hors de cause" for v in ("mis", "mise", "mis", "mises", "est", "sont", "semble", "paraît")]
NEGATION_FOLLOWING = list(dict.fromkeys(NEGATION_FOLLOWING))
# Round 9: "X suspecté au vu de Y", "étant donné Y": Y is the evidence, out of
# the scope of a cue about X (as "devant", "compte tenu de" in nlp/pipeline.py)
EVIDENCE_TERMINATION = ["au vu de", "au vu du", "au vu des", "au vu d'", "vu le", "vu la", "vu les",
                        "étant donné", "eu égard à", "eu égard au", "eu égard aux",
                        # round 15: "origine vasculaire possible dans ce contexte d'HTA": the
                        # context named is the evidence, the patient's
                        *[f"dans {d} contexte {p}" for d in ("ce", "un", "le") for p in ("de", "d'")],
                        "sur un terrain de", "sur un terrain d'", "sur terrain de", "sur terrain d'"]
# "Dépistage de la rétinopathie chez ce patient diabétique": the patient
# described after "chez" is out of the cue's scope (as "chez un patient"),
# and so is what the hypothesis led to
HYPOTHESIS_TERMINATION = [
    *[f"chez {w}" for w in ("ce patient", "cette patiente", "le patient", "la patiente",
                            "cet enfant", "ce", "cette", "cet")],
    # "suspicion de SCA ayant motivé l'introduction de Kardégic": what was done
    "ayant motivé", "a motivé", "motivant", "justifiant", "ayant justifié", "ayant conduit à",
    "ayant conduit au", "conduisant à", "conduisant au",
]


# Round 14a: a sentence adverb inside a cue ("une néoplasie doit toutefois être écartée",
# "une sarcoïdose n'est cependant pas exclue", "un lymphome doit aussi être éliminé"): the
# cue with the adverb after its first verb, for the cues about ruling out or confirming
_CUE_ADVERBS = ("toutefois", "néanmoins", "cependant", "également", "aussi", "donc")
_CUE_VERBS = frozenset({"doit", "doivent", "devra", "devront", "devrait", "devraient", "reste", "restent",
                        "est", "sont", "peut", "peuvent", "pouvons", "sera", "seront", "faut", "faudra",
                        "faudrait", "convient", "a", "pu"})
_CUE_OBJECTS = ("exclu", "élimin", "écart", "confirm", "retenu", "discut", "recherch", "infirm")


def with_adverbs(cues: Sequence[str]) -> list[str]:
    """``cues`` about ruling out or confirming, each with every ``_CUE_ADVERBS``
    after its first verb ("doit être écartée" -> "doit toutefois être écartée")."""
    out = []
    for cue in cues:
        words = cue.split(" ")
        if not any(o in cue for o in _CUE_OBJECTS):
            continue
        if words[0] == "à":  # "une néoplasie est toutefois à éliminer" (the adverb inside the cue)
            out += [f"{v} {adv} {cue}" for v in ("est", "reste") for adv in _CUE_ADVERBS]
            continue
        i = next((i for i, w in enumerate(words) if w.removeprefix("n'") in _CUE_VERBS), None)
        if i is None or i == len(words) - 1:
            continue
        out += [" ".join([*words[:i + 1], adv, *words[i + 1:]]) for adv in _CUE_ADVERBS]
    return out


def cue_terms(cues: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """The terms each edsnlp qualifier would match, per label, given the
    merged cue lists of ``nlp/pipeline.py``: the verbs are conjugated as
    edsnlp does (negating verbs: present, participles, infinitive before the
    span, past participle after; hypothesis verbs: every tense before, past
    participle after, plus the conditional of edsnlp's common verbs).

    The cues this module adds (rounds 8 and 9) are under ``<label>+own``:
    rules of ours, which ``CueQualifier(..., own_rules=False)`` leaves out."""
    from edsnlp.pipes.qualifiers.family import patterns as fam
    from edsnlp.pipes.qualifiers.hypothesis import patterns as hyp
    from edsnlp.pipes.qualifiers.hypothesis.hypothesis import HypothesisQualifier
    from edsnlp.pipes.qualifiers.negation import patterns as neg
    from edsnlp.pipes.qualifiers.negation.negation import NegationQualifier

    neg_pre, neg_fol = NegationQualifier.load_verbs(None, neg.verbs)
    hyp_pre, hyp_fol = HypothesisQualifier.load_verbs(None, verbs_hyp=hyp.verbs_hyp,
                                                      verbs_eds=hyp.verbs_eds)
    # round 18a: "douleurs thoraciques explorées par coroscanner", "fausses couches à répétition explorées": what
    # was explored is there (the past participle is no hedge; "à explorer" stays one, see pipeline)
    hyp_fol = [v for v in hyp_fol if not v.startswith("explor")]

    def more(label, base, extra):
        """{label: base, label+own: what extra adds}"""
        added = [c for c in dict.fromkeys(extra) if c not in set(base)]
        return {label: list(base), label + OWN: added}

    return {
        NEGATION: {
            **more(PSEUDO, cues["negation_pseudo"],
                   [*NOT_RULED_OUT, *with_adverbs([*cues["negation_pseudo"], *NOT_RULED_OUT])]),
            "preceding": cues["negation_preceding"],
            **more("following", cues["negation_following"], NEGATION_FOLLOWING),
            **more(TERMINATION, cues["termination"], EVIDENCE_TERMINATION),
            "verbs_preceding": neg_pre, "verbs_following": neg_fol,
        },
        HYPOTHESIS: {
            **more(PSEUDO, cues["hypothesis_pseudo"], NOT_SUSPECTED),
            **more("preceding", cues["hypothesis_preceding"],
                   [*HYPOTHESIS_PRECEDING, *with_adverbs([*cues["hypothesis_preceding"], *HYPOTHESIS_PRECEDING])]),
            **more("following", cues["hypothesis_following"],
                   [*HYPOTHESIS_FOLLOWING, *with_adverbs([*cues["hypothesis_following"], *HYPOTHESIS_FOLLOWING])]),
            **more(TERMINATION, cues["hypothesis_termination"],
                   [*HYPOTHESIS_TERMINATION, *EVIDENCE_TERMINATION]),
            **more("bridge", [], BRIDGES),
            "verbs_preceding": hyp_pre, "verbs_following": hyp_fol,
        },
        FAMILY: {
            "family": list(dict.fromkeys([*fam.family, *cues["family"]])),
            **more(TERMINATION, cues["family_termination"], EVIDENCE_TERMINATION),
        },
    }


def negation_regex() -> list[str]:
    """edsnlp's regex negation cues ("ne ... pas"), matched on the NORM text."""
    from edsnlp.pipes.qualifiers.negation import patterns as neg

    return list(neg.preceding_regex)


def sentence_starts(doc) -> list[int]:
    """Token indices where sentences start, plus len(doc), from the
    SENT_START array (``span.sent`` walks the tokens at each call)."""
    from numpy import flatnonzero
    from spacy.attrs import SENT_START

    starts = flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    # round 18a: the period of an initial ("à E. coli probable", "colite à C. difficile") ends no sentence
    starts = [j for j in starts if not (j >= 2 and doc[j - 1].text == "." and len(doc[j - 2].text) == 1
                                        and doc[j - 2].text.isupper() and doc[j].text[:1].islower())]
    if len(doc) and (not starts or starts[0] != 0):
        starts.insert(0, 0)
    return starts + [len(doc)]


def _literal_first(pattern: str) -> str:
    r"""The same matches, its first letter first: ``\bne`` -> ``n(?<!\wn)e``. A pattern
    that starts with ``\b`` is tried at every character; one that starts with a
    literal only where that letter is (7x faster on the letters)."""
    c = pattern[2:3]
    if pattern.startswith("\\b") and c.isalpha() and c.isascii() and pattern[3:4] not in ("*", "+", "?", "{"):
        return f"{c}(?<!\\w{c})" + pattern[3:]
    return pattern


class CueQualifier:
    """The three qualifiers as one callable: ``qualifier(doc, spans)`` with
    ``spans`` the (start, end) token ranges, sorted, returns one
    :class:`Qualification` per span."""

    def __init__(self, nlp, terms: dict[str, dict[str, list[str]]], regex: Sequence[str],
                 following_regex: Sequence[str] = ()):
        from edsnlp.matchers.phrase import EDSPhraseMatcher
        from edsnlp.utils.regex_utils import compile_regex

        # the settings of edsnlp's qualifiers (RuleBasedQualifier)
        self.matcher = EDSPhraseMatcher(nlp.vocab, attr="NORM")
        flat = {f"{q}|{label}": patterns for q, labels in terms.items()
                for label, patterns in labels.items()}
        self.matcher.build_patterns(nlp=nlp, terms=flat)
        # key -> (qualifier, label, a cue of ours)
        self.keys = {nlp.vocab.strings[key]: (QUALIFIER_NAMES.index(key.partition("|")[0]),
                                              key.partition("|")[2].removesuffix(OWN),
                                              key.endswith(OWN)) for key in flat}
        # match key -> (qualifier, label), with and without the cues of ours; the regex cues
        # under the keys -1 (preceding) and -2 (following: ours)
        self.labels = {True: {k: v[:2] for k, v in self.keys.items()}, False: {
            k: v[:2] for k, v in self.keys.items() if not v[2]}}
        self.labels[True].update({-1: (0, "preceding"), -2: (0, "following")})
        self.labels[False][-1] = (0, "preceding")
        self.regexes = [compile_regex(_literal_first(r), 0) for r in regex]  # as edsnlp's RegexMatcher
        self.following_regexes = [compile_regex(_literal_first(r), 0) for r in following_regex]

    def __call__(self, doc, spans: Sequence[tuple[int, int]], *,
                 own_rules: bool = True) -> list[Qualification]:
        """``own_rules=False``: edsnlp's rules and cue lists only, without the cues of ours (for the tests)."""
        if not spans:
            return []
        starts = sentence_starts(doc)
        # sentences holding the start of a span; a cue must lie within one
        held = {bisect.bisect_right(starts, s) - 1 for s, _ in spans}
        per_q: list[list[tuple[int, int, str]]] = [[], [], []]
        labels = self.labels[own_rules]
        norms, text, spaces = self._norm_text(doc)
        regexes = self.regexes + self.following_regexes if own_rules else self.regexes
        regex_key = [-1] * len(self.regexes) + [-2] * len(self.following_regexes)
        found = chain(self.matcher(doc),
                      [(regex_key[r], s, e) for r, s, e in _align(regexes, norms, text, spaces, tagged=True)])
        n = len(norms)
        for key, s, e in found:
            q_label = labels.get(key)
            if q_label is None:  # a cue of ours, without own_rules
                continue
            q, label = q_label
            i = bisect.bisect_right(starts, s) - 1
            if e <= starts[i + 1] and (i in held or (  # a list's cue: "Pas de :\n- fièvre"
                    own_rules and e < n and (  # _colon_after(norms, e) is not None, inline
                        norms[e] == ":" or (norms[e] in _PREPOSITIONS and e + 1 < n and norms[e + 1] == ":")
                        or (q == 1 and _title_colon(norms, s, e) is not None)
                        # round 18a: "Les étiologies à discuter sont :"
                        or (q == 1 and norms[e] in _TITLE_COPULAS and e + 1 < n and norms[e + 1] == ":")))):
                per_q[q].append((s, e, label))
        if own_rules:
            per_q[2] = _not_relatives(norms, spans, starts, per_q[2])
            if "eventuel" in text:
                per_q[1] = _following_eventual(norms, spans, per_q[1])
        # the cues once the pseudo cues have removed theirs, per qualifier
        cues = [_filter_pseudo([m for m in matches if m[2] != TERMINATION]) for matches in per_q]
        neg = _scoped(spans, per_q[0], starts, PRECEDING, FOLLOWING, own_rules, cues[0])
        hyp = _scoped(spans, per_q[1], starts, PRECEDING, FOLLOWING, own_rules, cues[1])
        fam = _scoped(spans, per_q[2], starts, None, None, own_rules, cues[2])
        if own_rules:
            _colon_lists(doc, norms, spans, cues[0], neg, PRECEDING)
            _colon_lists(doc, norms, spans, cues[1], hyp, PRECEDING_LIST)
            _colon_lists(doc, norms, spans, cues[2], fam, {"family"})
            _family_introduction(doc, norms, spans, starts, cues[2], fam)
            _patient_named(norms, spans, starts, fam)
            _family_before_condition(norms, spans, fam)
            _colon_ends_preceding(norms, spans, neg)
            _post_cue_after_comma(norms, spans, cues[0], neg)
            _post_cue_after_comma(norms, spans, cues[1], hyp)
            _parenthesis_before_cue(norms, spans, cues[0], neg)
            _parenthesis_before_cue(norms, spans, cues[1], hyp)
            if "(" in text:
                _parenthesis_alternatives(norms, spans, cues[0], neg)
                _parenthesis_alternatives(norms, spans, cues[1], hyp)
            _coordinated(norms, spans, neg)
            _denied_or_list(norms, spans, neg)
            if "abandonn" in text or "delaiss" in text or "rejet" in text:
                _dropped_hypothesis(norms, spans, neg)
            _indefinite_complement(norms, spans, neg)
            if "eliminer" in text or "exclure" in text or "ecarter" in text:
                _plan_infinitive(norms, spans, starts, neg, hyp)
            if "meme" in text or "comme" in text:
                _likewise(norms, spans, neg)
            _under_treatment(norms, spans, neg, _TREATED)
            _conditional_clause(norms, spans, neg)
            _under_treatment(norms, spans, hyp, _TREATED)
            _taken_drug(norms, spans, hyp)
            _dosed_after_colon(norms, spans, hyp)
            _known_disease(norms, spans, neg)
            if "notamment" in text or "particulier" in text or "surtout" in text or "essentiellement" in text \
                    or "principalement" in text:
                _namely(norms, spans, cues[1], hyp)
            _coordinated(norms, spans, hyp)
            _conditional_list(norms, spans, hyp)
            _agent_following(norms, spans, hyp)
            if "meme" in text or "comme" in text:
                _likewise(norms, spans, hyp)
            joins = _joins(norms, spans)
            _coordinated_articles(norms, spans, joins, hyp)
            _distribute_plural_results(doc, norms, spans, neg, joins)
            if "negati" in text:
                _test_list_results(doc, norms, spans, starts, neg)
            if "?" in text:  # guards on the NORM text: the words a rule needs among the norms
                _question_after_colon(norms, spans, hyp)
            _origin_cue(norms, spans, hyp)
            _own_disease(norms, spans, hyp)
            if "type" in text:
                _type_of(norms, spans, hyp)
                _type_of_predicate(norms, spans, hyp)
            _distribute_following(norms, spans, joins, hyp)
            for rule in _HEDGE_RULES + _HEDGE_RULES_13A:  # rounds 12a, 13a
                rule(norms, spans, hyp)
            _round14a_hedges(norms, spans, hyp, text)
            _subject_with(norms, spans, cues[0], neg)
            _subject_with(norms, spans, cues[1], hyp)
            if any(w in text for w in _TEST_WORDS):
                _pending_test(norms, spans, neg, hyp)
            _settled_suspicion(norms, spans, cues[0], neg, hyp)
            if " dd :" in text or text.startswith("dd :"):
                _dd_title(doc, norms, spans, hyp)
            if "confirm" in text or "positi" in text:
                _if_confirmed(norms, spans, hyp)
                _preposed_confirmation(norms, spans, hyp)
            if "reevalu" in text or "rediscut" in text or "reconsider" in text:
                _indefinite_treatment_reassessed(norms, spans, hyp)
            if "justifi" in text or "s'impose" in text or "recommand" in text:
                _unjustified_subject(norms, spans, starts, neg)
            if "si " in text or "s'il" in text or "s' il" in text or "absence" in text or "defaut" in text \
                    or "echec" in text or "toleran" in text or "effets" in text:
                _if_result_then(norms, spans, hyp)
                if "echec" in text or "inefficac" in text or "non-amelio" in text:
                    _reserve_after(norms, spans, hyp)
            _conditional_repeat(norms, spans, neg, hyp, fam)
            if any(w in text for w in ("evoqu", "suspect", "envisag", "discut", "soupcon", "sugger")) and any(
                    w in text for w in ("ecart", "elimin", "exclu", "infirm", "refut")):
                _evoked_then_ruled_out(norms, spans, neg, hyp)
            if ":" in text:  # round 17a: after the rules that cut a predicate's cue at a ":"
                _hedged_titles(doc, norms, spans, cues[1], hyp)
            _indefinite_subject(norms, spans, hyp)  # last: it widens cues the rules above read
            if ":" in text:
                _colon_before_subject(norms, spans, hyp)  # round 15: after the widening
        return [Qualification(bool(n), bool(h), tuple(h), bool(f), tuple(f))
                for n, h, f in zip(neg, hyp, fam)]

    def _regex_cues(self, doc) -> list[tuple[int, int]]:
        """Token ranges of the "ne ... pas" regex matches on the NORM text."""
        return _align(self.regexes, *self._norm_text(doc))

    @staticmethod
    def _norm_text(doc) -> tuple[list[str], str, list[int]]:
        """The norms, the NORM text (the norms, a space after the tokens that
        have one) and the SPACY flags."""
        from spacy.attrs import NORM, SPACY

        rows = doc.to_array([SPACY, NORM])
        spaces = rows[:, 0].tolist()
        norms = _norm_strings(doc.vocab.strings, rows[:, 1].tolist())
        text = "".join([t + " " if sp else t for sp, t in zip(spaces, norms)])
        return norms, text, spaces


_NORM_MEMO: dict[int, str] = {}  # norm hash -> its string (a StringStore look-up decodes a new str)
_NORM_MEMO_MAX = 200_000


def _norm_strings(strings, hashes: list[int]) -> list[str]:
    """The strings of the norm ``hashes``, memoised (strings, not hashes: safe across spaCy memory zones)."""
    memo = _NORM_MEMO
    out = list(map(memo.get, hashes))
    if None in out:
        if len(memo) >= _NORM_MEMO_MAX:
            memo.clear()
        for i, t in enumerate(out):
            if t is None:
                out[i] = memo[hashes[i]] = strings[hashes[i]]
    return out


def _align(regexes, norms, text, spaces, tagged: bool = False) -> list:
    """Token ranges of the regex matches on the NORM text, aligned as
    edsnlp's RegexMatcher does ("expand": every token the match touches);
    ``tagged``: (index of the regex, start, end) triples."""
    found = [(r, *m.span()) for r, rx in enumerate(regexes) for m in rx.finditer(text)]
    if not found:
        return []
    lengths = list(map(len, norms))
    begins = list(accumulate(map(add, lengths, spaces), initial=0))
    begins.pop()
    ends = list(map(add, begins, lengths))
    out = []
    for r, start_char, end_char in found:
        start = bisect.bisect_right(begins, start_char)
        end = bisect.bisect_left(ends, end_char)
        if start > 0 and start_char < ends[start - 1]:
            start -= 1
        if end < len(begins) and end_char > begins[end]:
            end += 1
        out.append((r, start, max(start, end)) if tagged else (start, max(start, end)))
    return out


_JOINERS = frozenset({"et", ","})


def _distribute_plural_results(doc, norms, spans, neg, joins=None) -> None:
    """"VIH et hépatite B négatives", "toux, fièvre et dyspnée absentes": a
    following negation cue written in the plural, right after a span (or
    after a ":" that follows it), also negates the spans before it that are
    joined to it by one "et" or "," (an article after it: ``joins``, round 12a)
    (in place, on the per-span cue lists of :func:`_scoped`)."""
    if not any(neg):  # no cue to share
        return
    tail: list[tuple[int, int] | None] = [None] * len(spans)
    for k in range(len(spans) - 1, -1, -1):
        s, e = spans[k]
        own = [c for c in neg[k] if (c[0] == e or (c[0] == e + 1 and norms[e] == ":")
                                     # round 12a: "... et une hypothyroïdie ont été éliminées"
                                     or (e < c[0] <= e + 3 and all(w in _COPULAS for w in norms[e:c[0]])))
               and doc[c[1] - 1].lower_.endswith(("s", "x"))]
        if own:
            tail[k] = own[0]
        elif not neg[k] and k + 1 < len(spans) and tail[k + 1] is not None and (
                (spans[k + 1][0] == e + 1 and doc[e].norm_ in _JOINERS)
                or (joins is not None and joins[k] is not None and norms[e] in ("et", ","))):
            neg[k].append(tail[k + 1])
            tail[k] = tail[k + 1]


# round 16: "Sérologies EBV, CMV, parvovirus B19 négatives", "Quantiféron, sérologie VIH et antigénurie
# légionelle négatifs": a list of tests named after a test word, closed by a plural negative result; items
# that are no concept ("EBV", "parvovirus B19") break :func:`_distribute_plural_results`'s chain
_TEST_HEADS = frozenset({"serologie", "serologies", "pcr", "recherche", "recherches", "antigenemie",
                         "antigenurie", "antigenuries", "hemoculture", "hemocultures", "coproculture",
                         "coprocultures", "prelevement", "prelevements", "quantiferon", "marqueur", "marqueurs",
                         "virologie", "serologique", "serologiques"})
_TEST_LIST_STOPS = frozenset({".", ";", ":", "mais", "pas", "non", "sans", "sauf", "hormis", "avec", "(", ")",
                              "positive", "positif", "positives", "positifs", "?", "!", "\n"})


def _test_list_results(doc, norms, spans, starts, neg) -> None:
    """(in place, on the per-span negation cue lists; the norms are singular: the plural is the text's)"""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if neg[k]:
            continue
        i = bisect.bisect_right(starts, s) - 1
        first, last = starts[i], (starts[i + 1] if i + 1 < len(starts) else n)
        head = next((j for j in range(s - 1, max(first, s - 9) - 1, -1)
                     if norms[j] in _TEST_HEADS or norms[j] in _TEST_LIST_STOPS), None)
        if head is None or norms[head] not in _TEST_HEADS:
            continue
        joined = any(w in _JOINERS for w in norms[head + 1:s])
        for j in range(e, min(last, e + 9)):
            w = norms[j]
            if w in _TEST_LIST_STOPS:
                break
            if w in _JOINERS:
                joined = True
            elif w in ("negative", "negatif", "negatives", "negatifs"):
                if joined and doc[j].lower_.endswith("s"):
                    neg[k].append((j, j + 1))
                break


# what ends the list a cue followed by ":" introduces, besides a line end
_LIST_STOPS = frozenset({".", ";", "mais", "...", "…", "!", "cependant", "toutefois",
                         "pourtant", "sauf", "hormis", "alors que", "bien que"})
_BULLETS = frozenset({"-", "*", "•", "·", "+", "–", "—", ">", "o"})
# cues that introduce no list: conditions and risks ("si :", "risque :")
_NO_LIST_CUES = frozenset({"si", "s'il", "selon", "soit", "en cas", "risque", "non", "eventuel",
                           "eventuelle", "eventuellement", "discret", "discrete"})


# the hypothesis cues after a word that introduce a list: "Diagnostics évoqués
# :", "Hypothèses possibles :", not "Traitement proposé :" (a prescription)
_LIST_FOLLOWING = ("evoqu", "suspect", "possibl", "probabl", "envisageabl")
PRECEDING_LIST = frozenset(PRECEDING)  # a hypothesis list: the preceding cues and _LIST_FOLLOWING


# "Dépistage des IST : sérologie syphilis et PCR chlamydia", "Recherche de
# complications : fond d'œil, microalbuminurie": what is screened for
_SCREENING = ("depist", "recherch", "a la recherche")
_SCREENING_FIRST = ("depist", "recherch", "a")


def _screening_titles(norms, spans, starts, matches) -> list[tuple[int, int, int]]:
    """Screening cues followed by one span (an article between allowed) and
    a ":": (cue start, cue end, colon) for :func:`_colon_lists` (round 9)."""
    out = []
    for m in matches:
        if m[2] not in PRECEDING or not norms[m[0]].startswith(_SCREENING_FIRST) \
                or not " ".join(norms[m[0]:m[1]]).startswith(_SCREENING):
            continue
        k = bisect.bisect_left(starts, m[1])
        if k < len(spans) and starts[k] - m[1] <= 1 and spans[k][1] < len(norms) \
                and norms[spans[k][1]] == ":" and all(w in _ARTICLES for w in norms[m[1]:starts[k]]):
            out.append((m[0], m[1], spans[k][1]))
    return out


def _is_title(norms, starts, s: int) -> bool:
    """"Diagnostics évoqués :", "Causes possibles :": a following cue that
    introduces a list has no span before it on its line (not "Pneumopathie
    probable : Augmentin", a diagnosis and its treatment) and is no
    predicate (not "Une origine médicamenteuse est suspectée : arrêt de
    l'Esidrex") (round 9)."""
    j = s - 1
    while j >= 0 and "\n" not in norms[j] and norms[j] not in (":", ".", ";"):
        if norms[j] in _PREDICATE_HEADS:
            return False
        j -= 1
    if norms[s] in _PREDICATE_HEADS:
        return False
    return bisect.bisect_left(starts, j + 1) == bisect.bisect_left(starts, s)


def _list_end(doc, colon: int) -> int:
    """The token after the list a ":" at ``colon`` introduces: on its line,
    up to a stop word or the line end; if the colon ends its line, the bullet
    lines below it (up to a blank line or a line without a bullet)."""
    n = len(doc)
    i = colon + 1
    if i < n and "\n" in doc[i].text:
        while True:  # at the line break ending a line of the list
            m, breaks = i, 0
            while m < n and doc[m].is_space:
                breaks += doc[m].text.count("\n")
                m += 1
            if m >= n or breaks > 1 or not (doc[m].text in _BULLETS or _numbered(doc, m)):
                return i
            m += 1
            while m < n and "\n" not in doc[m].text:
                m += 1
            if m >= n:
                return n
            i = m
    for j in range(i, n):
        if "\n" in doc[j].text or doc[j].norm_ in _LIST_STOPS:
            if doc[j].norm_ == ";" and j + 1 < n and _numbered(doc, j + 1):
                continue  # round 15: "Hypothèses : 1) sarcoïdose ; 2) tuberculose ; 3) lymphome"
            return j
    return n


def _numbered(doc, m: int) -> bool:
    """A numbered item starts at ``m``: "1.", "2)", "3/"."""
    return (doc[m].text.isdigit() and len(doc[m].text) <= 2 and m + 1 < len(doc)
            and doc[m + 1].text in (".", ")", "/"))


# the heads of a diagnostic list title ("Hypothèses", "Diagnostics différentiels",
# "Pistes diagnostiques"), not of a treatment one ("Proposition de RCP :")
_TITLE_HEADS = ("hypothes", "diagnost", "piste", "orientation", "suspicion", "etiolog")
_TITLE_STOPS = frozenset({".", ";", "?", "!", "...", "…"})
_TITLE_DETERMINERS = frozenset({"plusieurs", "les", "des", "deux", "trois", "nos", "autres", "principale",
                                "principal", "quelques"})


def _title_colon(norms, s: int, e: int) -> int | None:
    """"Hypothèses, par ordre de probabilité :", "Diagnostics différentiels
    principaux :": the ":" a few words after a cue that starts its line or
    sentence (or follows a ":"), with no sentence end or line break between;
    else None."""
    if s > 1 and norms[s - 1] in _TITLE_DETERMINERS:  # "Plusieurs hypothèses sont envisagées :"
        s -= 1
    if s > 0 and "\n" not in norms[s - 1] and norms[s - 1] not in _BULLETS \
            and norms[s - 1] not in (":", ".", ";"):
        return None
    for j in range(e, min(e + 7, len(norms))):
        w = norms[j]
        if w == ":":
            return j
        if w in _TITLE_STOPS or "\n" in w:
            return None
    return None


# round 17a: a title sentence whose head starts it, hedged, before a ":" ("L'étiologie reste à discuter :",
# "Plusieurs hypothèses restent ouvertes pour l'AEG :", "Cadre nosologique incertain : X ou Y")
_HEDGED_TITLE_HEADS = ("hypothes", "diagnost", "etiolog", "cause", "origine", "piste", "cadre", "orientation")
_HEDGED_TITLE_LEADS = _TITLE_DETERMINERS | {"l'", "le", "la", "ses", "son", "sa", "leur", "leurs", "plusieur",
                                             "autre", "quelque", "principaux", "principale",
                                             "un", "une"}  # round 20a: "Une cause secondaire est à rechercher :"
# what starts the context of a list item ("- cardiopathie ischémique, qui ne peut être éliminée chez ce patient
# hypertendu"): the spans after it are not the item's diagnosis
_ITEM_CONTEXT = frozenset({"chez", "sous", "qui", "avec", "sur", "devant", "malgre", "compte", "car", "puisque",
                           "par", "apres", "avant", "(", "vu", "dans", "traite", "traitee", "connu", "connue"})
_SETTLED_TITLE = ("retenu", "final", "definiti", "confirm", "sortie", "principal", "associe")
# round 18a: "Les étiologies à discuter sont :" (a cue, a copula, the ":"); "Les causes possibles sont :" (a
# hedging adjective of the head, no cue of its own)
_TITLE_COPULAS = frozenset({"sont", "est", "restent", "reste", "seraient", "serait", "semblent", "paraissent"})
_TITLE_HEDGES = frozenset({"possible", "possibles", "envisageable", "envisageables", "potentielle", "potentielles",
                           "potentiel", "potentiels", "probables", "plausibles", "eventuelles", "eventuels"})
_EXPLAINED = frozenset({"pour", "expliquant", "devant", "de"})


def _hedged_titles(doc, norms, spans, matches, out) -> None:
    """Round 17a: a sentence that starts with a diagnostic head and holds a
    hedge before its ":" hedges the list after the ":" (bullets below it, or
    the rest of its sentence); a finding the title names after "pour" or
    "devant" ("Plusieurs hypothèses pour l'altération de l'état général :")
    is what the list explains, not hedged by the title (in place)."""
    n = len(norms)
    span_starts = [s for s, _ in spans]
    for c in range(n):
        if norms[c] != ":":
            continue
        a = c - 1
        while a >= 0 and c - a <= 30 and "\n" not in norms[a] and norms[a] not in _STOPS | {":"} \
                and norms[a] not in _BULLETS:
            a -= 1
        a += 1
        h = a
        while h < c and norms[h] in _HEDGED_TITLE_LEADS:
            h += 1
        if h > a and norms[h - 1] in ("un", "une") and not norms[h].startswith(("cause", "etiolog", "diagnost")):
            continue  # round 20a: "Une cause secondaire est à rechercher :", not "Une origine est suspectée : arrêt"
        if h >= c or not (norms[h].startswith(_HEDGED_TITLE_HEADS) or (
                # round 20a: "Bilan à la recherche d'une cause secondaire : dysthyroïdie, hypercorticisme"
                norms[h] == "bilan" and any(norms[i].startswith(("recherch", "depist")) for i in range(h + 1, c)))) \
                or any(norms[i].startswith(_SETTLED_TITLE) for i in range(h, c)):
            continue
        cue = next(((m[0], m[1]) for m in matches if a <= m[0] and m[1] <= c), None)
        if cue is None:
            hedge = next((i for i in range(h + 1, c) if norms[i] in _TITLE_HEDGES), None)
            if hedge is not None:
                cue = (hedge, hedge + 1)
            elif not norms[h].startswith("hypothes"):
                continue
            else:
                cue = (h, h + 1)
        if any(norms[i].startswith(("envisag", "propos", "prevo")) for i in range(*cue)):
            cue = (h, h + 1)  # round 18a: "Les étiologies à envisager sont :" (a treatment cue hedges no disease)
        end = _list_end(doc, c)
        title = {(m[0], m[1]) for m in matches if a <= m[0] and m[1] <= c} | {cue}
        for k in range(bisect.bisect_left(span_starts, a), len(spans)):
            s, e = spans[k]
            if s > c:
                if e > end:
                    break
                i = s - 1
                while i > c and "\n" not in norms[i] and norms[i] not in (";", ":") and norms[i] not in _ITEM_CONTEXT:
                    i -= 1
                if norms[i] not in _ITEM_CONTEXT and cue not in out[k] \
                        and not (s >= 1 and norms[s - 1] in _POSSESSIVES) and not _after_event(norms, s):
                    out[k].append(cue)  # not "poussée de sa maladie de Crohn" (_own_disease)
            elif s > h and e <= c and _EXPLAINED & set(norms[h + 1:s]):
                out[k][:] = [x for x in out[k] if x not in title]


def _colon_after(norms, i: int) -> int | None:
    """The index of the ":" at ``i``, or after a preposition at ``i`` ("pas
    de :"), else None."""
    if i < len(norms) and norms[i] in _PREPOSITIONS:
        i += 1
    return i if i < len(norms) and norms[i] == ":" else None


def _colon_lists(doc, norms, spans, matches, out, labels) -> None:
    """A cue (of ``labels``) right before a ":" qualifies every span of the
    list that follows (in place, on the per-span cue lists of :func:`_scoped`);
    ``matches``: the cues left by the pseudo cues."""
    starts = [s for s, _ in spans]
    cues = [(m[0], m[1], colon) for m in matches
            if (colon := _colon_after(norms, m[1])) is not None
            and (m[2] in labels or (m[2] in FOLLOWING and labels is PRECEDING_LIST
                                    and norms[m[1] - 1].startswith(_LIST_FOLLOWING)
                                    and _is_title(norms, starts, m[0])))
            and " ".join(norms[m[0]:m[1]]) not in _NO_LIST_CUES
            # "une iatrogénie est possible : Seresta arrêté": a predicate, no list (round 12a)
            and not (labels is PRECEDING_LIST and m[2] in PRECEDING
                     and not _is_title(norms, starts, m[0]))]
    if labels is PRECEDING_LIST:  # "Hypothèses, par ordre de probabilité :"
        cues += [(m[0], m[1], colon) for m in matches
                 if norms[m[0]].startswith(_TITLE_HEADS) and m[2] in PRECEDING
                 and _colon_after(norms, m[1]) is None
                 and (colon := _title_colon(norms, m[0], m[1])) is not None
                 and bisect.bisect_left(starts, m[1]) == bisect.bisect_left(starts, colon)]
        cues += _screening_titles(norms, spans, starts, matches)
    if not cues:
        return
    for c0, c1, colon in cues:
        end = _list_end(doc, colon)
        for k in range(bisect.bisect_left(starts, c1 + 1), len(spans)):
            s, e = spans[k]
            if e > end:
                break
            if (c0, c1) not in out[k]:
                out[k].append((c0, c1))


_THE_PATIENT = frozenset({"l'", "le", "la", "cet", "ce", "cette", "notre", "votre"})
_FAMILIAL_OF = frozenset({"forme", "cas", "caractere", "origine", "cause", "variante", "type"})
_PATIENT_WORDS = frozenset({"patient", "patiente", "malade"})
_OWN_HISTORY = frozenset({"personnels", "personnel", "medicaux", "medico-chirurgicaux", "chirurgicaux"})
_AGE = frozenset({"de", "d'", "ne", "nee", "age", "agee"})


_NOT_ADJECTIVES = frozenset({"chez", "dans", "pour", "avec", "sans", "histoire", "antecedents", "atcd",
                             "notion", "enquete", "contexte", "terrain", "forme", "cas", "connus", "connue",
                             "connu", "connues", "notable", "notables", "particulier"})


def _adjective_like(w: str) -> bool:
    """A word that may stand between a disease's name and its "familial(e)" (round 15)."""
    return len(w) > 3 and w.replace("-", "").isalpha() and w not in _NOT_ADJECTIVES


_LINEAGE = frozenset({"ascendant", "ascendants", "descendant", "descendants"})
_LINEAGE_BEFORE = frozenset({"un", "une", "des", "les", "ses", "son", "sa", "leur", "leurs", "aux", "chez", "d'", "de",
                             "du", "ni", "et", "ou", ",", ":", "-", "(", "premier", "premiers", "deux", "autres"})
_SCREENINGS = frozenset({"depistage", "enquete", "screening"})
_EXPOSURES = frozenset({"contage", "contages", "contamination", "transmission", "exposition", "contact"})
_IF_WORDS = frozenset({"si", "s'il", "s'ils", "lorsque", "quand"})


def _family_before_condition(norms, spans, fam) -> None:
    """Round 18a: "traitement des parents par azithromycine si la coqueluche est confirmée": a condition
    ("si", "en cas de") between a relative and a span ends the relative's scope (in place)."""
    if not any(fam):
        return
    # where a condition starts ("si", "en cas"): one pass over the note, then a look-up per cue
    ifs = [j for j, w in enumerate(norms) if w in _IF_WORDS]
    ens = [j for j, w in enumerate(norms) if w == "en" and j + 1 < len(norms) and norms[j + 1] == "cas"]
    for k, (s, e) in enumerate(spans):
        if fam[k]:
            fam[k][:] = [c for c in fam[k] if not (c[1] <= s and (
                bisect.bisect_left(ifs, c[1]) < bisect.bisect_left(ifs, s)
                or bisect.bisect_left(ens, c[1]) < bisect.bisect_left(ens, s - 1)))]


_EVENTUAL = frozenset({"eventuel", "eventuelle", "eventuels", "eventuelles"})


def _following_eventual(norms, spans, matches):
    """Round 19a: "Sarcoïdose éventuelle", "une pneumocystose éventuelle à rechercher": edsnlp's cue
    "éventuel(le)" is a preceding one; right after a span (or one adjective after it) it hedges the span."""
    ends = {e for _, e in spans} | {e + 1 for _, e in spans}
    return [(s, e, "following") if e == s + 1 and norms[s] in _EVENTUAL and s in ends and label in PRECEDING
            else (s, e, label) for s, e, label in matches]


_REASON_LEADS = (("vu",), ("devant",), ("compte", "tenu"), ("en", "raison"), ("du", "fait"), ("etant", "donne"),
                 ("au", "vu"), ("en", "regard"), ("par", "rapport"))
_REASON_ENDS = frozenset({".", ";", ",", ")", ":", "?", "!", "et"})


def _reason_history(norms, s: int) -> bool:
    """Round 20a: "familial(e)" of a bare "antécédent(s) familial(aux)" given as a reason ("vu l'antécédent
    familial", "compte tenu des antécédents familiaux", then the clause ends): it names no relative's
    disease ("Vu l'antécédent familial de cancer colique, ..." keeps its family reading)."""
    if s < 2 or not norms[s - 1].startswith("antecedent") or (
            s + 1 < len(norms) and norms[s + 1] not in _REASON_ENDS and "\n" not in norms[s + 1]):
        return False
    j = s - 2
    if norms[j] in ("l'", "les", "des", "de", "d'", "du", "cet", "ces", "cet", "ses", "son", "ce"):
        j -= 1
    if j >= 0 and norms[j] in ("de", "d'"):
        j -= 1
    return any(tuple(norms[j - len(lead) + 1:j + 1]) == lead for lead in _REASON_LEADS if j - len(lead) + 1 >= 0)


def _not_relatives(norms, spans, starts, matches):
    """Family cues that name no relative of the patient: "familial(e)" right
    after or inside a span (a disease's name: "hypercholestérolémie
    familiale", "fièvre méditerranéenne familiale"), and the child who is
    the patient ("l'enfant présente", "Enfant de 4 ans hospitalisé", "fièvre
    chez un enfant de 4 ans": round 12a)."""
    out = []
    sentence_starts = set(starts)
    for m in matches:
        s, e, label = m
        if label == "family" and e == s + 2 and norms[s].startswith("antecedent") \
                and norms[s + 1].startswith("famili") and _reason_history(norms, s + 1):
            continue  # round 20a: "un cancer colique à rechercher vu l'antécédent familial": a reason
        if label == "family" and e == s + 1:
            w = norms[s]
            if w.startswith("famili") and w != "famille" and any(
                    a < s + 1 and s <= b for a, b in spans):
                continue  # the span ends at the cue or covers it
            if w.startswith("famili") and w != "famille" and any(
                    s - 2 <= b < s and all(_adjective_like(x) for x in norms[b:s]) for a, b in spans):
                continue  # round 15: "hypercalcémie hypocalciurique familiale", one or two adjectives between
            if w.startswith("famili") and s > 1 and norms[s - 1] == "et" and norms[s - 2] in _OWN_HISTORY:
                continue  # "Antécédents personnels et familiaux :": a header, no relative (round 13a)
            if w.startswith("famili") and w != "famille" and s > 0 and norms[s - 1] in _FAMILIAL_OF \
                    and s + 1 < len(norms) and norms[s + 1] in ("de", "d'", "du"):
                continue  # "une forme familiale de SLA": the patient's disease (round 12a)
            if w.startswith("famili") and w != "famille" and s > 0 and norms[s - 1] in _SCREENINGS:
                continue  # round 19a: "hémochromatose découverte par dépistage familial": the patient's
            if w.startswith("famili") and w != "famille" and _reason_history(norms, s):
                continue  # round 20a: "un cancer colique à rechercher vu l'antécédent familial": a reason
            if w in ("enfant", "enfants") and (
                    (s > 0 and norms[s - 1] in _THE_PATIENT)
                    or (s > 1 and norms[s - 1] in ("un", "une") and norms[s - 2] == "chez")
                    or (s in sentence_starts and s + 1 < len(norms) and norms[s + 1] in _AGE)
                    # "Enfant fébrile à 39 °C": a bare singular subject is the patient (round 13a)
                    or (s in sentence_starts and w == "enfant" and s + 1 < len(norms)
                        and norms[s + 1] not in {":", "-", "(", ","})):
                continue
            if w in ("fille", "fils", "garcon") and s > 0 and norms[s - 1] in _THE_PATIENT | {"une", "un"} \
                    and s + 2 < len(norms) and norms[s + 1] in ("de", "d'") and norms[s + 2].isdigit():
                continue  # "la fille de 15 ans consulte": the patient
        if label == "family" and e == s + 1 and norms[s] in _LINEAGE and s > 0 and norms[s - 1] not in _LINEAGE_BEFORE:
            continue  # round 19a: "côlon descendant", "aorte ascendant(e)": an anatomical adjective, no relative
        if s > 1 and norms[s - 2] == "comme" and norms[s - 1] in _POSSESSIVES:
            continue  # "asthmatique comme sa mère": the patient's own disease
        if s > 0 and norms[s - 1] in _EXPOSURES and not (s + 1 < len(norms) and norms[s + 1] in _OF):
            continue  # round 18a: "coqueluche (contage paternel probable)": the patient's disease, a relative's source
        out.append(m)
    return out


_TREATMENT_WORDS = frozenset({"traitement", "par", "de", "d'", "du", "la", "le", "l'", "les", "des"})


# "suspicion d'endocardite traitée par amoxicilline": the drug is given
_TREATED = frozenset({"sous", "traite", "traitee", "traites", "traitees"})


def _under_treatment(norms, spans, neg, heads=frozenset({"sous"})) -> None:
    """"pas de saignement sous Eliquis", "pas de fièvre depuis 48 h sous
    Augmentin": what follows "sous" (the treatment the patient is on; for
    the hypothesis, also "traité(e) par") is out of the scope of the cues
    before it (in place)."""
    for k, (s, e) in enumerate(spans):
        if not neg[k]:
            continue
        j = s - 1
        while j >= 0 and s - j <= 4 and norms[j] in _TREATMENT_WORDS:
            j -= 1
        if j >= 0 and norms[j] in heads:
            neg[k][:] = [c for c in neg[k] if c[0] > j]


_CONDITIONS = frozenset({"si", "s'il", "s'ils", "lorsque", "quand"})


def _conditional_clause(norms, spans, neg) -> None:
    """"Januvia pourra être ajouté si les anticorps reviennent négatifs",
    "reprise de l'Eliquis lorsque le scanner sera normal": a following
    negation cue inside a conditional clause after the span ("si",
    "lorsque", "quand", "en cas de") is about the condition, not the span
    (in place)."""
    for k, (s, e) in enumerate(spans):
        if not neg[k]:
            continue
        kept = []
        for c in neg[k]:
            if c[0] >= e and any(w in _CONDITIONS or (w == "en" and j + 1 < c[0] and norms[j + 1] == "cas")
                                 for j, w in enumerate(norms[e:c[0]], e)):
                continue
            kept.append(c)
        neg[k][:] = kept


# "une hémorragie sous Eliquis est à craindre", "une toxicité de l'amiodarone
# est suspectée", "un surdosage en Préviscan est possible": the drug named as
# the ground or the cause of a hedged event is one the patient takes (round 9);
# not "mise sous Eliquis à discuter" (a drug to start)
_TAKEN_HEADS = (("sous",), ("traite", "par"), ("traitee", "par"), ("traites", "par"),
                ("traitees", "par"), ("toxicite", "de"), ("toxicite", "du"), ("toxicite", "d'"),
                ("surdosage", "en"), ("surdosage", "au"), ("surdosage", "a"),
                ("intoxication", "a"), ("intoxication", "au"), ("intoxication", "aux"),
                ("induit", "par"), ("induite", "par"), ("imputable", "a"), ("imputable", "au"),
                ("imputable", "aux"), ("iatrogene", "sous"), ("medicamenteuse", "a"),
                ("medicamenteuse", "au"), ("medicamenteux", "a"), ("medicamenteux", "au"),
                ("interaction", "entre"), ("interaction", "avec"), ("indesirable", "de"),
                ("indesirable", "du"), ("intolerance", "a"), ("intolerance", "au"),
                # round 12a: "une iatrogénie (Seresta, Lasilix) est probable"
                *[(n, p) for n in ("iatrogenie", "medicamenteuse", "medicamenteux")
                  for p in ("(", "par", "a", "au", "aux", "de", "du", "des", "d'")],
                # "arrêt du Kardégic à discuter": a drug stopped or lowered is taken
                *[(n, p) for n in ("arret", "suspension", "diminution", "reduction", "decroissance",
                                   "interruption", "sevrage",
                                   # round 15: "Augmentin en cas d'échec de la pristinamycine"
                                   "echec", "inefficacite")
                  for p in ("de", "du", "d'", "des")],
                *[("echec", "de", a) for a in ("la", "l'")], *[("inefficacite", "de", a) for a in ("la", "l'")])
_TAKEN_BY_LAST: dict[str, list[tuple[str, ...]]] = {}  # last word -> the words before it
for _h in _TAKEN_HEADS:
    _TAKEN_BY_LAST.setdefault(_h[-1], []).append(_h[:-1])
_STARTING = frozenset({"mise", "mis", "passage", "relais", "remise", "remis", "placer", "mettre"})


def _taken_drug(norms, spans, hyp) -> None:
    """A span right after a ``_TAKEN_HEADS`` wording (an article between
    allowed; "et" joins a second drug to the first: "interaction entre
    Kardégic et Eliquis") loses every hypothesis cue (in place)."""
    taken_before = False
    n = len(spans)
    for k, (s, e) in enumerate(spans):
        if not hyp[k] and not (k + 1 < n and hyp[k + 1]):
            taken_before = False  # only the next span may need it ("et")
            continue
        j = s - 1
        if j >= 0 and norms[j] in _ARTICLES:
            j -= 1
        heads = _TAKEN_BY_LAST.get(norms[j]) if j >= 0 else None
        taken = heads is not None and any(
            j - len(h) >= 0 and tuple(norms[j - len(h):j]) == h for h in heads) \
            and not (norms[j] == "sous" and j >= 1 and norms[j - 1] in _STARTING)
        between = norms[spans[k - 1][1]:s] if k else []
        if not taken and taken_before and between[:1] in (["et"], [","]) and len(between) <= 3 \
                and all(w in _PREPOSITIONS or w in _ARTICLES for w in between[1:]):
            taken = True  # "arrêt de l'Esidrex et du Lasilix"
        if taken and hyp[k]:
            hyp[k].clear()
        taken_before = taken


def _attached(norms, ends, i: int) -> bool:
    """The cue at ``i`` follows a span, its verb between ("est suspectée")."""
    j = i
    while j > i - 3 and j - 1 >= 0 and norms[j - 1] in _PREDICATE_HEADS:
        j -= 1
    return j in ends or (j == i and norms[i] in _PREDICATE_HEADS and i - 1 in ends)


def _dosed_after_colon(norms, spans, hyp) -> None:
    """What follows the ":" after a hedged diagnosis is not hedged by the
    cue (in place):

    * the cue is attached to a span before it ("Pneumopathie probable :
      Augmentin", "une thrombopénie induite par l'héparine est suspectée :
      arrêt du Lovenox"): it hedges that span;
    * "Suspicion de SCA : Kardégic 250 mg IV": a span followed by a dose,
      after a ":" that follows a span the cue hedges, is a prescription
      ("Dépistage des IST : sérologie syphilis" keeps the tests hedged)."""
    starts = ends = None
    for k, (s, e) in enumerate(spans):
        if not hyp[k]:
            continue
        if starts is None:
            starts, ends = [a for a, _ in spans], {b for _, b in spans}
        dosed = e < len(norms) and norms[e].replace(",", "").isdigit()
        kept = []
        for c in hyp[k]:
            if c[1] <= s:
                colons = [i for i in range(c[1], s) if norms[i] == ":"]
                attached = _attached(norms, ends, c[0])
                if colons and (attached or (dosed and bisect.bisect_left(starts, c[1])
                                            < bisect.bisect_left(starts, colons[0]))):
                    continue
            kept.append(c)
        hyp[k][:] = kept


# "pas de traitement de son diabète", "pas de suivi de sa BPCO", "pas
# d'anticoagulation pour sa FA", "pas de décompensation de son asthme": what
# is denied is the care or the event, not the disease it is about
_CARE = frozenset({"traitement", "suivi", "bilan", "controle", "surveillance", "charge",
                   "consultation", "traiter", "equilibration", "reevaluation"})
_EVENTS = frozenset({"decompensation", "desequilibre", "aggravation", "poussee", "complication",
                     "exacerbation", "recidive", "recrudescence"})
_DEFINITE_EVENTS = frozenset({"decompensation", "desequilibre", "aggravation", "poussee", "complication",
                              "exacerbation", "effet", "effets", "toxicite", "intolerance"})
_CARE_VERBS = frozenset({"traiter", "equilibrer", "surveiller", "suivre", "controler",
                         "reevaluer", "explorer"})
_OF = frozenset({"de", "du", "des", "d'", "pour"})
_POSSESSIVES = frozenset({"son", "sa", "ses", "leur", "leurs"})
_DEFINITE = frozenset({"la", "le", "l'", "les"})


def _known_disease(norms, spans, neg) -> None:
    """A span after "<care or event noun> de son/sa" (or "pour son/sa")
    loses the preceding negation cues before that noun (in place); so does one
    whose cause is denied ("Pas d'étiologie retrouvée à la neuropathie", round 18a)."""
    for k, (s, e) in enumerate(spans):
        if not neg[k]:
            continue
        kept = []
        for c in neg[k]:
            if c[1] <= s and (_about_known_disease(norms[c[1]:s]) or _denied_cause(norms, c[0], s)):
                continue
            kept.append(c)
        neg[k][:] = kept


_CAUSES = ("cause", "etiolog", "explication", "origine", "declench", "facteur", "substrat", "point")
_TO_THE = frozenset({"la", "le", "l'", "les", "cette", "ce", "cet", "ces", "son", "sa", "ses"})


def _denied_cause(norms, c: int, s: int) -> bool:
    """"Aucune cause retrouvée à la pancréatite", "pas d'explication à cette anémie": a cause noun in the few
    words between the cue at ``c`` and the span at ``s``, which "à <determiner>" or "au / aux" opens."""
    if not 2 <= s - c <= 8:
        return False
    if norms[s - 1] in ("au", "aux"):
        lead = s - 1
    elif s >= 2 and norms[s - 1] in _TO_THE and norms[s - 2] == "a":
        lead = s - 2
    else:
        return False
    return any(w.startswith(_CAUSES) for w in norms[c:lead])


def _about_known_disease(between: list[str]) -> bool:
    if not 2 <= len(between) <= 7 or "\n" in between:
        return False
    det = between[-1]
    if det in _POSSESSIVES or det in _DEFINITE:
        between = between[:-1]
    elif between[-1] != "du":
        return False
    if between and between[-1] in _CARE_VERBS and det in (_POSSESSIVES | _DEFINITE):
        return True  # "pas d'indication à traiter son hypothyroïdie"
    if len(between) < 2 or between[-1] not in _OF:
        return False
    words = set(between[:-1])
    if between[-1] == "pour":
        return det in _POSSESSIVES or det in _DEFINITE
    return bool(words & _CARE) or (det in _POSSESSIVES and bool(words & _EVENTS)) or (
        # round 18a: "pas de complication de la cirrhose", "pas d'effet indésirable du Keppra" (a recurrence
        # keeps the dev convention: "pas de récidive de la FA" denies the FA)
        (det in _DEFINITE or det == "du") and bool(words & _DEFINITE_EVENTS))


_FAMILY_SIDES = ("famil", "patern", "matern", "apparent", "ascendant", "fratrie", "collateral",
                 "lignee", "branche")


# round 11: "Chez la mère, une polyarthrite", "Le père, décédé d'un AVC": the
# relative's own clause
_RELATIVE_PARTICIPLES = frozenset({
    f"{v}{g}" for v in ("decede", "atteint", "suivi", "traite", "opere", "diagnostique", "porteur")
    for g in ("", "e")} | {"porteuse"})


_HEADER_ADJECTIVES = frozenset({"notable", "notables", "particulier", "particuliers", "connu", "connus",
                                "significatif", "significatifs", "pertinent", "pertinents", "rapporte",
                                "signale", "special", "speciaux"})
_HEADER_LEAD = frozenset({"pas", "d'", "de", "aucun", "aucune", "absence", "sans", "ni", "notion", "autre",
                          "atcd", "atcds", "antecedent", "antecedents", "histoire"})
_DENIED_LIST = frozenset({"en", "notamment", "surtout", "hormis", "sauf", "excepte", "ni", "pas", "aucun",
                          "aucune", "dont"})


def _apposed_disease(norms, spans, i: int) -> bool:
    """A span starts at ``i`` and a "," follows it (an apposition: "Son père, diabétique, ...")."""
    k = bisect.bisect_left(spans, (i, 0))
    return k < len(spans) and spans[k][0] == i and spans[k][1] < len(norms) and norms[spans[k][1]] == ","


def _family_introduction(doc, norms, spans, starts, matches, fam) -> None:
    """"Dans la famille, plusieurs cas de ...", "Côté paternel, ...", "Chez
    la mère, ...", "Le père, décédé ...", "Le père, 60 ans, ...", "Mère
    porteuse de ..., opérée de ...": a family cue in the first words of a
    sentence, followed by "," (or by its participle), covers the sentence up
    to ";" or its end; so does a relative followed by ", dont" anywhere
    ("deux sœurs, dont une suivie pour ...") (in place)."""
    sentence_of = None
    n = len(norms)
    for s, e, label in matches:
        if label != "family" or e + 1 >= n:
            continue
        lead, header = 0, False
        if norms[e - 1].startswith("famil"):
            # round 14a: "Pas d'ATCD familial notable, en particulier pas de ...": a denied
            # header (its adjective allowed) that a list of what it denies continues
            i = bisect.bisect_right(starts, s) - 1
            j = s - 1
            while j >= starts[i] and norms[j] in _HEADER_LEAD:
                j -= 1
            after = e + 1 if norms[e] in _HEADER_ADJECTIVES else e
            header = (after > e or s - 1 > j) and after + 1 < n and norms[after] == "," \
                and norms[after + 1] in _DENIED_LIST
            if header:
                lead, e = s - 1 - j, after
        # round 12a: "deux sœurs, dont une suivie pour ..." (anywhere in the sentence)
        whose = norms[e] == "," and norms[e + 1] == "dont"
        if not whose and not header and not (norms[e] == "," and (
                norms[e - 1].startswith(_FAMILY_SIDES) or "chez" in norms[max(0, s - 2):s]
                or norms[e + 1] in _RELATIVE_PARTICIPLES
                # round 12a: "Le père, 60 ans, est suivi pour une BPCO"
                or (e + 3 < n and norms[e + 1].isdigit() and norms[e + 2] in ("an", "ans")
                    and norms[e + 3] == ",")
                # round 18a: "Son père, diabétique, est décédé d'un infarctus": a disease of his in apposition
                or _apposed_disease(norms, spans, e + 1)
        )) and not norms[e] in _RELATIVE_PARTICIPLES:  # "Mère porteuse de ..., opérée de ..."
            continue  # "Sa mère, ..." is an apposition: its sentence may be about the patient
        i = bisect.bisect_right(starts, s) - 1
        if s - starts[i] - lead > 2 and not whose:
            continue
        if sentence_of is None:
            sentence_of = [bisect.bisect_right(starts, a) - 1 for a, _ in spans]
        end = next((j for j in range(e, starts[i + 1]) if norms[j] == ";"), starts[i + 1])
        for k, (a, b) in enumerate(spans):
            if sentence_of[k] == i and e < a and b <= end and (s, e) not in fam[k]:
                fam[k].append((s, e))


def _patient_named(norms, spans, starts, fam) -> None:
    """"Une hypercholestérolémie familiale est suspectée chez le patient", "une
    forme familiale est possible chez ce patient": a span whose sentence names
    the patient after it ("chez le / ce / notre patient") is the patient's,
    whatever relative the sentence names before it (round 12a; in place)."""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if not fam[k]:
            continue
        end = starts[bisect.bisect_right(starts, s)] if bisect.bisect_right(starts, s) < len(starts) else n
        for j in range(e, min(end, n) - 2):
            if norms[j] in (";", ","):
                break  # round 14a: "Mère diabétique ; un diabète est à dépister chez la patiente"
            if norms[j] == "chez" and norms[j + 1] in _THE_PATIENT and norms[j + 2] in _PATIENT_WORDS:
                fam[k] = []
                break


def _colon_ends_preceding(norms, spans, out) -> None:
    """"Pas de thrombose veineuse : Lovenox en prévention": a ":" after the
    cue's own words ends the scope of a preceding negation cue (the colon
    right after the cue introduces its list, see :func:`_colon_lists`); not
    a hypothesis cue ("Dépistage des IST : sérologie syphilis") (in place)."""
    colons = None
    for k, (s, e) in enumerate(spans):
        if not out[k]:
            continue
        if colons is None:
            colons = [i for i, w in enumerate(norms) if w == ":"]
            if not colons:
                return
        kept = []
        for c in out[k]:
            if c[1] <= s:
                i = bisect.bisect_left(colons, c[1])
                if i < len(colons) and colons[i] < s and colons[i] != _colon_after(norms, c[1]):
                    continue
            kept.append(c)
        out[k][:] = kept


def _post_cue_after_comma(norms, spans, matches, out) -> None:
    """"Embolie pulmonaire, éliminée par l'angioscanner", "Sarcoïdose, à
    confirmer": a following cue right after the comma that ends a span
    qualifies it, unless a span comes right after the cue ("Fièvre, probable
    pneumopathie": the cue precedes that one) (in place)."""
    after: dict[int, tuple[int, int]] = {}
    for s, e, label in matches:  # the cues left by the pseudo cues
        if label in FOLLOWING and e > after.get(s, (s, s))[1]:
            after[s] = (s, e)
    if not after:
        return
    starts = [s for s, _ in spans]
    for k, (s, e) in enumerate(spans):
        comma = _predicate_comma(norms, starts, k, e)
        if comma is None and e < len(norms) and norms[e] == "(":
            # round 17a: "syndrome dépressif (GDS élevé), le plus probable": the evidence in parentheses
            close = next((j for j in range(e + 1, min(len(norms), e + 10)) if norms[j] in _PAREN_ENDS), None)
            if close is not None and norms[close] == ")" and close + 1 < len(norms) and norms[close + 1] == ",":
                comma = close + 1
        c = after.get(comma + 1) if comma is not None else None
        if c is None and comma is not None and norms[comma - 1] != ")" and comma == e:
            c = _incidental_cue(norms, starts, k, comma, after)
        elif comma is None and (gap := _adjective_gap(norms, e)) is not None \
                and (k + 1 == len(starts) or starts[k + 1] > gap):
            # round 18a: one or two adjectives left out of the span ("une tuberculose pulmonaire excavée, qui
            # avait été évoquée, est éliminée")
            c = _incidental_cue(norms, starts, k, gap, after)
        if c is None or c in out[k]:
            continue
        j = bisect.bisect_left(starts, c[1])
        if j < len(spans) and starts[j] <= c[1] + 2 and not any(
                w in _TITLE_STOPS or "\n" in w for w in norms[c[1]:starts[j]]):
            continue  # not "Maladie de Still, est possible. Fièvre ..." (round 9)
        out[k].append(c)


def _adjective_gap(norms, e: int) -> int | None:
    """The "," after one or two words (adjectives) that follow a span ending at ``e``, else None."""
    for g in (e + 1, e + 2):
        if g < len(norms) and norms[g] == "," and all(w.isalpha() and w not in _AUXILIARIES and w != "qui"
                                                        for w in norms[e:g]):
            return g
    return None


_COPULA_HEADS = frozenset({"est", "reste", "semble", "parait", "demeure", "apparait", "serait"})
_PAREN_ENDS = frozenset({")", "(", ".", ";", ":", "?", "!", "\n"})
_AUXILIARIES = frozenset({"est", "a", "ete", "reste", "semble", "parait", "demeure", "apparait", "serait",
                          "n'est", "n'a", "ne", "finalement", "donc", "secondairement", "ensuite", "puis"})


def _incidental_cue(norms, starts, k: int, comma: int, after) -> tuple[int, int] | None:
    """Round 17a: the following cue after a relative clause or an apposition
    that follows span ``k`` and its ``comma``: "une cardiopathie ischémique,
    qui ne peut être éliminée", "la pyélonéphrite, évoquée à l'entrée, est
    infirmée", "une pneumopathie, un temps suspectée, a été écartée"; no
    other span inside the incidental words; else None."""
    n = len(norms)
    nxt = starts[k + 1] if k + 1 < len(starts) else n
    i = comma + 1
    if i < n and norms[i] == "qui":
        j = i + 1
        while j < min(n, i + 3) and j not in after and norms[j] in _AUXILIARIES:
            j += 1
        if j in after:
            return after[j]
        # round 18a: a longer relative clause closed by a comma ("l'insuffisance cardiaque, qui a motivé
        # l'hospitalisation, est éliminée", "une embolie pulmonaire, qui avait été suspectée, est écartée")
    for j in range(i + 1, min(n, i + 9)):
        w = norms[j]
        if j >= nxt or w in _STOPS or w in (":", "(", ")") or "\n" in w:
            return None
        if w == ",":
            m = j + 1
            while m < min(n, j + 4) and m not in after and norms[m] in _AUXILIARIES:
                m += 1
            return after.get(m) if m < nxt else None
    return None


def _predicate_comma(norms, starts, k: int, e: int) -> int | None:
    """The "," that ends span ``k`` (at ``e``), or its short predicate (round 14a:
    "une maladie de Kawasaki est au premier plan, à confirmer"), else None."""
    if e >= len(norms):
        return None
    if norms[e] == ",":
        return e
    if norms[e] not in _COPULA_HEADS:
        return None
    nxt = starts[k + 1] if k + 1 < len(starts) else len(norms)
    for j in range(e + 1, min(e + 7, nxt, len(norms))):
        if norms[j] == ",":
            return j
        if norms[j] in _STOPS or norms[j] in (":", "(") or "\n" in norms[j]:
            return None
    return None


_COORDINATORS = frozenset({"et", "ou", ",", "ni"})
_PREPOSITIONS = frozenset({"de", "d'", "du", "des"})
_ARTICLES = frozenset({"la", "l'", "le", "les", "un", "une"})


_INDEFINITE = frozenset({"un", "une", "des"})


def _join(norms, spans, k: int) -> str | None:
    """How span ``k`` joins the next one: "or" ("et" / "ou" / "plutôt que" /
    "voire" and an article, a preposition allowed before it), "comma" ("," and
    "un", "une", "des"), else None."""
    if k + 1 >= len(spans) or not 2 <= spans[k + 1][0] - spans[k][1] <= 4:
        return None  # the rewrites below shorten "between" by at most 2 words, to 2
    between = norms[spans[k][1]:spans[k + 1][0]]
    if between[:2] in ([",", "ou"], ["plutot", "que"], ["plutot", "qu'"], ["ou", "bien"]):
        between = ["ou", *between[2:]]  # "une sarcoïdose plutôt que d'une tuberculose"
    if between[:1] == ["voire"]:
        between = ["ou", *between[1:]]
    # round 16: "plutôt d'une migraine que d'un AIT", "plutôt une colite qu'un SII": the second term
    # of the comparison is weighed as the first one is (only a preceding cue passes on)
    if between[:1] == ["que"] and between[1:2] and between[1] in _PREPOSITIONS:
        between = ["ou", *between[1:]]
    elif between[:1] == ["qu'"] and between[1:2] and between[1] in _INDEFINITE:
        between = ["ou", *between[1:]]
    if len(between) == 3 and between[0] == "ou" and between[1] in _PREPOSITIONS and between[2] in _ARTICLES:
        between = ["ou", between[2]]
    if len(between) == 2 and between[0] in ("et", "ou") and between[1] in _ARTICLES:
        return "or"
    if len(between) == 2 and between[0] == "," and between[1] in _INDEFINITE:
        return "comma"
    return None


def _joins(norms, spans) -> list[str | None]:
    """Per span, how it joins the next one (:func:`_join`), with "comma"
    kept only in an enumeration that ends with "et" / "ou" ("une sarcoïdose,
    une tuberculose ou un lymphome", not "BPCO, une embolie pulmonaire est à
    éliminer": a new clause)."""
    out = [_join(norms, spans, k) for k in range(len(spans))]
    following = None
    for k in range(len(out) - 1, -1, -1):
        if out[k] == "comma" and following != "or":
            out[k] = None
        elif out[k] == "comma":
            continue  # the enumeration goes on: keep what follows it
        # round 14a: "une scarlatine, une toxidermie ou une infection à adénovirus" ends
        # with an item that is no span
        following = out[k] or ("or" if norms[spans[k][1]:spans[k][1] + 1] in (["et"], ["ou"])
                               and norms[spans[k][1] + 1:spans[k][1] + 2] in ([a] for a in _ARTICLES)
                               else None)
    return out


def _coordinated_articles(norms, spans, joins, out) -> None:
    """"on évoque une sarcoïdose, une tuberculose ou un lymphome", "les
    diagnostics différentiels sont la tuberculose et le lymphome": a span
    right after "et" / "ou" and an article (or "," and "un", "une", "des")
    following a hedged span takes that span's preceding cues (round 12a; in
    place; not the negation: "pas de fièvre, une toux" is a toux)."""
    for k in range(1, len(spans)):
        if out[k]:
            continue
        if joins[k - 1] is not None:
            out[k].extend(c for c in out[k - 1] if c[1] <= spans[k - 1][0])


def _coordinated(norms, spans, out) -> None:
    """"absence de fièvre et de toux": a span joined to the previous one by
    "et", "ou", "," or "ni" and a repeated preposition (and an article) takes
    the preceding cues of that span (in place)."""
    for k in range(1, len(spans)):
        if out[k]:
            continue
        ps, pe = spans[k - 1]
        s = spans[k][0]
        between = norms[pe:s]
        if not (2 <= len(between) <= 3 and between[0] in _COORDINATORS
                and between[1] in _PREPOSITIONS
                and (len(between) == 2 or between[2] in _ARTICLES)):
            continue
        out[k].extend(c for c in out[k - 1] if c[1] <= ps)


_LIST_ARTICLES = _ARTICLES | {"d'", "de", "des", "du"}


_LIST_EVENTS = frozenset({"apparition", "majoration", "aggravation", "persistance", "survenue", "reprise",
                          "recidive", "reapparition", "installation"})
_MEASURE = re.compile(r"^(?:[<>≥≤=]|\d[\d,.]*|°c?|c|%|mmhg|kg|mg|g|g/l|mmol/l|h|j|jours?|heures?)$")


def _list_gap(between: list[str]) -> bool:
    """Round 20a: the words between two items of a list: a coordinator, then an article, a preposition or an
    event ("apparition d'oedèmes"); after the first item an adjective or two ("fièvre persistante, toux") or a
    measure ("fièvre > 38,5 °C, frissons"), and a comma before the coordinator (", ou palpitations")."""
    i, skipped = 0, 0
    while i < len(between) - 1 and skipped < 4 and between[i] not in _COORDINATORS and (
            _MEASURE.match(between[i]) or (skipped < 2 and _adjective_like(between[i]))):
        i, skipped = i + 1, skipped + 1
    rest = between[i:]
    if len(rest) > 1 and rest[0] == "," and rest[1] in ("ou", "et", "ni"):
        rest = rest[1:]
    if not rest or rest[0] not in _COORDINATORS:
        return False
    rest = rest[1:]
    if rest and rest[0] in _LIST_EVENTS:
        rest = rest[1:]
        if not rest or rest[0] not in ("de", "d'", "du", "des"):
            return False
        rest = rest[1:]
        if rest and rest[0] in _ARTICLES:
            rest = rest[1:]
        return not rest
    return len(rest) == 0 or (len(rest) == 1 and rest[0] in _LIST_ARTICLES)


def _conditional_list(norms, spans, out) -> None:
    """Round 18a: "Reconsulter si fièvre, toux ou dyspnée": the bare items coordinated after a span that a
    preceding "si" qualifies take that cue (in place); round 19a: also "en cas de" ("Reconsulter en cas de
    céphalées, troubles visuels ou douleurs épigastriques")."""
    for k in range(1, len(spans)):
        if out[k]:
            continue
        ps, pe = spans[k - 1]
        # round 20a: an adjective, a measure, an event between the items (_list_gap)
        if not _list_gap(norms[pe:spans[k][0]]):
            continue
        out[k].extend(c for c in out[k - 1] if c[1] <= ps and (norms[c[0]] in ("si", "s'il", "s'ils") or (
            norms[c[0]] == "en" and c[0] + 1 < len(norms) and norms[c[0] + 1] == "cas")))


_PAREN_LIST_SEPARATORS = frozenset({",", "ou", "et", "/"})


def _alternatives(norms, spans, a: int, b: int) -> bool:
    """``norms[a:b]`` is a list of short alternatives: each item between "," / "ou" / "et" a span (an article
    before it allowed) or one bare word ("(SEP, tumeur)", not "(patient sous Doliprane, HTA)")."""
    covered = set()
    for s, e in spans:
        if a <= s and e <= b:
            covered.update(range(s, e))
    item: list[int] = []
    for i in range(a, b + 1):
        if i == b or norms[i] in _PAREN_LIST_SEPARATORS:
            rest = [j for j in item if j not in covered and norms[j] not in _ARTICLES]
            if not item or (len(rest) > 1 or (rest and len(rest) < len(item))) \
                    or any(not norms[j].replace("-", "").isalpha() for j in rest):
                return False
            item = []
        else:
            item.append(i)
    return True


def _parenthesis_alternatives(norms, spans, matches, out) -> None:
    """Round 20a: "Pas d'argument pour une névralgie symptomatique (SEP, tumeur)", "évoquant une maladie
    systémique (lupus, sarcoïdose)": the items of a parenthesis that lists alternatives (a "," or "ou"
    inside) right after a noun phrase take the preceding cue of that phrase, which edsnlp's termination "("
    cut off (in place)."""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if out[k] or s < 3:
            continue
        opening = next((j for j in range(s - 1, max(-1, s - 8), -1) if norms[j] in ("(", ")")), None)
        if opening is None or norms[opening] != "(":
            continue
        close = next((j for j in range(e, min(n, e + 10)) if norms[j] in ("(", ")", ".", ";", "\n")), None)
        if close is None or norms[close] != ")":
            continue
        inside = norms[opening + 1:close]
        if not any(w in (",", "ou") for w in inside) or not _alternatives(norms, spans, opening + 1, close):
            continue
        for cs, ce, *label in matches:
            if label and label[0] not in PRECEDING:
                continue
            # the phrase between the cue and the "(" names no concept: a class the parenthesis details
            # ("une névralgie symptomatique (SEP, tumeur)"), not a finding and its evidence ("IRA probablement
            # fonctionnelle sur déshydratation (diarrhées, diurétique)")
            if ce < opening and opening - ce <= 4 and norms[ce] in _LIST_ARTICLES and not any(
                    w in _CLAUSE_STARTS or w in ("(", ")", "sur", "devant") or "\n" in w
                    for w in norms[ce:opening]) and not any(ce <= a < opening for a, _ in spans) \
                    and (cs, ce) not in out[k]:
                out[k].append((cs, ce))


_REASSESSED = ("reevalu", "rediscut", "reconsider", "reflechi")
_TREATMENT_NOUNS = frozenset({"traitement", "relais", "recours", "switch", "passage", "ajout", "introduction",
                              "anticoagulation", "antibiotherapie", "corticotherapie", "immunotherapie"})


def _indefinite_treatment_reassessed(norms, spans, hyp) -> None:
    """Round 20a: "Le bénéfice d'un traitement par Inexium sera réévalué", "l'intérêt d'un relais par
    Xarelto sera rediscuté": a drug named only as "un traitement par X" (an indefinite, not the drug taken:
    "le bénéfice du Kardégic sera réévalué" keeps it affirmed) whose clause ends on "sera réévalué(e)",
    "sera rediscuté(e)", "à réévaluer" is a treatment to come (a treatment cue: no disease is hedged)."""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if hyp[k] or s < 3 or norms[s - 1] not in ("par", "de", "d'", "au", "a"):
            continue
        lead = norms[max(0, s - 5):s - 1]
        if not (lead and lead[-1] in _TREATMENT_NOUNS and len(lead) >= 2 and lead[-2] in ("un", "une")):
            continue
        j = e
        while j < n and j - e <= 12 and norms[j] not in _TITLE_STOPS and norms[j] != "\n":
            w = norms[j]
            if w.startswith(_REASSESSED) and j > 0 and norms[j - 1] in (
                    "sera", "seront", "est", "a", "etre", "pourra", "devra", "reste"):
                a = j - 1 if norms[j - 1] != "a" or norms[j - 2] not in ("est", "sera", "reste") else j - 2
                hyp[k].append((a, j + 1))
                break
            j += 1


_UNJUSTIFIED = re.compile(r"^(?:n'(?:est|sont|etait|etaient|apparait|semble)\s+(?:pas|plus|nullement)\s+"
                          r"(?:\w+\s+)?justifiee?s?|ne\s+(?:se\s+justifie|s'impose)\s+pas"
                          r"|n'est\s+(?:pas|plus)\s+(?:recommandee?|licite|raisonnable|souhaitable))\b")
_SUBJECT_LEAD = frozenset({"le", "la", "l'", "les", "un", "une", "ce", "cet", "cette", "-", "*", "•", "par",
                           "traitement", "anticoagulation", "antibiotherapie", "corticotherapie", "relais",
                           "d'emblee"})


def _unjustified_subject(norms, spans, starts, neg) -> None:
    """Round 20a: "Le Solupred n'est pas justifié d'emblée", "Un traitement par Eliquis ne se justifie pas",
    "Une antibiothérapie par Augmentin n'est pas justifiée": the only span of the subject of "n'est pas
    justifié(e)" is denied; a subject that coordinates ("L'association Kardégic et Eliquis n'est pas
    justifiée", round 19a) or names more than a drug keeps its assertion (in place)."""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if neg[k]:
            continue
        i = bisect.bisect_right(starts, s) - 1
        lead = norms[starts[i]:s]
        if not all(w in _SUBJECT_LEAD for w in lead):
            continue
        j = e
        while j < n and j - e <= 4 and not norms[j].startswith("n'") and norms[j] != "ne" \
                and norms[j] not in _CLAUSE_STARTS and norms[j] not in ("et", "ou", "avec", "+", "\n"):
            j += 1
        if j >= n or not (norms[j].startswith("n'") or norms[j] == "ne"):
            continue
        tail = " ".join(norms[j:j + 6]).replace("n' ", "n'")
        m = _UNJUSTIFIED.match(tail)
        if m:
            neg[k].append((j, j + len(m.group(0).split())))


def _preposed_confirmation(norms, spans, hyp) -> None:
    """Round 20a: "En cas de confirmation, Entocort 9 mg/j", "Si le diagnostic se confirme : Tamiflu": a
    condition of confirmation that opens a clause, then a "," or ":", hedges the spans of what follows up to
    the clause's end (a treatment cue: the diseases there stay affirmed; in place)."""
    n = len(norms)
    for c, w in enumerate(norms):
        if not (w in _IF or (w == "en" and c + 1 < n and norms[c + 1] == "cas")):
            continue
        if c > 0 and norms[c - 1] not in _CLAUSE_STARTS and norms[c - 1] not in _BULLETS \
                and "\n" not in norms[c - 1]:
            continue
        q = c + 1
        while q < n and q - c <= 8 and norms[q] not in _CLAUSE_STARTS and "\n" not in norms[q]:
            q += 1
        if q >= n or norms[q] not in (",", ":") or not any(
                x.startswith(("confirm", "positi")) for x in norms[c + 1:q]):
            continue
        end = q + 1
        while end < n and norms[end] not in _TITLE_STOPS and "\n" not in norms[end]:
            end += 1
        for k, (s, e) in enumerate(spans):
            if q < s and e <= end and (c, q) not in hyp[k]:
                hyp[k].append((c, q))


_LIST_ENDS = frozenset({"ou", "ni"})


def _denied_or_list(norms, spans, neg) -> None:
    """Round 20a: "Pas de fièvre, toux ou dyspnée", "sans nausée, vomissement ni diarrhée": the bare items
    of a list closed by "ou" / "ni" after a span that a preceding cue denies take that cue (the "," of edsnlp
    ends its scope; a list closed by "et" stays as it is: "Pas de fièvre, toux grasse et expectorations"
    may list new findings; in place)."""
    k = 0
    while k < len(spans) - 1:
        if not neg[k]:
            k += 1
            continue
        cues = [c for c in neg[k] if c[1] <= spans[k][0]]
        chain_, j, closed = [], k, False
        while j + 1 < len(spans):
            pe, s = spans[j][1], spans[j + 1][0]
            between, skipped = norms[pe:s], 0
            while skipped < 2 and len(between) > 1 and between[0] not in _COORDINATORS \
                    and _adjective_like(between[0]):
                between, skipped = between[1:], skipped + 1
            if not (1 <= len(between) <= 2 and between[0] in _COORDINATORS
                    and (len(between) == 1 or between[1] in _LIST_ARTICLES)):
                break
            chain_.append(j + 1)
            j += 1
            if between[0] in _LIST_ENDS:
                closed = True
                break
        if closed and cues:
            for m in chain_:
                if not neg[m]:
                    neg[m].extend(cues)
        k = max(k + 1, j)


_NAMELY = frozenset({"notamment", "surtout", "particulierement", "essentiellement", "principalement"})


def _namely(norms, spans, matches, out) -> None:
    """Round 20a: "Un saignement digestif est à rechercher, notamment un cancer colique", "une cause
    secondaire est à éliminer, en particulier une tumeur": the examples after ", notamment" take the
    following cue that ends right before the comma (in place)."""
    ends, begins = {}, {}
    for cs, ce, label in matches:
        if label in FOLLOWING:
            ends.setdefault(ce, (cs, ce))
            begins.setdefault(cs, (cs, ce))
    if not ends:
        return
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if out[k]:
            continue
        # "Une néoplasie sous-jacente, notamment pulmonaire, doit être éliminée": an incise of examples between
        # the span and its cue
        j = e
        while j < n and j - e < 3 and (norms[j] == "-" or _adjective_like(norms[j])):
            j += 1  # an adjective ("sous-jacente": three tokens)
        if j + 2 < n and norms[j] == "," and (norms[j + 1] in _NAMELY or norms[j + 1:j + 3] == ["en", "particulier"]):
            q = next((i for i in range(j + 2, min(n, j + 8)) if norms[i] in _CLAUSE_STARTS or "\n" in norms[i]), None)
            if q is not None and norms[q] == "," and (q + 1) in begins:
                out[k].append(begins[q + 1])
                continue
        i = s - 1
        while i > 0 and norms[i] in _LIST_ARTICLES:
            i -= 1
        if i > 1 and norms[i] == "particulier" and norms[i - 1] == "en":
            i -= 1
        elif not (i > 0 and norms[i] in _NAMELY):
            continue  # (the later items, "notamment une tumeur ou une SEP": _coordinated_articles)
        if norms[i - 1] == "," and i - 1 in ends:
            out[k].append(ends[i - 1])


_DROPPED = ("abandonn", "delaiss", "rejet")
_WEIGHED_HEADS = ("hypothes", "piste", "diagnostic", "suspicion")


def _dropped_hypothesis(norms, spans, neg) -> None:
    """Round 20a: "L'hypothèse d'un lymphome a été abandonnée", "la piste d'une sarcoïdose est délaissée": a
    hypothesis given up is denied (a drug "abandonné" is a stopped one, annotated affirmed: only a span that an
    "hypothèse / piste / diagnostic de" introduces; in place)."""
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if neg[k] or s < 2:
            continue
        i = s - 1
        if norms[i] in _ARTICLES:
            i -= 1
        if not (i > 0 and norms[i] in ("de", "d'", "du", "des") and norms[i - 1].startswith(_WEIGHED_HEADS)):
            continue
        for j in range(e, min(n, e + 8)):
            if norms[j] in _CLAUSE_STARTS or "\n" in norms[j]:
                break
            if norms[j].startswith(_DROPPED):
                neg[k].append((j, j + 1))
                break


def _indefinite_complement(norms, spans, neg) -> None:
    """Round 18a: "une métastase pleurale d'un cancer non retrouvé, qui reste possible", "une métastase d'un
    primitif non identifié": a following negation cue after an indefinite complement ("d'un X") is about
    the complement (an unknown primary), not about the span before it (in place)."""
    for k, (s, e) in enumerate(spans):
        if not neg[k] or e + 2 >= len(norms) or norms[e] not in ("d'", "de") or norms[e + 1] not in ("un", "une"):
            continue
        neg[k][:] = [c for c in neg[k] if not (e + 2 < c[0] <= e + 5 and not any(
            w in _STOPS or w in (",", ":", "(", ")") or "\n" in w for w in norms[e:c[0]]))]


_PLAN_VERBS = frozenset({"eliminer", "exclure", "ecarter"})


def _plan_infinitive(norms, spans, starts, neg, hyp) -> None:
    """Round 18a: "CAT : éliminer une embolie pulmonaire", "- exclure une endocardite": an infinitive of ruling
    out that starts a clause (a sentence, a bullet, after a ":") is a task, not a result: its negation cue
    hedges (in place)."""
    first = set(starts)
    for k in range(len(spans)):
        for c in neg[k]:
            i = c[0]
            if norms[i] in _PLAN_VERBS and (i in first or i == 0 or norms[i - 1] in _BULLETS
                                            or norms[i - 1] == ":" or "\n" in norms[i - 1]):
                neg[k][:] = [x for x in neg[k] if x != c]
                if c not in hyp[k]:
                    hyp[k].append(c)
                break


_AGENT_LINKS = frozenset({"a", "au", "aux", "par"})


def _agent_following(norms, spans, out) -> None:
    """Round 18a: "Pyélonéphrite à E. coli probable": a following cue right after the agent span of a disease
    ("<disease> à <agent>") qualifies the disease too (in place)."""
    for k in range(len(spans) - 1):
        e, (s2, e2) = spans[k][1], spans[k + 1]
        if s2 - e != 1 or norms[e] not in _AGENT_LINKS or not out[k + 1]:
            continue
        for c in out[k + 1]:
            if e2 <= c[0] <= e2 + 1 and c not in out[k]:
                out[k].append(c)


_LIKEWISE = (("de", "meme", "qu'"), ("de", "meme", "que"), ("tout", "comme"))


def _likewise(norms, spans, out) -> None:
    """Round 18a: "Une lithiase salivaire est écartée, de même qu'un syndrome de Sjögren": a span after "de
    même que" / "tout comme" (an article allowed) takes the cues of the previous span of its sentence (in
    place)."""
    for k in range(1, len(spans)):
        s = spans[k][0]
        if out[k] or s < 3:
            continue
        lead = s - 1 if norms[s - 1] in _ARTICLES else s
        if lead < 3 or tuple(norms[lead - 3:lead]) not in _LIKEWISE and tuple(norms[lead - 2:lead]) not in _LIKEWISE:
            continue
        if out[k - 1] and not any(w in _STOPS or "\n" in w for w in norms[spans[k - 1][1]:s]):
            out[k].extend(out[k - 1])


_PAREN_COPULAS = frozenset({"parait", "paraissent", "semble", "semblent", "est", "sont", "reste", "restent",
                            "apparait", "apparaissent", "demeure", "demeurent"})


def _parenthesis_before_cue(norms, spans, matches, out) -> None:
    """"Une nécrolyse épidermique toxique (syndrome de Lyell) n'est pas
    retenue": a following cue right after a ")" also qualifies the spans
    inside the parenthesis and the span right before its "(" (edsnlp's
    terminations "(" and ")" cut them off; round 11); "une pneumopathie (à
    confirmer)": a following cue that opens a parenthesis qualifies the span
    right before it (in place)."""
    for cs, ce, label in matches:
        if label not in FOLLOWING or cs < 2:
            continue
        if norms[cs - 1] == "(":
            for k, (s, e) in enumerate(spans):
                if e == cs - 1 and (cs, ce) not in out[k]:
                    out[k].append((cs, ce))
            continue
        close = cs - 1
        # round 17a: a copula between the ")" and the cue ("(sclérodermie, syndrome des anti-synthétases)
        # paraît peu probable"), and a longer list inside
        while close > cs - 3 and close > 0 and norms[close] in _PAREN_COPULAS:
            close -= 1
        if close < 2 or norms[close] != ")":
            continue
        opening = next((j for j in range(close - 1, max(-1, close - 16), -1) if norms[j] in "()"), None)
        if opening is None or norms[opening] != "(":
            continue
        for k, (s, e) in enumerate(spans):
            # (round 12a) or an adjective away: "une myosite inflammatoire (dermato- ou polymyosite) est ..."
            if (opening < s and e <= close or e == opening or (
                    opening - 2 <= e < opening and not any(
                        norms[i] in _CLAUSE_STARTS for i in range(e, opening)))) \
                    and (cs, ce) not in out[k]:
                out[k].append((cs, ce))


_COPULAS = frozenset({"est", "sont", "a", "ont", "ete", "n'est", "ne", "n'a", "n'ont", "semble",
                      "semblent", "parait", "paraissent", "reste", "restent"})
_WITH = frozenset({"avec", "et/ou"})


def _subject_with(norms, spans, matches, out) -> None:
    """"Une récidive du cancer de prostate avec obstacle est écartée", "une
    pneumopathie avec épanchement est possible": a following predicate cue
    ("est écartée", "n'est pas retenue", "est possible") a few words after "X
    avec ..." is about the whole subject, although "avec" ends the scope of
    the cue (round 12a; in place). ``matches``: the cues left by the pseudo cues."""
    following = {m[0]: (m[0], m[1]) for m in matches if m[2] in FOLLOWING}
    if not following:
        return
    for k, (s, e) in enumerate(spans):
        if out[k]:
            continue
        w = e  # "cancer de prostate avec": a complement of the span's words first
        if w < len(norms) and norms[w] in _PREPOSITIONS:
            w = next((i for i in range(w + 1, min(w + 4, len(norms))) if norms[i] in _WITH), w)
        if w >= len(norms) or norms[w] not in _WITH \
                or any(norms[i] in _CLAUSE_STARTS or i in following for i in range(e, w)):
            continue
        for j in range(w + 1, min(w + 8, len(norms))):
            if norms[j] in _CLAUSE_STARTS or norms[j] in ("(", ")") or "\n" in norms[j]:
                break
            if j in following and (norms[j] in _COPULAS or norms[j - 1] in _COPULAS):
                out[k].append(following[j])
                break


# "la fièvre évoque une pneumopathie", "la dyspnée suggère une embolie": a
# verb of reasoning whose subject is the span (the evidence), not a hypothesis
_EVIDENCE_VERBS = frozenset({"evoque", "evoquent", "suggere", "suggerent", "oriente", "orientent",
                             "fait", "font", "pose", "posent", "laisse", "laissent"})
_OBJECT_STARTS = frozenset({"un", "une", "des", "le", "la", "l'", "les", "d'", "de", "plutot",
                            "evoquer", "suspecter", "craindre", "discuter", "penser", "vers",
                            "la", "question", "suspecter"})


def _evidence_subject(norms, spans, hyp) -> None:
    """"La fièvre évoque une pneumopathie", "la dyspnée suggère une embolie
    pulmonaire": a following cue that is the active verb of which the span
    is the subject (right after it, with its object after it) hedges the
    object, not the span (round 12a; in place). "Une sarcoïdose évoquée en
    premier lieu" keeps its cue (a participle, no object)."""
    for k, (s, e) in enumerate(spans):
        if hyp[k]:
            hyp[k][:] = [c for c in hyp[k] if not (
                e <= c[0] <= e + 1 and norms[c[0]] in _EVIDENCE_VERBS and c[1] < len(norms)
                and (norms[c[1]] in _OBJECT_STARTS or c[1] - c[0] > 1)
                # round 14a: "une sarcoïdose fait partie des hypothèses" is about the span
                and not any(w.startswith(_ABOUT_SPAN) for w in norms[c[0] + 1:c[1]]))]


_ABOUT_SPAN = ("partie", "hypothes", "diagnost")


def _prenominal_cue(norms, spans, hyp) -> None:
    """"Toux secondaire à une probable pneumopathie", "un possible lymphome":
    a cue between an article and a span is an adjective of that span; it does
    not hedge the spans before it (round 12a; in place)."""
    starts = {s for s, _ in spans}
    for k, (s, e) in enumerate(spans):
        if hyp[k]:
            hyp[k][:] = [c for c in hyp[k] if not (
                c[0] >= e and c[1] in starts and c[0] > 0
                and norms[c[0] - 1] in _ARTICLES | _PREPOSITIONS)]


_ADVERB_CUES = frozenset({"probablement", "possiblement", "vraisemblablement", "peut-etre"})
_GROUNDS = frozenset({"sur", "par"})


def _hedged_mechanism(norms, spans, hyp) -> None:
    """"IRA probablement fonctionnelle sur déshydratation", "confusion
    possiblement iatrogène par surdosage": an adverb hedging the adjective of
    a diagnosis (its mechanism) does not hedge the ground named after
    "sur" / "par" (round 12a; in place)."""
    starts = [s for s, _ in spans]
    for k, (s, e) in enumerate(spans):
        if hyp[k]:
            hyp[k][:] = [c for c in hyp[k] if not (
                c[1] < s and c[1] - c[0] == 1 and norms[c[0]] in _ADVERB_CUES
                and c[1] + 1 < s and norms[c[1] + 1] in _GROUNDS
                and bisect.bisect_left(starts, c[1]) == k)]


_DIAGNOSIS = frozenset({"diagnostic", "hypothese"})


def _diagnosis_predicate(norms, spans, hyp) -> None:
    """"Le diagnostic de sarcoïdose est envisagé / proposé": a following cue
    about the diagnosis named by "diagnostic de X" is a hypothesis about X,
    not a treatment cue (``pipeline.TREATMENT_CUE_PATTERN`` would keep X
    affirmed): the cue is widened to "diagnostic ... envisagé" (round 12a; in place)."""
    for k, (s, e) in enumerate(spans):
        if not hyp[k] or s < 2 or norms[s - 1] not in _PREPOSITIONS or norms[s - 2] not in _DIAGNOSIS:
            continue
        hyp[k][:] = [(s - 2, c[1]) if c[0] >= e else c for c in hyp[k]]


def _predicate_colon(norms, spans, hyp) -> None:
    """"Une iatrogénie est possible : Seresta diminué puis arrêté",
    "Pneumopathie probable : Augmentin": a preceding hypothesis cue that is a
    predicate, or follows a span on its line (not a list title, see
    :func:`_is_title`), does not reach past a ":" after it (round 12a; in place)."""
    starts = [s for s, _ in spans]
    for k, (s, e) in enumerate(spans):
        if hyp[k]:
            hyp[k][:] = [c for c in hyp[k] if not (
                c[1] <= s and ":" in norms[c[1]:s] and not _is_title(norms, starts, c[0]))]


# round 12a: rules on the hypothesis cues alone, in this order
_HEDGE_RULES = (_predicate_colon, _evidence_subject, _prenominal_cue, _hedged_mechanism, _diagnosis_predicate)


def _question_after_colon(norms, spans, hyp) -> None:
    """"Douleur thoracique : SCA ?": a trailing "?" asks about what follows
    the last ":" before it, not about the spans before that colon (in
    place)."""
    for k, (s, e) in enumerate(spans):
        hyp[k][:] = [c for c in hyp[k] if not (c[0] >= e and norms[c[0]] == "?"
                                                 and ":" in norms[e:c[0]])]


_BEFORE_POSSESSIVE = frozenset({"de", "du", "d'", "pour", "sur", "a", "avec"})


def _own_disease(norms, spans, hyp) -> None:
    """"suspicion de décompensation de son insuffisance cardiaque", "une
    infection de son ulcère est à éliminer": a span after "de son/sa/ses"
    is a disease the patient is known to have; what is hedged is the event
    about it, so the span loses its hypothesis cues (in place)."""
    for k, (s, e) in enumerate(spans):
        if hyp[k] and s >= 1 and norms[s - 1] in _POSSESSIVES and (
                s == 1 or norms[s - 2] in _BEFORE_POSSESSIVE
                # round 14a: "Sa BPCO peut expliquer la dyspnée" (the subject of its clause)
                or norms[s - 2] in _CLAUSE_ENDS or "\n" in norms[s - 2]):
            hyp[k].clear()
        elif hyp[k] and _after_event(norms, s):
            hyp[k].clear()


def _after_event(norms, s: int) -> bool:
    """"poussée de Crohn", "exacerbation de la BPCO", "décompensation d'un
    diabète", "poussée iléale de la maladie de Crohn": the span
    comes right after an event noun (an adjective between allowed), and an
    event of a disease presupposes the disease (round 9)."""
    j = s - 1
    if j >= 0 and norms[j] in _ARTICLES:
        j -= 1
    if j < 1 or norms[j] not in _PREPOSITIONS:
        return False
    if norms[j - 1] in _PRESUPPOSING:
        return not (j >= 2 and norms[j - 2] in _FIRST)  # round 16: "une première poussée de SEP"
    return j >= 2 and norms[j - 2] in _PRESUPPOSING and norms[j - 1] not in _FIRST


# round 16: "évocatrice d'une première poussée de sclérose en plaques", "poussée inaugurale de
# Crohn": the first event of a disease does not presuppose it
_FIRST = frozenset({"premier", "premiere", "1er", "1ere", "1re", "inaugural", "inaugurale"})


# events of a chronic disease; not "récidive d'embolie pulmonaire", which may be
# a new event (the round-8 rule of "de son/sa" covers "récidive de son cancer")
_PRESUPPOSING = _EVENTS - {"recidive", "recrudescence"}


_ORIGIN = frozenset({"origine", "cause", "mecanisme", "etiologie", "allure"})


def _origin_cue(norms, spans, hyp) -> None:
    """"exacerbation de BPCO d'origine infectieuse probable", "AVC de
    mécanisme embolique possible", "pneumopathie de probable origine
    virale": a cue after (or inside) "d'origine ..." hedges the cause, not
    the disease before it (in place)."""
    for k, (s, e) in enumerate(spans):
        if not hyp[k] or e + 1 >= len(norms) or norms[e] not in _PREPOSITIONS:
            continue
        cause = e + 1 + max([0] + [c[1] - c[0] for c in hyp[k] if c[0] == e + 1])  # "de probable origine"
        if cause < len(norms) and norms[cause] in _ORIGIN:
            hyp[k][:] = [c for c in hyp[k] if not e < c[0] <= cause + 4]


_TYPE_OF = (["a", "type", "de"], ["a", "type", "d'"], ["de", "type"], ["type"])


def _type_of(norms, spans, hyp) -> None:
    """"céphalée primaire probable, à type de migraine": a span that
    specifies the previous one ("à type de", "de type", after its
    following cue if any) shares its hypothesis (in place)."""
    for k in range(1, len(spans)):
        if hyp[k] or not hyp[k - 1]:
            continue
        s = spans[k][0]
        pe = spans[k - 1][1]
        pe = max([pe] + [c[1] for c in hyp[k - 1] if c[0] == pe])  # its own cue: "probable"
        between = norms[pe:s]
        if between[:1] == [","]:
            between = between[1:]
        if between in _TYPE_OF:
            hyp[k].extend(hyp[k - 1])


_PREDICATE_HEADS = frozenset({"est", "sont", "reste", "restent", "semble", "semblent", "parait",
                              "paraissent", "serait", "seraient", "apparait"})


def _type_of_predicate(norms, spans, hyp) -> None:
    """"un trouble neurocognitif, de type maladie d'Alzheimer, est possible":
    when the span that specifies the previous one ("de type", "à type de",
    one word and a comma allowed before) is hedged by a following cue that
    is a predicate ("est possible", "reste à éliminer") or comes after a
    comma, the subject it specifies is hedged too; an adjective right after
    the type hedges the type only: "céphalées à type de migraine probable"
    (in place)."""
    for k in range(len(spans) - 1, 0, -1):
        s, e = spans[k]
        after = [c for c in hyp[k] if c[0] >= e]
        if not after:
            continue
        between = norms[spans[k - 1][1]:s]
        tail = next((p for p in _TYPE_OF if between[-len(p):] == p), None)
        if tail is None:
            continue
        head = between[:-len(tail)]  # "", ",", or a word or two and ",": "sous-jacent,"
        if head[-1:] == [","]:
            head = head[:-1]
        if len(head) > 3 or not all(w.isalpha() or w == "-" for w in head):
            continue
        predicates = [c for c in after if norms[c[0]] in _PREDICATE_HEADS or (
            c[0] == e + 1 and norms[e] == ",")]
        if predicates:
            hyp[k - 1].extend(c for c in predicates if c not in hyp[k - 1])
        else:  # an adjective after the type: "probable" qualifies the type only
            hyp[k - 1][:] = [c for c in hyp[k - 1] if c not in after]


def _distribute_following(norms, spans, joins, hyp) -> None:
    """"cisplatine et vinorelbine est envisagée", "sarcoïdose ou tuberculose
    à évoquer", "une sarcoïdose, une tuberculose ou un lymphome sont
    possibles": a following hypothesis cue at most two tokens after a span
    also qualifies the spans before it joined to it by one "et", "ou" or ","
    (and an article: round 12a) (in place)."""
    if not any(hyp):  # no cue to share
        return
    tail: list[tuple[int, int] | None] = [None] * len(spans)
    for k in range(len(spans) - 1, -1, -1):
        s, e = spans[k]
        own = [c for c in hyp[k] if e <= c[0] <= e + 2]
        if own:
            tail[k] = own[0]
        elif k + 1 < len(spans) and tail[k + 1] is not None \
                and (not hyp[k] or tail[k + 1] in hyp[k]) \
                and ((spans[k + 1][0] == e + 1 and norms[e] in _OR_JOINERS) or joins[k] is not None) \
                and not (norms[e] == "," and norms[tail[k + 1][0]] == "?"):
            if not hyp[k]:
                hyp[k].append(tail[k + 1])
            tail[k] = tail[k + 1]


_OR_JOINERS = frozenset({"et", "ou", ","})


# round 12a: a test ordered for a disease ("sérologies VIH, VHB et VHC
# demandées", "PCR grippe en cours", "prévoir une sérologie de Lyme") is a
# workup: the disease is a hypothesis. Norms (folded, plurals removed).
_TEST_NOUNS = frozenset({"serologie", "pcr", "antigenurie", "antigenemie", "test", "tdr", "sero",
                         "depistage"})  # round 13a: "un dépistage VIH et VHC est proposé"
_TEST_WORDS = ("serolog", "pcr", "antigen", "test", "tdr", "sero", "depistage")  # in the NORM text: a quick guard
_PENDING = (("demande",), ("demandee",), ("en", "cours"), ("en", "cour"), ("a", "prevoir"), ("prevu",), ("prevue",),
            ("preleve",), ("prelevee",), ("envoye",), ("envoyee",), ("programme",), ("programmee",),
            ("a", "faire"), ("a", "realiser"), ("a", "demander"), ("a", "prelever"), ("en", "attente"),
            *[(*aux, v) for aux in ((), ("est",), ("sont",), ("sera",), ("a",)) for v in (
                "propose", "proposee", "proposes", "proposees", "proposer", "conseille", "conseillee")])
_PENDING_LAST = frozenset(words[-1] for words in _PENDING)
_ORDERING = frozenset({"prevoir", "demander", "demande", "realiser", "faire", "prelever", "programmer",
                       "envoi", "prelevement"})
_LIST_WORDS = frozenset({",", "et", "ou", "de", "d'", "du", "des", "la", "le", "l'", "les", "une", "un",
                         "/", "anti", "contre"})


def _pending_at(norms, i: int) -> tuple[int, int] | None:
    """The (start, end) of a pending status word at ``i`` ("demandée", "en
    cours", "à prévoir"), else None."""
    for words in _PENDING:
        if tuple(norms[i:i + len(words)]) == words:
            return i, i + len(words)
    return None


def _pending_test(norms, spans, neg, hyp) -> None:
    """"Sérologies VIH, VHB et VHC demandées", "PCR grippe en cours", "prévoir
    une sérologie VIH": a span named after a test noun, alone or in a list of
    spans, with a pending status after the list or an ordering verb before the
    test, is hypothetical (in place; a negated span is left as it is)."""
    covered = {i for s, e in spans for i in range(s, e)}
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if neg[k]:
            continue
        t = s - 1
        while t >= 0 and s - t <= 12 and (t in covered or norms[t] in _LIST_WORDS or (
                norms[t] == "(" and t >= 1 and norms[t - 1] in _TEST_NOUNS)):  # "Sérologies (VIH, VHB)"
            t -= 1
        # round 14a: "Sérologies en attente (VIH, VHB)"
        if t >= 1 and norms[t] in ("(", ":") and norms[t - 1] in _PENDING_LAST:
            p = next((p for p in range(max(0, t - 3), t) if _pending_at(norms, p) == (p, t)), None)
            if p is not None and p >= 1 and norms[p - 1] in _TEST_NOUNS:
                if (p - 1, t) not in hyp[k]:
                    hyp[k].append((p - 1, t))
                continue
        if t < 0 or norms[t] not in _TEST_NOUNS:
            continue
        cue = None
        j = t - 1
        while j >= 0 and t - j <= 3 and norms[j] in _LIST_WORDS - {","}:
            j -= 1
        if j >= 0 and norms[j] in _ORDERING:
            cue = (j, t + 1)  # "prévoir une sérologie": not a treatment cue (the disease is hedged)
        else:
            f = e
            while f < n and f - e <= 12 and (f in covered or norms[f] in _LIST_WORDS or norms[f] == ")"):
                f += 1
            cue = _pending_at(norms, f) if f < n else None
            if cue is not None and norms[cue[1] - 1].startswith(("propos", "conseill")):
                cue = (t, cue[1])  # "dépistage VHC proposé": not a treatment cue (round 13a)
        if cue is not None and cue not in hyp[k]:
            hyp[k].append(cue)


# "suspicion d'embolie pulmonaire, confirmée à l'angioscanner / finalement
# écartée": the words between the span and the outcome of its suspicion
_SETTLING = frozenset({",", "puis", "finalement", "secondairement", "rapidement", "ensuite", "qui", "a",
                       "ete", "est", "et", "formellement", "bien", "depuis", "alors"})
_NOT_SETTLED = frozenset({"sera", "seront", "serait", "seraient", "etre", "se", "pourra", "pourrait",
                          "devra", "devrait", "si", "pas", "non", "jamais"})
_CONFIRMED = frozenset({"confirme", "confirmee", "prouve", "prouvee", "authentifie", "authentifiee",
                        "documente", "documentee"})


def _settled_suspicion(norms, spans, matches, neg, hyp) -> None:
    """"Une pneumopathie suspectée a été confirmée au scanner", "adressé pour
    suspicion d'embolie pulmonaire, finalement écartée", "une lithiase a été
    recherchée et non retrouvée": a hedged span whose suspicion is then
    confirmed is affirmed; one then ruled out (a following negation cue
    after "," / "et" / "puis" / "finalement") is negated (round 12a; in
    place). ``matches``: the negation cues left by the pseudo cues."""
    following = {m[0]: (m[0], m[1]) for m in matches if m[2] in FOLLOWING}
    n = len(norms)
    for k, (s, e) in enumerate(spans):
        if not hyp[k] or neg[k] or any(" ".join(norms[a:b]) in _CONDITIONAL for a, b in hyp[k]):
            continue  # "Xolair si l'ABPA est confirmée": still a condition
        own = {i for c in hyp[k] if c[0] >= e for i in range(c[0], c[1])}  # "suspectée puis confirmée"
        j = e
        while j < n and j - e <= 8 and j not in following and norms[j] not in _CONFIRMED \
                and (norms[j] in _SETTLING or j in own):
            j += 1
        if j >= n or any(w in _NOT_SETTLED for w in norms[e:j]):
            continue
        if norms[j] in _CONFIRMED:
            hyp[k][:] = []
        elif j in following:  # "recherchée et non retrouvée", ", finalement écartée"
            neg[k].append(following[j])


_IF = frozenset({"si", "s'il", "s'ils"})
_CLAUSE_STARTS = frozenset({".", ";", ":", ",", "?", "!"})


def _if_confirmed(norms, spans, hyp) -> None:
    """"Rocéphine et Flagyl si l'angiocholite se confirme", "Tamiflu en cas
    de confirmation": a treatment given only if a diagnosis is confirmed is
    hypothetical. The cue ("si ... confirme") is one of a treatment
    (``pipeline.TREATMENT_CUE_PATTERN``), so a disease before it stays
    affirmed; the spans of the condition keep their own cues (in place)."""
    n = len(norms)
    for c, w in enumerate(norms):
        if not (w in _IF or (w == "en" and c + 1 < n and norms[c + 1] == "cas")):
            continue
        q = c + 1
        while q < n and q - c <= 10 and norms[q] not in _CLAUSE_STARTS and "\n" not in norms[q] \
                and not norms[q].startswith(("confirm", "positi")):
            q += 1
        if q >= n or not norms[q].startswith(("confirm", "positi")):
            continue
        b = c - 1
        while b >= 0 and norms[b] not in _CLAUSE_STARTS and "\n" not in norms[b]:
            b -= 1
        for k, (s, e) in enumerate(spans):
            if b < s and e <= c and (c, q + 1) not in hyp[k]:
                hyp[k].append((c, q + 1))


_SUBJECT_SKIP = frozenset({"un", "une", "des", "le", "la", "l'", "les", "d'", "de", "du", "en", "et", "ou",
                           "plus", "moins", "tres", "peu", "bien", "aussi"})


def _colon_before_subject(norms, spans, hyp) -> None:
    """"Hématurie chez un fumeur : une tumeur de vessie est à éliminer", "Dyspnée chez un patient
    BPCO : une exacerbation est probable": a following cue whose own subject stands between a ":"
    and the cue hedges that subject, not the spans before the ":" (round 15; "Pneumopathie
    probable : Augmentin" and the titles of a list keep their rules: the cue is before the colon)."""
    for k, (s, e) in enumerate(spans):
        if not hyp[k]:
            continue
        keep = []
        for c in hyp[k]:
            cs = c[0]
            if e <= cs <= e + 30:
                between = norms[e:cs]
                if ":" in between and not any("\n" in w for w in between):
                    after = between[len(between) - between[::-1].index(":"):]
                    if any(len(w) > 2 and w.isalpha() and w not in _SUBJECT_SKIP for w in after):
                        continue
            keep.append(c)
        if len(keep) != len(hyp[k]):
            hyp[k][:] = keep


_RESULT_STARTS = ("confirm", "positi", "negati", "normal", "revien", "echec", "echou", "infirm", "amelior",
                  "inefficac")
# a drug being stopped, kept or tapered after the condition is the patient's ("Si amélioration : arrêt de
# l'Augmentin")
_TAKEN_AFTER_IF = frozenset({"arret", "arreter", "poursuite", "poursuivre", "maintien", "maintenir", "diminution",
                             "diminuer", "decroissance", "suspension", "suspendre", "sevrage"})
_RESULT_NOUNS = frozenset({"biopsie", "biopsies", "serologie", "serologies", "irm", "scanner", "tdm", "bilan",
                           "resultat", "resultats", "histologie", "anapath", "pcr", "ecbu", "hemocultures",
                           "culture", "cultures", "prelevement", "prelevements", "test", "tests", "examen",
                           "ponction", "tep", "tep-scanner", "echographie", "dosage", "enquete"})


def _reserve_after(norms, spans, hyp) -> None:
    """"Augmentin en cas d'échec de la pristinamycine": a treatment followed by the failure it is held
    for (round 15; the phrase is read as a preceding cue, about the drug that fails, which is taken)."""
    for k, (s, e) in enumerate(spans):
        if e + 3 < len(norms) and norms[e] == "en" and norms[e + 1] == "cas":
            for r in _RESERVE_LEADS[-3:]:
                if norms[e:e + len(r)] == r and (e, e + len(r)) not in hyp[k]:
                    hyp[k].append((e, e + len(r)))


def _if_result_then(norms, spans, hyp) -> None:
    """"Si la biopsie est négative : prednisone 1 mg/kg/j", "Si la sérologie revient positive,
    Bactrim": a treatment planned on a result still to come, the condition first, is
    hypothetical (round 15; the condition after the drug is :func:`_if_confirmed`'s, and a
    symptom's condition is an as-needed prescription: "Si douleur : Doliprane", left as it is).
    The cue is the condition; what follows its ":" or "," up to the sentence end (in place)."""
    n = len(norms)
    for c in [i for i, w in enumerate(norms) if w in _CONDITION_FIRST]:
        w = norms[c]
        if c > 0 and norms[c - 1] not in _CLAUSE_STARTS and "\n" not in norms[c - 1]:
            continue
        lead = w in ("en", "a") and any(norms[c:c + len(r)] == r for r in _RESERVE_LEADS)
        if not (lead or w in _IF or (w == "s'" and c + 1 < n and norms[c + 1] in ("il", "ils"))):
            continue
        q = c + 1
        result = lead
        while q < n and q - c <= 12 and norms[q] not in (":", ",", ".", ";") and "\n" not in norms[q]:
            result = result or norms[q] in _RESULT_NOUNS or norms[q].startswith(_RESULT_STARTS)
            q += 1
        if not result or q >= n or norms[q] not in (":", ","):
            continue
        end = q + 1
        while end < n and norms[end] not in (".", ";", "!", "?") and "\n" not in norms[end]:
            end += 1
        for k, (s, e) in enumerate(spans):
            if q < s and e <= end and (c, q + 1) not in hyp[k] \
                    and not any(w in _TAKEN_AFTER_IF for w in norms[max(q + 1, s - 3):s]):
                hyp[k].append((c, q + 1))


_CONDITIONAL = frozenset({"si", "s'il", "s'ils", "en cas", "en cas de", "en cas d'", "au cas ou",
                          "lorsque", "quand"})


def _conditional_repeat(norms, spans, neg, hyp, fam) -> None:
    """"Pas de fièvre ... Doliprane si fièvre" is handled by the negation; "il a
    de la fièvre ... Doliprane si fièvre", "rappeler si la boiterie persiste":
    a span hedged only by a condition, whose words the note also gives
    without any cue, is that finding again, not a hypothesis (in place)."""
    hedged = [k for k in range(len(spans)) if hyp[k] and not neg[k] and not fam[k] and all(
        " ".join(norms[a:b]) in _CONDITIONAL for a, b in hyp[k])]
    if not hedged:
        return
    plain = {_sign_key(norms[s:e]) for k, (s, e) in enumerate(spans)
             if not (neg[k] or hyp[k] or fam[k])}
    # round 14a: "Pas de fièvre ... reconsulter en cas de fièvre" (the denied finding again)
    denied = {_sign_key(norms[s:e]): k for k, (s, e) in enumerate(spans) if neg[k] and not (hyp[k] or fam[k])}
    for k in hedged:
        key = _sign_key(norms[spans[k][0]:spans[k][1]])
        if key in plain or _episode_of(norms, spans, k, plain):
            hyp[k] = []
        elif key in denied:
            hyp[k], neg[k] = [], list(neg[denied[key]])


# round 14a: "Migraine ... Relpax si crise migraineuse", "asthmatique ... Ventoline si crise
# d'asthme", "goutte ... colchicine en cas de poussée": an episode of a disease the note gives
_EPISODES = frozenset({"crise", "crises", "poussee", "poussees", "episode", "episodes", "acces",
                       "recidive", "recidives", "exacerbation", "exacerbations"})
_EPISODE_LINKS = frozenset({"de", "d'", "du", "des"})


def _episode_of(norms, spans, k: int, plain: set) -> bool:
    """The span ``k`` is, or follows, "crise / poussée (de)" ("crise migraineuse") and its X the
    words of a plain span begin with (five letters: "migraineuse", "migraine")."""
    s, e = spans[k]
    words = norms[s:e]
    if words[0] in _EPISODES:
        words = words[1:]
    elif not (s > 0 and norms[s - 1] in _EPISODES
              or s > 1 and norms[s - 1] in _EPISODE_LINKS and norms[s - 2] in _EPISODES):
        return False
    rest = [w for w in words if w not in _EPISODE_LINKS]
    stems = {w[:5] for w in rest if len(w) >= 5}
    return bool(stems) and len(stems) == len(rest) and any(
        stems <= {w[:5] for w in key} for key in plain)


# round 13a: one sign in other words ("vomissements ... Primpéran si nausées",
# "fébrile ... Doliprane si fièvre"): the words of a span, a sign's wordings as one
_SAME_SIGN = {w: group for group, words in {
    "nausea": ("nausee", "nausees", "vomissement", "vomissements", "vomissant", "vomissante"),
    "fever": ("fievre", "febrile", "febricule", "hyperthermie", "fievres"),
    "pain": ("douleur", "douleurs", "douloureux", "douloureuse"),
}.items() for w in words}


def _sign_key(words: list[str]) -> tuple[str, ...]:
    return tuple(_SAME_SIGN.get(w, w) for w in words)


def _filter_pseudo(matches: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """edsnlp's ``filter_spans(matches, label_to_remove="pseudo")``: longest
    then leftmost first; a pseudo cue claims its tokens (unless they are
    claimed already) and is dropped; another cue is kept unless its tokens
    touch claimed ones."""
    ordered = sorted(matches, key=lambda m: (m[1] - m[0], -m[0]), reverse=True)
    kept, claimed = [], set()
    for m in ordered:
        tokens = range(m[0], m[1])
        if claimed.isdisjoint(tokens):
            if m[2] == PSEUDO:
                claimed.update(tokens)
            else:
                kept.append(m)
    kept.sort(key=lambda m: m[0])
    return kept


def _scoped(spans, matches, starts, preceding, following, inner_ends: bool = False,
            cues=None) -> list[list[tuple[int, int]]]:
    """Per span, the cues that qualify it (empty: not qualified). With
    ``preceding`` None (family), every cue of the span's scopes counts.

    edsnlp walks the scopes in order and hands each the spans it overlaps
    (its ``consume_spans`` with a "second chance" for spans that cross a
    boundary) and the cues that start in it; for spans of one token or more
    that is: each span meets the cues that start in any scope it overlaps.

    ``inner_ends`` (ours): a termination inside a cue ends no scope
    ("compatible avec", "en rapport avec", "ainsi que")."""
    out: list[list[tuple[int, int]]] = [[] for _ in spans]
    if cues is None:  # the cues left by the pseudo cues, if the caller has them
        cues = _filter_pseudo([m for m in matches if m[2] != TERMINATION])
    if not cues or not spans:
        return out
    ends = [m[0] for m in matches if m[2] == TERMINATION]
    if inner_ends:
        inner = {i for c in cues for i in range(c[0] + 1, c[1])}
        ends = [t for t in ends if t not in inner]
    bounds = sorted({*starts, *ends})
    by_scope: dict[int, list[tuple[int, int, str]]] = {}
    for c in cues:
        by_scope.setdefault(bisect.bisect_right(bounds, c[0]) - 1, []).append(c)
    # per scope [lo, hi) holding cues, in order, the spans that overlap it (s < hi, e - 1 >= lo): the same
    # cues in the same order per span as a walk over each span's scopes; spans sorted by start, at most
    # ``longest`` tokens long
    span_starts = [s for s, _ in spans]
    longest = max(e - s for s, e in spans)
    for i in sorted(by_scope):
        lo = bounds[i]
        hi = bounds[i + 1] if i + 1 < len(bounds) else spans[-1][0] + 1
        for k in range(bisect.bisect_left(span_starts, lo + 1 - longest), bisect.bisect_left(span_starts, hi)):
            s, e = spans[k]
            if e - 1 < lo:
                continue
            for c in by_scope[i]:
                if preceding is None:
                    if c[2] == "family":
                        out[k].append((c[0], c[1]))
                elif (c[2] in preceding and c[1] <= s) or (c[2] in following and c[0] >= e):
                    out[k].append((c[0], c[1]))
    return out


# ------------------------------------------------------------ round 13a
_STOPS = frozenset({".", ";", "?", "!", "...", "…"})
_OF_ORIGIN = frozenset({"de", "d'", "dont", "le", "la", "l'", "une", "un"})


def _origin_at(norms, i: int, limit: int) -> int | None:
    """The index of an origin noun ("origine", "mécanisme", "cause") reached
    from ``i`` over at most ``limit`` words of one clause, else None."""
    for j in range(i, min(len(norms), i + limit)):
        if norms[j] in _ORIGIN:
            return j
        if norms[j] in _STOPS or norms[j] in {",", ":", "("}:
            return None
    return None


def _hedged_origin(norms, spans, hyp) -> None:
    """"AVC ischémique mineur sylvien droit d'origine cardio-embolique
    probable sur FA", "infarctus dont le mécanisme reste indéterminé": a cue
    inside the origin phrase of a diagnosis (a few adjectives after it) hedges
    the cause, neither the diagnosis before it nor the ground after "sur" /
    "par" (in place; :func:`_origin_cue` is the adjacent case)."""
    starts = [s for s, _ in spans]
    for k, (s, e) in enumerate(spans):
        if not hyp[k]:
            continue
        o = _origin_at(norms, e, 6)
        if o is not None and any(w in _OF_ORIGIN for w in norms[o - 2:o]):
            hyp[k][:] = [c for c in hyp[k] if not (o < c[0] <= o + 7 and not (
                _STOPS | {":", ","}) & set(norms[o:c[0]]))]
        hyp[k][:] = [c for c in hyp[k] if not (
            c[1] < s and norms[c[1]] in _GROUNDS and bisect.bisect_left(starts, c[1]) == k
            and any(norms[j] in _ORIGIN for j in range(max(0, c[0] - 6), c[0]))
            and not _STOPS & set(norms[c[0] - 6:c[0]]))]


def _new_subject_after_colon(norms, spans, hyp) -> None:
    """"Mal perforant plantaire : une ostéite est à éliminer", "infarctus
    dont le mécanisme reste indéterminé : une origine embolique sur une FA est
    suspectée": a following cue whose own subject (a span, an origin noun)
    stands after a ":" does not reach back before it (in place)."""
    for k, (s, e) in enumerate(spans):
        if not hyp[k]:
            continue
        keep = []
        for c in hyp[k]:
            colon = next((j for j in range(e, c[0]) if norms[j] == ":"), None) if c[0] >= e else None
            if colon is not None and (any(colon < s2 < c[0] for s2, _ in spans) or any(
                    norms[j] in _ORIGIN for j in range(colon, c[0]))):
                continue
            keep.append(c)
        hyp[k][:] = keep


def _after_post(norms, spans, hyp) -> None:
    """"Une dépression post-AVC est à surveiller": the event after "post-"
    is the ground of the hedged finding, not a hypothesis (in place)."""
    for k, (s, e) in enumerate(spans):
        if hyp[k] and s >= 1 and (norms[s - 1] in {"post", "post-"} or (
                s >= 2 and norms[s - 1] == "-" and norms[s - 2] == "post")):
            hyp[k][:] = []


_EVOKED = frozenset({f"{v}{g}" for v in ("evoque", "suspecte", "envisage", "discute", "soupconne", "suggere")
                     for g in ("", "e", "s", "es")})
_THEN = frozenset({"puis", "finalement", "secondairement", "mais", "avant", "ensuite"})
_RULED_OUT = frozenset({f"{v}{g}" for v in ("ecarte", "elimine", "exclu", "infirme", "refute")
                        for g in ("", "e", "s", "es")})
_CLAUSE_ENDS = _STOPS | {",", ":"}


def _evoked_then_ruled_out(norms, spans, neg, hyp) -> None:
    """"Une crise d'épilepsie partielle avec déficit post-critique a été
    évoquée puis écartée", "un SCA a d'abord été évoqué chez ce patient
    diabétique, puis écarté par la coronarographie": a diagnosis evoked,
    then ruled out, is denied, whatever lies between the span and its verb
    in the clause (in place)."""
    n = len(norms)
    outcome = {}  # evoking verb -> its ruling-out word, found once per note
    for v, w in enumerate(norms):
        if w not in _EVOKED or not {"ete", "est", "sont", "a"} & set(norms[max(0, v - 4):v]):
            continue
        t = v + 1
        while t < n and t - v <= 10 and norms[t] not in _THEN and norms[t] not in _STOPS | {":"}:
            t += 1
        r = next((j for j in range(t + 1, min(n, t + 5)) if norms[j] in _RULED_OUT), None) \
            if t < n and norms[t] in _THEN else None
        if r is not None and not _STOPS & set(norms[t:r]):
            outcome[v] = r
    if not outcome:
        return
    for k, (s, e) in enumerate(spans):
        if neg[k]:
            continue
        v = e
        while v < n and v - e <= 12 and norms[v] not in _CLAUSE_ENDS and norms[v] not in _EVOKED:
            v += 1
        r = outcome.get(v)
        if r is not None:
            hyp[k][:] = []
            neg[k].append((r, r + 1))


_HEDGE_RULES_13A = (_hedged_origin, _new_subject_after_colon, _after_post)


# ------------------------------------------------------------ round 14a
# "possible participation du Tramadol", "un rôle favorisant de l'Eliquis est possible",
# "chute favorisée par le Seresta ?", "hépatite possiblement liée à l'Augmentin": the
# hedge is about the link; what a definite article names after it is known (the drug
# taken, the disease the patient has). "liée à une hypothyroïdie" (indefinite) stays hedged.
_CAUSE_NOUNS = frozenset({"participation", "responsabilite", "role", "imputabilite", "implication",
                          "contribution", "part", "effet", "effets"})
_CAUSE_ADJECTIVES = frozenset({"favorisant", "aggravant", "causal", "declenchant", "possible",
                               "probable", "eventuelle", "eventuel", "indesirable", "indesirables"})
_LINKED = frozenset({f"{p}{g}" for p in ("favorise", "aggrave", "declenche", "majore", "lie", "impute",
                                         "provoque", "entretenu", "entretenue")
                     for g in ("", "e", "s", "es")} | {"secondaire", "secondaires", "attribuable",
                                                       "attribuables"}) | {
    # round 15: "une compression par le kyste poplité est peu probable": the cyst is there
    "compression", "compressions", "obstruction", "refoulement"}
_DEFINITE_AFTER = {"de": ("la", "l'", "les"), "par": ("le", "la", "l'", "les"), "a": ("la", "l'")}
_CONTRACTED = {"du": "de", "des": "de", "au": "a", "aux": "a"}


def _link_head(norms, s: int) -> bool:
    """A causal link with a definite article ends right before token ``s``."""
    j = s - 1
    if j >= 0 and norms[j] in _CONTRACTED:
        prep, j = _CONTRACTED[norms[j]], j - 1
    elif j >= 1 and norms[j - 1] in _DEFINITE_AFTER and norms[j] in _DEFINITE_AFTER[norms[j - 1]]:
        prep, j = norms[j - 1], j - 2
    else:
        return False
    if j >= 0 and prep == "de" and norms[j] in _CAUSE_ADJECTIVES:
        j -= 1  # "rôle favorisant de l'"
    return j >= 0 and ((prep == "de" and norms[j] in _CAUSE_NOUNS)
                       or (prep != "de" and norms[j] in _LINKED))


def _definite_cause(norms, spans, hyp, hedged) -> None:
    """A span named by a definite article after a hedged causal link (``_link_head``),
    or joined to such a span by "et" ("participation du Tramadol et du Seresta"),
    loses its hypothesis cues (in place; ``hedged``: the spans with a cue)."""
    linked_before = -2
    for k in hedged:
        s = spans[k][0]
        linked = _link_head(norms, s)
        if not linked and linked_before == k - 1:
            between = norms[spans[k - 1][1]:s]
            linked = between[:1] == ["et"] and 2 <= len(between) <= 3 and (
                between[1] in _CONTRACTED or between[-1] in ("le", "la", "l'", "les"))
        if linked:
            hyp[k] = []
            linked_before = k


_DD_RESULTS = frozenset({"negatif", "negatifs", "negative", "negatives", "positif", "positifs", "positive",
                         "positives", "normal", "normaux", "normale", "normales", "eleve", "eleves",
                         "elevee", "elevees", "<", ">", "a", "="})


def _dd_title(doc, norms, spans, hyp) -> None:
    """"DD : lymphome, sarcoïdose" (the differential diagnoses) hedges the list after
    its ":"; "DD : 350", "DD : négatifs" are the D-dimers (in place)."""
    starts = [s for s, _ in spans]
    for i, w in enumerate(norms[:-2]):
        if w != "dd" or norms[i + 1] != ":" or norms[i + 2].replace(",", "").isdigit() \
                or norms[i + 2] in _DD_RESULTS:
            continue
        end = _list_end(doc, i + 1)
        for k in range(bisect.bisect_left(starts, i + 2), len(spans)):
            if spans[k][1] > end:
                break
            if (i, i + 1) not in hyp[k]:
                hyp[k].append((i, i + 1))


_FIRST_PLAN = (["au", "premier", "plan"], ["au", "premier", "rang"])


def _leading_hypothesis(norms, spans, hyp) -> None:
    """"une maladie de Kawasaki est au premier plan": an indefinite subject at the
    first rank is the leading hypothesis ("l'asthénie est au premier plan" is the
    main finding) (in place)."""
    for k, (s, e) in enumerate(spans):
        if hyp[k] or s == 0 or norms[s - 1] not in ("un", "une") or e >= len(norms) \
                or norms[e] not in _COPULA_HEADS or norms[e + 1:e + 4] not in _FIRST_PLAN:
            continue
        hyp[k].append((e, e + 4))


def _indefinite_subject(norms, spans, hyp) -> None:
    """"Une pyélonéphrite est envisagée / proposée": a disease opening its clause with an
    indefinite article, right before the cue, is the diagnosis weighed, not the ground of
    a treatment to come ("une ablation du flutter est proposée"): the cue is widened to
    the article, so it is no treatment cue (as ``_diagnosis_predicate``; in place)."""
    inside = None
    for k in [k for k, h in enumerate(hyp) if h]:
        s, e = spans[k]
        if s == 0 or norms[s - 1] not in ("un", "une") or (
                s > 1 and norms[s - 2] not in _CLAUSE_ENDS and norms[s - 2] not in ("et", "ou")
                and "\n" not in norms[s - 2]):
            continue
        if inside is None:
            inside = {i for a, b in spans for i in range(a, b)}
        # the cue right after the span, or after the list it opens ("une BPCO ou une
        # insuffisance cardiaque sont envisagées")
        hyp[k][:] = [(s - 1, c[1]) if c[0] >= e and all(
            i in inside or norms[i] in _LIST_ITEM_WORDS for i in range(e, c[0])) else c for c in hyp[k]]


_LIST_ITEM_WORDS = frozenset({",", "et", "ou", "un", "une", "des", "est", "sont", "sera", "seront"})


_OBJECT_LINKS = frozenset({"de", "d'", "du", "des", "avec", "a", "au", "aux", "vers"})


def _evidence_before_object(norms, spans, hyp, hedged) -> None:
    """"plaie du pied suspecte d'ostéite", "opacité évocatrice d'une pneumopathie": a
    following cue that links the span to another span after it ("de", "avec", "vers")
    hedges that one; the span is the evidence (in place)."""
    for k in hedged:
        if k + 1 >= len(spans) or not hyp[k]:
            continue
        e, nxt = spans[k][1], spans[k + 1][0]
        hyp[k][:] = [c for c in hyp[k] if not (
            e <= c[0] <= e + 3 and c[1] < len(norms) and not any(w in _CLAUSE_ENDS for w in norms[e:c[0]])
            and (norms[c[1] - 1] in _OBJECT_LINKS or norms[c[1]] in _OBJECT_LINKS)
            and c[1] <= nxt <= c[1] + 2)]


_EXPLAINING = frozenset({"expliquer", "explique", "expliquent", "expliquerait", "expliqueraient",
                         "expliquant", "responsable", "responsables", "origine"})


def _explained_object(norms, spans, hyp, hedged) -> None:
    """"une FA pourrait expliquer l'AVC", "pourrait être responsable de la chute", "à
    l'origine de l'anémie": the definite object of an explanation is known (in place)."""
    for k in hedged:
        s = spans[k][0]
        if not hyp[k] or s < 2:
            continue
        j = s - 1
        if norms[j] in ("du", "des"):
            j -= 1
        elif norms[j] in ("le", "la", "l'", "les"):
            j -= 1
            if norms[j] in ("de", "d'"):
                j -= 1
        else:
            continue
        if j >= 0 and norms[j] in _EXPLAINING and (norms[j] != "origine" or norms[j - 1] == "l'"):
            hyp[k] = []


def _purpose_clause(norms, spans, hyp, hedged) -> None:
    """"Augmentin pour une pneumopathie probable", "Colchicine pour une possible maladie
    périodique": a following cue after "pour" is about the purpose, not the span before
    "pour" (the treatment given) (in place)."""
    for k in hedged:
        e = spans[k][1]
        hyp[k][:] = [c for c in hyp[k] if not (c[0] >= e and "pour" in norms[e:c[0]] and not any(
            w in _CLAUSE_ENDS for w in norms[e:c[0]]))]


_CAUSE_WORDS = ("particip", "respons", "role", "imput", "implic", "contribu", "part ", "effet", "favoris",
                "aggrav", "declench", "major", "lie", "secondaire", "attribuable", "provoqu", "entretenu",
                "compress", "obstruct", "refoul")


def _round14a_hedges(norms, spans, hyp, text: str) -> None:
    """The round's scope rules, each over the hedged spans only and behind a guard
    on the NORM text (in place)."""
    hedged = [k for k, h in enumerate(hyp) if h]
    if hedged:
        if "pour " in text:
            _purpose_clause(norms, spans, hyp, hedged)
        if any(w in text for w in _CAUSE_WORDS):
            _definite_cause(norms, spans, hyp, hedged)
        _evidence_before_object(norms, spans, hyp, hedged)
        if "expliq" in text or "respons" in text or "origine" in text:
            _explained_object(norms, spans, hyp, hedged)
    if "premier" in text:
        _leading_hypothesis(norms, spans, hyp)
