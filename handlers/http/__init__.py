"""The HTTP layer, the only Flask code of ``handlers/``: ``routes`` (both URL spellings → the registry), ``io``
(bodies, the request context, FHIR JSON answers), ``gate`` (token and scopes before, audit after), ``errors``
(every error → OperationOutcome)."""
