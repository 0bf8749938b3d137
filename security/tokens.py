"""Bearer tokens: HS256 tokens issued by ``POST /auth/token`` (flask-jwt-extended), RS256 tokens of an external
identity provider (PEM public key or JWKS file), both checked for signature, expiry, issuer and audience."""
from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from urllib.parse import unquote_plus

import jwt
from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, decode_token

from fhirstore.errors import UnauthorizedError
from security.principal import Principal
from security import clients
from security import scopes as smart

log = logging.getLogger("codoc.security")

auth = Blueprint("auth", __name__, url_prefix="/auth")
REALM = 'Bearer realm="codoc"'


class IdPKeys:
    """The public keys of the external identity provider: one PEM key, or a JWKS file re-read when it changes."""

    def __init__(self, pem_file: str = "", jwks_file: str = ""):
        self.pem_file, self.jwks_file = pem_file, jwks_file
        self._mtime: float | None = None
        self._keys: dict[str | None, object] = {}
        self._load()

    def _load(self) -> None:
        path = self.jwks_file or self.pem_file
        try:
            mtime = os.stat(path).st_mtime
            if mtime == self._mtime:
                return
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise RuntimeError(f"cannot read the identity provider key file {path}: {exc.strerror}") from None
        if self.jwks_file:
            keys = jwt.PyJWKSet.from_dict(json.loads(raw)).keys
            self._keys = {k.key_id: k.key for k in keys if k.public_key_use in (None, "sig")}
            if len(keys) == 1:
                self._keys[None] = keys[0].key
        else:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            self._keys = {None: load_pem_public_key(raw)}
        self._mtime = mtime

    def key_for(self, kid: str | None):
        """:raises jwt.InvalidKeyError: no key with this ``kid``."""
        self._load()
        key = self._keys.get(kid) or (self._keys.get(None) if not self.jwks_file else None)
        if key is None:
            raise jwt.InvalidKeyError("unknown key id")
        return key


def init_app(app: Flask) -> None:
    """flask-jwt-extended for our own tokens, a decode-key loader that binds each algorithm to its issuer."""
    cfg = app.config
    idp = cfg["CODOC_IDP_ISSUER"]
    app.config.update(
        JWT_SECRET_KEY=cfg["CODOC_SECRET_KEY"], JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256", "RS256"] if idp else ["HS256"],
        JWT_TOKEN_LOCATION=["headers"], JWT_COOKIE_CSRF_PROTECT=False,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=cfg["CODOC_TOKEN_TTL"]),
        JWT_ENCODE_ISSUER=cfg["CODOC_TOKEN_ISSUER"], JWT_ENCODE_AUDIENCE=cfg["CODOC_TOKEN_AUDIENCE"],
        JWT_DECODE_ISSUER=[cfg["CODOC_TOKEN_ISSUER"], *([idp] if idp else [])],
        JWT_DECODE_AUDIENCE=[cfg["CODOC_TOKEN_AUDIENCE"], *([cfg["CODOC_IDP_AUDIENCE"] or idp] if idp else [])])
    keys = None
    if idp:
        if not (cfg["CODOC_IDP_PUBLIC_KEY_FILE"] or cfg["CODOC_IDP_JWKS_FILE"]):
            raise RuntimeError("CODOC_IDP_ISSUER is set: also set CODOC_IDP_PUBLIC_KEY_FILE or CODOC_IDP_JWKS_FILE")
        keys = IdPKeys(cfg["CODOC_IDP_PUBLIC_KEY_FILE"], cfg["CODOC_IDP_JWKS_FILE"])
    manager = JWTManager(app)

    @manager.decode_key_loader
    def decode_key(header: dict, claims: dict):
        """HS256 only for our own issuer, RS256 only for the IdP: no algorithm confusion, no ``alg=none``."""
        alg, issuer = header.get("alg"), claims.get("iss")
        if alg == "HS256" and issuer == cfg["CODOC_TOKEN_ISSUER"]:
            return cfg["CODOC_SECRET_KEY"]
        if alg == "RS256" and keys is not None and issuer == idp:
            return keys.key_for(header.get("kid"))
        raise jwt.InvalidTokenError("untrusted issuer or algorithm")

    app.before_request(authenticate)
    app.register_blueprint(auth)


def authenticate() -> None:
    """Who is calling: ``g.codoc_principal`` (None = no token); a bad token is kept in ``g.codoc_auth_error``
    and answered 401 by the FHIR routes' gate, after the rate limiter has counted it against the client IP."""
    flask_g = g._get_current_object()
    flask_g.codoc_principal, flask_g.codoc_auth_error = None, None
    header = request.headers.get("Authorization")
    if not header or request.blueprint == auth.name:
        return
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.codoc_auth_error = unauthorized("the Authorization header must be 'Bearer <token>'", "invalid_request")
        return
    try:
        claims = decode_token(token.strip())
    except jwt.ExpiredSignatureError:
        g.codoc_auth_error = unauthorized("the token has expired", "invalid_token")
        return
    except Exception as exc:  # every decoding failure: forged, malformed, wrong issuer/audience, alg=none …
        log.info("rejected a bearer token: %s", type(exc).__name__)
        g.codoc_auth_error = unauthorized("the token is invalid (signature, issuer, audience or format)",
                                          "invalid_token")
        return
    cfg = current_app.config
    if "exp" not in claims:
        g.codoc_auth_error = unauthorized("the token has no expiry (exp)", "invalid_token")
        return
    if claims["iss"] == cfg["CODOC_TOKEN_ISSUER"]:
        if claims.get("type") != "access":
            g.codoc_auth_error = unauthorized("the token is not an access token", "invalid_token")
            return
        if not clients.is_active(current_app.extensions["codoc.store"], str(claims["sub"])):
            g.codoc_auth_error = unauthorized("the token's client is disabled or deleted", "invalid_token")
            return
    if claims["iss"] != cfg["CODOC_TOKEN_ISSUER"]:
        audience = claims.get("aud")
        wanted = cfg["CODOC_IDP_AUDIENCE"] or cfg["CODOC_IDP_ISSUER"]
        if wanted != audience and wanted not in (audience if isinstance(audience, list) else []):
            g.codoc_auth_error = unauthorized("the token is not meant for this API (audience)", "invalid_token")
            return
    g.codoc_principal = Principal(subject=str(claims["sub"]), issuer=claims["iss"],
                                  scopes=smart.parse(claims.get("scope") or claims.get("scp")))


def unauthorized(message: str, error: str | None = None) -> UnauthorizedError:
    """A 401 with the RFC 6750 challenge."""
    challenge = REALM + (f', error="{error}", error_description="{message}"' if error else "")
    return UnauthorizedError(message, headers={"WWW-Authenticate": challenge})


def _oauth_error(status: int, error: str, description: str):
    """An RFC 6749 error answer (JSON, not an OperationOutcome: OAuth2 clients expect this shape)."""
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="codoc"'
    return response


@auth.post("/token")
def token():
    """OAuth2 client credentials grant (RFC 6749 §4.4): form or JSON body, client authentication by HTTP Basic
    or ``client_id``/``client_secret`` parameters; ``scope`` may narrow the client's scopes."""
    params = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(params, dict) and not hasattr(params, "get"):
        return _oauth_error(400, "invalid_request", "the body must be a form or a JSON object")
    params = params or {}
    basic = request.authorization if request.authorization and request.authorization.type == "basic" else None
    if basic and (params.get("client_id") or params.get("client_secret")):
        return _oauth_error(400, "invalid_request", "use one client authentication method, not two")
    grant_type = params.get("grant_type")
    if not grant_type:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
    if basic:
        client_id, secret = unquote_plus(basic.username or ""), unquote_plus(basic.password or "")
    else:
        client_id, secret = params.get("client_id"), params.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
        return _oauth_error(401 if basic else 400, "invalid_client" if basic else "invalid_request",
                            "client_id and client_secret are required")
    client = clients.authenticate(current_app.extensions["codoc.store"], client_id, secret)
    if client is None:
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    requested = smart.parse(params.get("scope")) if isinstance(params.get("scope"), str) else client.scopes
    if not requested <= client.scopes:
        return _oauth_error(400, "invalid_scope", "the client may not have scope(s) "
                                                  + " ".join(sorted(requested - client.scopes)))
    scope = " ".join(sorted(requested or client.scopes))
    access_token = create_access_token(identity=client.client_id, additional_claims={"scope": scope})
    response = jsonify({"access_token": access_token, "token_type": "Bearer",
                        "expires_in": current_app.config["CODOC_TOKEN_TTL"], "scope": scope})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
