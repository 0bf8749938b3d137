"""The vocabularies ``codoc load-terminology`` loads, read from the resources shipped in the edsnlp wheel.

A source yields plain concepts: ``{"code", "display", "designation", "parent", "properties"}``, and the entries it
rejected (a malformed code: the ATC resource has ``JO5AX09``, a letter O for a zero); ``children`` and the records are
made by the loader. A missing or corrupt file raises before anything is written.
"""
from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ICD10_URL = "http://hl7.org/fhir/sid/icd-10"
ATC_URL = "http://www.whocc.no/atc"


class TerminologyFileError(ValueError):
    """A vocabulary file is missing, unreadable or not in the expected shape."""


@dataclass(frozen=True)
class Source:
    """One vocabulary: the CodeSystem it becomes and how its file is read."""

    key: str  # the CLI name and the CodeSystem id
    url: str
    name: str
    title: str
    publisher: str
    file: str  # relative to the edsnlp resources folder
    read: Callable[[Path], tuple[list[dict], list[str]]]  # (concepts, rejected entries)
    normalize: Callable[[str], str]  # the code as it is keyed (``E11.9`` → ``E119``)
    version_of: Callable[[], str]
    supplemented: bool = False  # completed with the codes of the NLP lexicon the file lacks (``lexicon_supplement``)

    def path(self, folder: Path | None = None) -> Path:
        return (folder or resources_dir()) / self.file


def resources_dir() -> Path:
    import edsnlp

    return Path(edsnlp.__file__).parent / "resources"


def edsnlp_version() -> str:
    import edsnlp

    return edsnlp.__version__


# -- ICD-10 -----------------------------------------------------------------------------------------------------------
#: The 22 chapters of ICD-10 (WHO), with the range of categories each holds; the ATIH file has no chapters.
ICD10_CHAPTERS = (
    ("I", "A00", "B99", "Certaines maladies infectieuses et parasitaires"),
    ("II", "C00", "D48", "Tumeurs"),
    ("III", "D50", "D89", "Maladies du sang et des organes hématopoïétiques et certains troubles du système "
                          "immunitaire"),
    ("IV", "E00", "E90", "Maladies endocriniennes, nutritionnelles et métaboliques"),
    ("V", "F00", "F99", "Troubles mentaux et du comportement"),
    ("VI", "G00", "G99", "Maladies du système nerveux"),
    ("VII", "H00", "H59", "Maladies de l'œil et de ses annexes"),
    ("VIII", "H60", "H95", "Maladies de l'oreille et de l'apophyse mastoïde"),
    ("IX", "I00", "I99", "Maladies de l'appareil circulatoire"),
    ("X", "J00", "J99", "Maladies de l'appareil respiratoire"),
    ("XI", "K00", "K93", "Maladies de l'appareil digestif"),
    ("XII", "L00", "L99", "Maladies de la peau et du tissu cellulaire sous-cutané"),
    ("XIII", "M00", "M99", "Maladies du système ostéo-articulaire, des muscles et du tissu conjonctif"),
    ("XIV", "N00", "N99", "Maladies de l'appareil génito-urinaire"),
    ("XV", "O00", "O99", "Grossesse, accouchement et puerpéralité"),
    ("XVI", "P00", "P96", "Certaines affections dont l'origine se situe dans la période périnatale"),
    ("XVII", "Q00", "Q99", "Malformations congénitales et anomalies chromosomiques"),
    ("XVIII", "R00", "R99", "Symptômes, signes et résultats anormaux d'examens cliniques et de laboratoire, non "
                            "classés ailleurs"),
    ("XIX", "S00", "T98", "Lésions traumatiques, empoisonnements et certaines autres conséquences de causes "
                          "externes"),
    ("XX", "V01", "Y98", "Causes externes de morbidité et de mortalité"),
    ("XXI", "Z00", "Z99", "Facteurs influant sur l'état de santé et motifs de recours aux services de santé"),
    ("XXII", "U00", "U99", "Codes d'utilisation particulière"),
)
_ICD_RAW = re.compile(r"^[A-Z][0-9]{2}[0-9A-Z+]{0,4}$")


def icd10_key(code: str) -> str:
    """The ICD-10 code as keyed: upper case, no dot (``e11.9`` → ``E119``, ``B24.+0`` → ``B24+0``)."""
    return code.strip().upper().replace(".", "")


def icd10_display_code(raw: str) -> str:
    """The code as served, dotted after the category (``E119`` → ``E11.9``; chapters and categories unchanged)."""
    return raw if len(raw) <= 3 or not _ICD_RAW.match(raw) else f"{raw[:3]}.{raw[3:]}"


def read_icd10(path: Path) -> tuple[list[dict], list[str]]:
    """ATIH CIM-10 (``code,type,ssr,psy,short,long``): chapter → category (3 characters) → subcategories.

    :raises TerminologyFileError:
    """
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise TerminologyFileError(f"{path}: cannot be read as gzipped CSV ({exc})") from None
    if not rows or not {"code", "long"} <= set(rows[0]):
        found = ", ".join(sorted(rows[0])) if rows else "no row"
        raise TerminologyFileError(f"{path}: expected the columns code and long, found {found}")
    raws, kept, rejected = set(), [], []
    for number, row in enumerate(rows, start=2):
        raw = icd10_key(row.get("code") or "")
        if not _ICD_RAW.match(raw) or not (row.get("long") or "").strip():
            rejected.append(f"line {number}: not an ICD-10 code with a label: {row.get('code')!r}")
        elif raw in raws:
            rejected.append(f"line {number}: {raw} appears twice")
        else:
            raws.add(raw)
            kept.append(row)
    concepts = [{"code": chapter, "display": title, "parent": None, "properties": {"kind": "chapter",
                                                                                  "range": f"{first}-{last}"}}
                for chapter, first, last, title in ICD10_CHAPTERS]
    for row in kept:
        raw = icd10_key(row["code"])
        parent = next((raw[:n] for n in range(len(raw) - 1, 2, -1) if raw[:n] in raws), None)
        kind = "subcategory" if parent else "category"
        if parent is None:
            parent = next((c for c, first, last, _ in ICD10_CHAPTERS if first <= raw[:3] <= last), None)
        designation = [{"language": "fr", "use": {"system": "http://snomed.info/sct", "code": "900000000000013009",
                                                  "display": "Synonym"}, "value": row["short"].strip()}] \
            if (row.get("short") or "").strip() else []
        concepts.append({"code": icd10_display_code(raw), "key": raw, "display": row["long"].strip(),
                         "designation": designation, "parent": parent and icd10_display_code(parent),
                         "properties": {"kind": kind}})
    return concepts, rejected


# -- ATC ---------------------------------------------------------------------------------------------------------------
#: ATC level 1, the anatomical main groups (WHO); the drug resource starts at level 2 or below.
ATC_GROUPS = {
    "A": "Voies digestives et métabolisme", "B": "Sang et organes hématopoïétiques", "C": "Système cardiovasculaire",
    "D": "Médicaments dermatologiques", "G": "Système génito-urinaire et hormones sexuelles",
    "H": "Hormones systémiques, hormones sexuelles exclues", "J": "Anti-infectieux généraux à usage systémique",
    "L": "Antinéoplasiques et immunomodulateurs", "M": "Muscle et squelette", "N": "Système nerveux",
    "P": "Antiparasitaires, insecticides et répulsifs", "R": "Système respiratoire", "S": "Organes sensoriels",
    "V": "Divers",
}
#: Length of an ATC code at each level 1–5.
ATC_LEVELS = {1: 1, 3: 2, 4: 3, 5: 4, 7: 5}
_ATC = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")


def atc_key(code: str) -> str:
    return code.strip().upper()


def read_atc(path: Path) -> tuple[list[dict], list[str]]:
    """edsnlp's drug resource (``{ATC code: [names]}``): lower-case names are the substance (display), upper-case
    ones the brands (designations). Levels 1–5; a level the file skips is kept as a code without display.

    :raises TerminologyFileError:
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TerminologyFileError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise TerminologyFileError(f"{path}: expected an object of ATC codes")
    rejected = [f"not an ATC code: {code!r}" for code in data if not _ATC.match(code)]
    data = {code: names for code, names in data.items() if _ATC.match(code)}
    for code, names in data.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise TerminologyFileError(f"{path}: the names of {code} are not a list of strings")
    nodes: dict[str, dict] = {}
    for code in sorted(data):
        for length in ATC_LEVELS:
            prefix = code[:length]
            if length <= len(code) and prefix not in nodes:
                nodes[prefix] = {"code": prefix, "display": ATC_GROUPS.get(prefix) if length == 1 else None,
                                 "designation": [], "properties": {"level": ATC_LEVELS[length]},
                                 "parent": next((prefix[:n] for n in sorted(ATC_LEVELS, reverse=True)
                                                 if n < length), None)}
    for code, names in data.items():
        substances = [n.strip() for n in names if n.strip() and not n.isupper()]
        brands = [n.strip() for n in names if n.strip() and n.isupper()]
        node = nodes[code]
        node["display"] = substances[0] if substances else (brands[0] if brands else None)
        node["designation"] = [{"language": "fr", "value": n} for n in substances[1:]] + [
            {"language": "fr", "use": {"system": "http://snomed.info/sct", "code": "900000000000013009",
                                       "display": "Synonym"}, "value": n} for n in brands]
    return list(nodes.values()), rejected


SOURCES = {
    "icd-10": Source("icd-10", ICD10_URL, "ICD10FR", "CIM-10 (ICD-10, ATIH French modification)", "ATIH",
                     "cim10.csv.gz", read_icd10, icd10_key, lambda: f"atih-edsnlp-{edsnlp_version()}"),
    "atc": Source("atc", ATC_URL, "ATC", "ATC (Anatomical Therapeutic Chemical classification)", "WHO Collaborating "
                  "Centre for Drug Statistics Methodology", "drugs.json", read_atc, atc_key,
                  lambda: f"edsnlp-{edsnlp_version()}", supplemented=True),
}
BY_URL = {source.url: source for source in SOURCES.values()}


def normalize(system: str, code: str) -> str:
    """The code as keyed in ``system`` (ICD-10 without its dot); unchanged for other systems."""
    source = BY_URL.get(system)
    return source.normalize(code) if source else code


def lexicon_supplement(source: Source, concepts: list[dict]) -> list[dict]:
    """Codes the NLP lexicon emits that the file lacks (newer ATC codes: sémaglutide A10BJ06, …), with the
    lexicon's display and terms as designations, property ``source`` = ``codoc-lexicon``, and their missing
    ancestors (as codes without display): ``$validate-code`` accepts every code the NLP emits."""
    from nlp.lexicon import load_lexicon

    known = {source.normalize(c["code"]): c for c in concepts}
    added: dict[str, dict] = {}
    for entry in load_lexicon():
        if entry.system != source.url:
            continue
        key = source.normalize(entry.code)
        if key in known and key not in added:
            continue
        if key not in added:
            parent = None
            for prefix in _ancestors(source, key):
                if prefix not in known:
                    known[prefix] = added[prefix] = _node(source, prefix, parent)
                parent = known[prefix]["code"]
            known[key] = added[key] = {**_node(source, key, parent), "properties": {
                **_node(source, key, parent)["properties"], "source": "codoc-lexicon"}}
        node = added[key]
        if entry.display and not node["display"]:
            node["display"] = entry.display
        if entry.term not in [d["value"] for d in node["designation"]]:
            node["designation"].append({"language": "fr", "value": entry.term})
    for node in added.values():
        node["display"] = node["display"] or (node["designation"][0]["value"] if node["designation"] else None)
    return list(added.values())


def _ancestors(source: Source, key: str) -> list[str]:
    """The codes above ``key``, top first (ATC levels; ICD-10 from the category down)."""
    if source.url == ATC_URL:
        return [key[:n] for n in sorted(ATC_LEVELS) if n < len(key)]
    return [key[:n] for n in range(3, len(key))]


def _node(source: Source, key: str, parent: str | None) -> dict:
    if source.url == ATC_URL:
        properties = {"level": ATC_LEVELS.get(len(key))}
        code = key
    else:
        properties = {"kind": "category" if len(key) == 3 else "subcategory"}
        code = icd10_display_code(key)
    return {"code": code, "key": key, "display": None, "designation": [], "parent": parent, "properties": properties}
