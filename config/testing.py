"""Testing profile: throwaway in-process store, no NLP unless a test turns it on."""

CODOC_MONGO_URI = "mongomock://"
CODOC_NLP = "off"
