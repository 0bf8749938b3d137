"""French national health identity (INS, FR Core): the identifier systems and the NIR's format and control key.

A NIR (or NIA) is 15 characters: sex (1), year (2), month (2), department (2: digits, or ``2A`` / ``2B`` for
Corsica), commune (3), order (3), then the key (2) = 97 − (the first 13 as a number mod 97), where Corsica's ``2A``
counts as ``19`` and ``2B`` as ``18``.
"""
from __future__ import annotations

import re

#: INS identifier systems (FR Core ``FRCorePatientINSProfile`` slices).
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"
INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"
INS_NIR_DEMO = "urn:oid:1.2.250.1.213.1.4.11"
INS_SYSTEMS = {INS_NIR: "INS-NIR", INS_NIA: "INS-NIA", INS_NIR_TEST: "INS-NIR-TEST", INS_NIR_DEMO: "INS-NIR-DEMO"}
#: FR Core's identity reliability extension and the codes of its ``identityStatus`` (fr-core-cs-v2-0445).
IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
IDENTITY_STATUSES = frozenset({
    "VIDE", "PROV", "VALI", "DOUB", "DESA", "DPOT", "DOUA", "COLP", "COLV", "FILI", "CACH", "ANOM", "IDVER", "RECD",
    "IDRA", "USUR", "HOMD", "HOMA", "INVA", "FICT", "DOUT"})
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_CODE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"

_NIR = re.compile(r"^[1-8][0-9]{4}([0-9]{2}|2[AB])[0-9]{8}$")
_CORSICA = {"2A": "19", "2B": "18"}


def nir_key(first13: str) -> int:
    """The control key of the first 13 characters of a NIR (``2A``/``2B`` counted as 19/18)."""
    digits = first13[:5] + _CORSICA.get(first13[5:7], first13[5:7]) + first13[7:]
    return 97 - int(digits) % 97


def nir_problem(value: str) -> str | None:
    """What is wrong with a NIR/NIA, or None when its format and key are right."""
    if len(value) != 15:
        return f"a NIR has 15 characters, not {len(value)}"
    if not _NIR.match(value.upper() if value[5:7].upper() in _CORSICA else value):
        return "a NIR is 13 digits (department 2A or 2B in Corsica) and a 2-digit key"
    value = value.upper()
    expected = nir_key(value[:13])
    if int(value[13:]) != expected:
        return f"the control key {value[13:]} is wrong (expected {expected:02d})"
    return None
