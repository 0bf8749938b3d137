"""The ``_codoc`` helper schema: every internal field kept beside the FHIR JSON, named here and nowhere else.

Stored documents are the FHIR JSON as served plus one ``_codoc`` object, stripped on output:

- ``refs``: local references (``Type/id``) the resource holds (erasure, history);
- ``sp``: scalar search helper values (single-valued parameters, date ranges), one per parameter key;
- ``keys``: the search keys of the resource's multi-valued parameters and references, as written to the
  ``SearchKey_4_3_0`` collection (one document per key, found through its scalar indexed ``o``);
- ``checks``: search keys a search verifies on the document but never lists candidates from, so no SearchKey
  document is written for them: an exact string (``name|=Dupont``) is found through its first word's key
  (``name|dupont``), which every holder also has;
- ``ik``: search keys held in the document itself instead of SearchKey documents, one per *slot* (a parameter
  declared inline by its type, and the form of its keys: ``code`` for ``code|E11``, ``code_s`` for
  ``code|system|E11``) when the resource has exactly one key of that slot (and did not hold it as a SearchKey
  document already: a key never moves into a slot); each is ``key\x1fType/id`` in a scalar
  indexed field ``_codoc.ik.<slot>``, walked in order like a SearchKey's ``o`` (and checked like ``keys``);
- ``unique``: the unique keys (``system|value`` of IPPs) the resource claims;
- ``deleted``: the document is a tombstone; ``last``: on a tombstone, the version it deleted;
- ``pending``: the document belongs to a write not yet committed (hidden from reads and searches);
- ``txn`` / ``next``: written by the transaction ``txn`` (see ``fhirstore/journal.py``): until it commits, readers
  see the document without its change — ``next`` holds the new version of an update or deletion, a creation is the
  document itself, hidden;
- ``src`` / ``seq``: a generated Phenotype's source document id and enrichment run;
- ``num``: paths of decimals kept as their text (BSON numbers would lose digits), see ``fhirstore/numbers.py``;
- ``rid`` / ``v``: on history copies, the resource id and version number.
"""

INTERNAL = "_codoc"
REFS = "refs"
SEARCH = "sp"
KEYS = "keys"
CHECKS = "checks"
INLINE = "ik"
UNIQUE = "unique"
DELETED = "deleted"
LAST = "last"
NUMBERS = "num"
PENDING = "pending"
TXN = "txn"
NEXT = "next"
SOURCE = "src"
RUN = "seq"
RESOURCE_ID = "rid"
VERSION = "v"


def path(*names: str) -> str:
    """The dotted path of an internal field, e.g. ``path(SEARCH, "identifier")`` → ``_codoc.sp.identifier``."""
    return ".".join((INTERNAL, *names))
