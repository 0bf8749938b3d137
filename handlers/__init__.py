"""Handlers: what the server does with a FHIR request, one folder per concern.

- ``http/``: the only Flask code — routes (both URL spellings), request/response I/O, the gate and audit seams,
  errors → OperationOutcome.
- ``base.py``: the generic handler (validate → rules → store, with hooks); ``registry.py``: the explicit lists of
  handlers and operations, built by ``create_app``.
- ``resources/``: per-type rules, only where a type has them (patient, organization, encounter,
  documentreference, observation + Phenotype).
- ``operations/``: one module per ``$operation``, each declaring the scopes and types it needs.
- ``search/``: the parameter table, index-side extraction, query planning, one clause builder per parameter type.
- ``system/``: batch/transaction Bundles and the CapabilityStatement.
- ``bundles.py`` (every Bundle, OperationOutcome, ETag, Location), ``audit.py`` (AuditEvents), ``enrichment.py``
  (notes → Phenotypes), ``references.py`` (references inside resources), ``context.py`` (the request as handlers see
  it).
"""
