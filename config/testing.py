"""Testing profile: throwaway in-process store, no NLP unless a test turns it on, anonymous allowed unless a test
turns authentication on (``CODOC_ALLOW_ANONYMOUS=False``)."""

CODOC_MONGO_URI = "mongomock://"
CODOC_NLP = "off"
CODOC_AUDIT_BATCHED = False
