"""Every setting of the Codoc FHIR API with its default. Each can be set by an environment variable of the same name."""

#: Profile: ``development`` (anonymous allowed, embedded store) or ``production``.
CODOC_ENV = "development"
#: Port of ``make run``.
CODOC_PORT = 8000
#: MongoDB URI. Empty = embedded wire-protocol server (nx-27017) in CODOC_DATA_DIR; ``mongomock://`` = in-process.
CODOC_MONGO_URI = ""
#: Where the embedded server keeps its data.
CODOC_DATA_DIR = "./data"
#: Database name.
CODOC_MONGO_DB = "codoc"
#: Redis URL for the rate limiter and the NLP job queue; empty = in-memory limiter.
CODOC_REDIS_URL = ""
#: JWT signing key for HS256 tokens issued by /auth/token. Production refuses this default.
CODOC_SECRET_KEY = "codoc-development-secret-key-change-me"
#: Rate limits (flask-limiter syntax), fixed one-hour window.
CODOC_RATELIMIT_ANONYMOUS = "100/hour"
CODOC_RATELIMIT_AUTHENTICATED = "1000/hour"
#: Comma-separated allowed CORS origins.
CODOC_CORS_ORIGINS = ["*"]
#: NLP enrichment of DocumentReferences: ``on``, ``off`` or ``async``.
CODOC_NLP = "on"
#: Largest accepted request body, in bytes (10 MiB).
CODOC_MAX_BODY_BYTES = 10 * 1024 * 1024
#: Base of the canonical URLs this server defines (profiles, CodeSystems).
CODOC_CANONICAL_BASE = "https://fhir.codoc.fr"
#: Create indexes when the app starts (development); production runs ``codoc init-db``.
CODOC_CREATE_INDEXES = True
#: Search paging.
CODOC_PAGE_SIZE = 20
CODOC_PAGE_MAX = 100
#: Refuse to delete a resource that others reference (HAPI's enforce_referential_integrity_on_delete).
CODOC_ENFORCE_REFERENCES_ON_DELETE = True
#: Check at write time that local references resolve.
CODOC_ENFORCE_REFERENCES_ON_WRITE = True
#: MongoDB write concern in production (``majority``); empty = server default.
CODOC_MONGO_WRITE_CONCERN = ""
