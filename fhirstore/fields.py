"""The ``_codoc`` helper schema: every internal field kept beside the FHIR JSON, named here and nowhere else.

Stored documents are the FHIR JSON as served plus one ``_codoc`` object, stripped on output:

- ``refs``: local references (``Type/id``) the resource holds (erasure, history);
- ``sp``: search helper values, one per search parameter key (see ``handlers/search``);
- ``unique``: the unique keys (``system|value`` of IPPs) the resource claims;
- ``deleted``: the document is a tombstone;
- ``pending``: the document belongs to a write not yet committed (hidden from reads and searches);
- ``src`` / ``seq``: a generated Phenotype's source document id and enrichment run;
- ``rid`` / ``v``: on history copies, the resource id and version number.
"""

INTERNAL = "_codoc"
REFS = "refs"
SEARCH = "sp"
UNIQUE = "unique"
DELETED = "deleted"
PENDING = "pending"
SOURCE = "src"
RUN = "seq"
RESOURCE_ID = "rid"
VERSION = "v"


def path(*names: str) -> str:
    """The dotted path of an internal field, e.g. ``path(SEARCH, "identifier")`` → ``_codoc.sp.identifier``."""
    return ".".join((INTERNAL, *names))
