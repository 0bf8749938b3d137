"""Terminology: vocabularies held by the server and the checks of codes against them (no Flask, no FHIR routes).

- ``sources.py``: the ICD-10 (ATIH CIM-10) and ATC files shipped in the edsnlp wheel, read into concepts;
- ``concepts.py``: where concepts live (a big system: the side collection ``Concept_4_3_0``, one record per
  (system, code); a local system: the ``concept`` tree of its CodeSystem), ``$lookup`` / ``$validate-code``;
- ``loader.py``: ``codoc load-terminology`` (idempotent, with progress);
- ``check.py``: the Codings of a resource about to be written, checked against the systems held here.
"""
