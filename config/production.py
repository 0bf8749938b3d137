"""Production profile: real MongoDB (replica set, majority writes), Redis limiter, explicit CORS origins, tokens."""

CODOC_CORS_ORIGINS: list[str] = []
CODOC_CREATE_INDEXES = False
CODOC_MONGO_WRITE_CONCERN = "majority"
CODOC_ALLOW_ANONYMOUS = False
CODOC_TERMINOLOGY_CHECK = "strict"
CODOC_TERMINOLOGY_AUTOLOAD = False
