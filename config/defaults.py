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
#: Where the pickled NLP pipeline is cached (built on first start, ~1 min; loaded in seconds afterwards).
CODOC_NLP_CACHE_DIR = "./data/nlp-cache"
#: Longest note the engine reads, in characters (1,000,000 is ~500 pages, ~3-4 s on one core).
CODOC_NLP_MAX_CHARS = 1_000_000
#: Notes are read in chunks of at most this many characters, cut at a paragraph, line, sentence or word boundary.
CODOC_NLP_CHUNK_CHARS = 20_000
#: New words the shared spaCy vocabulary may learn for good (~0.6 KB each); past it, notes are parsed in memory
#: zones and their new words forgotten (bounded memory, ~25 % slower per note).
CODOC_NLP_VOCAB_BUDGET = 100_000
#: Public base URL of the server (``https://fhir.example-hopital.fr``) used in ``Location`` and Bundle links; empty =
#: taken from the request (its ``Host`` header), which a client can set to anything.
CODOC_BASE_URL = ""
#: Largest accepted request body, in bytes (10 MiB).
CODOC_MAX_BODY_BYTES = 10 * 1024 * 1024
# -- what one request body may hold (docs/operations.md, "Limits"); beyond → 413 OperationOutcome ---------------
#: Deepest nesting of JSON objects and arrays in a body (150 nested extensions are ~300 levels).
CODOC_MAX_JSON_DEPTH = 64
#: Most items in any one JSON array of a body (but ``Bundle.entry``).
CODOC_MAX_ARRAY_ITEMS = 10_000
#: Most entries in a batch or transaction Bundle.
CODOC_MAX_BUNDLE_ENTRIES = 10_000
#: Most search keys (word prefixes, tokens, references) one resource may produce (a string element holds at most
#: 1,048,576 characters: FHIR's own limit, base64Binary excepted).
CODOC_MAX_SEARCH_KEYS = 100_000
#: Most characters of all search keys of one resource: with the body limit, a stored document stays under 16 MB.
CODOC_MAX_SEARCH_KEY_CHARS = 4 * 1024 * 1024
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

# -- security (docs/security.md) ---------------------------------------------------------------------------------
#: Requests without a token: allowed in development and testing (with a start-up warning), refused in production.
CODOC_ALLOW_ANONYMOUS = True
#: Lifetime of the tokens issued by /auth/token, in seconds.
CODOC_TOKEN_TTL = 3600
#: ``iss`` and ``aud`` of the tokens issued by /auth/token (checked on every request).
CODOC_TOKEN_ISSUER = "codoc-fhir-api"
CODOC_TOKEN_AUDIENCE = "codoc-fhir-api"
#: External identity provider (RS256 tokens): its issuer, the audience it puts in tokens for this API, and either
#: a PEM public key file or a JWKS file (keys chosen by ``kid``). Empty issuer = no external tokens.
CODOC_IDP_ISSUER = ""
CODOC_IDP_AUDIENCE = ""
CODOC_IDP_PUBLIC_KEY_FILE = ""
CODOC_IDP_JWKS_FILE = ""
#: Rate limiting (flask-limiter); off only for benchmarks, production refuses it off.
CODOC_RATELIMIT_ENABLED = True
#: Reverse proxies in front of the app whose X-Forwarded-For is trusted (0 = use the peer address).
CODOC_TRUSTED_PROXIES = 0
#: Audit events written by a background thread in batches (on) or in the request (off, the testing profile).
CODOC_AUDIT_BATCHED = True
#: Seconds audit events may wait unwritten (the audit store failing) before patient data answers 503.
CODOC_AUDIT_MAX_LAG = 3.0
#: Seconds a transaction holds its lease (renewed while it runs): a process that died inside one is rolled back by
#: the first process that finds the lease expired (docs/guides/mongodb.md#transactions).
CODOC_TRANSACTION_LEASE = 30.0
#: The audit trail of patient-data access (AuditEvent_4_3_0); off only for benchmarks, production refuses it off.
CODOC_AUDIT_ENABLED = True

# -- terminology and identity (docs/api/codesystem.md, docs/guides/identities.md) -----------------------------------
#: Codings whose system is a CodeSystem held here, checked at write time: ``strict`` (unknown code → 422 naming the
#: element), ``warn`` (written; the response carries the warning, see docs/api/codesystem.md) or ``off``.
CODOC_TERMINOLOGY_CHECK = "warn"
#: The establishment's IPP identifier system; a ``usual`` Patient identifier without a system is taken as one of it.
CODOC_IPP_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
#: ``codoc run`` (``make run``) runs ``codoc load-terminology`` in the background at start (skipped once loaded).
CODOC_TERMINOLOGY_AUTOLOAD = True

# -- bulk data export (docs/guides/bulk-export.md) -----------------------------------------------------------------
#: Seconds a finished (or failed) export and its files are kept before a worker removes them (24 hours).
CODOC_EXPORT_RETENTION = 24 * 3600
#: An NDJSON file of an export is cut after about this many bytes (one document each: under MongoDB's 16 MB).
CODOC_EXPORT_FILE_BYTES = 4 * 1024 * 1024
#: Seconds a worker holds an export job between two files; a worker that died loses it then to the next one.
CODOC_EXPORT_LEASE = 60.0
#: Seconds a worker pauses after each file, leaving the database room for clinical traffic (0 = none).
CODOC_EXPORT_PAUSE = 0.0
#: API processes run export jobs in a background thread (off: only `codoc worker` processes run them).
CODOC_EXPORT_IN_PROCESS = True
