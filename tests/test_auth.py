"""JWT bearer tokens with SMART scopes: /auth/token (client credentials), IdP tokens (RS256), 401 and 403."""
from __future__ import annotations

import base64
import copy
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_jwt_extended import create_access_token

import cli
from app import create_app
from security import clients
from tests.conftest import BASE, assert_outcome
from tests.samples import MINIMAL

AUTH_ON = pytest.mark.settings(CODOC_ALLOW_ANONYMOUS=False)
IDP = "https://idp.hopital.example/realms/codoc"


def bearer(app, scope: str, subject: str = "test-client") -> dict:
    """A token of this app's /auth/token kind, minted directly (no scrypt round trip), for an active client."""
    app.extensions["codoc.store"].records(clients.CLIENT_COLLECTION).replace(
        {"_id": subject, "name": "test", "scopes": scope.split(), "active": True}, upsert=True)
    with app.app_context():
        return {"Authorization": "Bearer " + create_access_token(subject, additional_claims={"scope": scope})}


def raw_token(key, algorithm="HS256", **claims) -> str:
    now = int(time.time())
    body = {"sub": "someone", "iss": "codoc-fhir-api", "aud": "codoc-fhir-api", "iat": now, "exp": now + 600,
            "scope": "system/*.*", **claims}
    return jwt.encode(body, key, algorithm=algorithm, headers=claims.pop("headers", None))


def new_patient(client, headers=None) -> str:
    response = client.post(f"{BASE}/Patient", json=copy.deepcopy(MINIMAL["Patient"]), headers=headers or {})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


# -- 401 ------------------------------------------------------------------------------------------------------------
@AUTH_ON
@pytest.mark.parametrize("method,path", [("GET", "/Patient/x"), ("GET", "/patient/?gender=female"),
                                         ("POST", "/Patient"), ("DELETE", "/observation/x/"),
                                         ("GET", "/Patient/x/_history"), ("GET", "/Patient/x/$everything")])
def test_request_without_token_returns_401_with_bearer_challenge(client, method, path):
    response = client.open(f"{BASE}{path}", method=method, json=MINIMAL["Patient"] if method == "POST" else None)
    assert_outcome(response, 401, "login")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@AUTH_ON
def test_metadata_and_token_endpoint_need_no_token(client):
    assert client.get(f"{BASE}/metadata").status_code == 200
    response = client.post("/auth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def forged_tokens(app) -> dict[str, str]:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "x", "iss": "codoc-fhir-api", "aud": "codoc-fhir-api",
                                                   "exp": int(time.time()) + 600, "scope": "system/*.*"}
                                                  ).encode()).rstrip(b"=").decode()
    secret = app.config["CODOC_SECRET_KEY"]
    return {
        "expired": raw_token(secret, exp=int(time.time()) - 5),
        "other secret": raw_token("another-secret-of-sufficient-length-0123456789"),
        "alg none": f"{header}.{payload}.",
        "wrong issuer": raw_token(secret, iss="https://evil.example"),
        "wrong audience": raw_token(secret, aud="another-api"),
        "no subject": jwt.encode({"iss": "codoc-fhir-api", "aud": "codoc-fhir-api", "exp": int(time.time()) + 60},
                                 secret, algorithm="HS256"),
        "RS256 with our issuer": raw_token(other, "RS256"),
        "garbage": "not.a.token",
        "tampered scope": _tamper(bearer(app, "system/Patient.read")["Authorization"][7:]),
    }


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "system/*.* codoc/admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("kind", ["expired", "other secret", "alg none", "wrong issuer", "wrong audience",
                                  "no subject", "RS256 with our issuer", "garbage", "tampered scope"])
def test_bad_token_returns_401_even_where_anonymous_is_allowed(app, client, kind):
    token = forged_tokens(app)[kind]
    response = client.get(f"{BASE}/Patient?gender=female", headers={"Authorization": f"Bearer {token}"})
    body = assert_outcome(response, 401, "login")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert token not in json.dumps(body)


def test_non_bearer_authorization_returns_401(client):
    response = client.get(f"{BASE}/Patient?gender=female", headers={"Authorization": "Basic dTpw"})
    assert_outcome(response, 401, "login")


# -- scopes: 403 ----------------------------------------------------------------------------------------------------
SCOPE_CASES = [
    # scope, method, path, allowed
    ("system/Patient.read", "GET", "/Patient/{pid}", True),
    ("system/Patient.read", "GET", "/patient/?gender=female", True),
    ("system/Patient.read", "GET", "/Patient/{pid}/_history", True),
    ("system/Patient.read", "GET", "/Patient/{pid}/_history/1", True),
    ("system/Patient.read", "POST", "/Patient", False),
    ("system/Patient.read", "DELETE", "/Patient/{pid}", False),
    ("system/Patient.read", "GET", "/Observation?code=x", False),
    ("system/Patient.read", "POST", "/Patient/$validate", True),
    ("system/*.write", "POST", "/Patient", True),
    ("system/*.write", "PUT", "/Patient/{pid}", True),
    ("system/*.write", "GET", "/Patient/{pid}", False),
    ("user/Patient.read", "GET", "/Patient/{pid}", True),
    ("user/*.*", "DELETE", "/Patient/{pid}", True),
    ("patient/Patient.read", "GET", "/Patient/{pid}", False),  # no launch context here: grants nothing
    ("system/Patient.rs", "GET", "/patient/?gender=female", True),
    ("system/Patient.r", "GET", "/patient/?gender=female", False),  # v2: search is "s"
    ("system/Patient.cud", "POST", "/Patient", True),
    ("system/Patient.cruds", "DELETE", "/Patient/{pid}", True),
    ("system/Observation.read", "GET", "/phenotype/?subject=Patient/{pid}", True),  # Phenotype = Observation
    ("system/Patient.read", "GET", "/phenotype/?subject=Patient/{pid}", False),
    ("system/Patient.read", "GET", "/Patient/{pid}/$everything", False),  # needs every type
    ("system/*.read", "GET", "/Patient/{pid}/$everything", True),
    ("system/*.*", "POST", "/Patient/{pid}/$expunge", False),  # needs codoc/admin
    ("system/*.*", "GET", "/AuditEvent?entity=Patient/{pid}", False),
    ("codoc/admin", "GET", "/AuditEvent?entity=Patient/{pid}", True),
    ("codoc/admin system/*.read", "POST", "/Patient/{pid}/$expunge", False),  # and delete rights
    ("codoc/admin system/*.*", "POST", "/Patient/{pid}/$expunge", True),
]


@AUTH_ON
@pytest.mark.parametrize("scope,method,path,allowed", SCOPE_CASES)
def test_scope_decides_between_success_and_403(app, client, scope, method, path, allowed):
    pid = new_patient(client, bearer(app, "system/*.*"))
    body = {**MINIMAL["Patient"], "id": pid} if method in ("PUT", "POST") else None
    response = client.open(f"{BASE}{path.format(pid=pid)}", method=method, json=body, headers=bearer(app, scope))
    if allowed:
        assert response.status_code < 400, response.get_data(as_text=True)
    else:
        assert_outcome(response, 403, "forbidden")
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_anonymous_may_not_read_the_audit_trail_nor_expunge(client):
    pid = new_patient(client)
    assert_outcome(client.get(f"{BASE}/AuditEvent?entity=Patient/{pid}"), 403, "forbidden")
    assert_outcome(client.post(f"{BASE}/Patient/{pid}/$expunge"), 403, "forbidden")


# -- /auth/token ----------------------------------------------------------------------------------------------------
@pytest.fixture
def api_client(store):
    client_id, secret = clients.create_client(store, ["system/Patient.read", "system/Observation.read"], "test")
    return client_id, secret


@AUTH_ON
@pytest.mark.parametrize("style", ["form", "json", "basic"])
def test_client_credentials_token_opens_the_routes_its_scopes_allow(app, client, api_client, style):
    client_id, secret = api_client
    pid = new_patient(client, bearer(app, "system/*.*"))
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if style == "form":
        response = client.post("/auth/token", data=form)
    elif style == "json":
        response = client.post("/auth/token", json=form)
    else:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = client.post("/auth/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600
    assert answer["scope"] == "system/Observation.read system/Patient.read"
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert client.get(f"{BASE}/Patient/{pid}", headers=headers).status_code == 200
    assert_outcome(client.post(f"{BASE}/Patient", json=MINIMAL["Patient"], headers=headers), 403, "forbidden")
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["sub"] == client_id and claims["iss"] == "codoc-fhir-api"


def test_token_request_may_narrow_but_not_widen_scopes(client, api_client):
    client_id, secret = api_client
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    narrow = client.post("/auth/token", data={**form, "scope": "system/Patient.read"})
    assert narrow.get_json()["scope"] == "system/Patient.read"
    wide = client.post("/auth/token", data={**form, "scope": "system/*.*"})
    assert wide.status_code == 400 and wide.get_json()["error"] == "invalid_scope"


@pytest.mark.parametrize("form,status,error", [
    ({"grant_type": "client_credentials", "client_secret": "wrong"}, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, 401, "invalid_client"),
    ({"grant_type": "password", "username": "u", "password": "p"}, 400, "unsupported_grant_type"),
    ({"client_secret": "x"}, 400, "invalid_request"),
    ({"grant_type": "client_credentials"}, 400, "invalid_request"),
])
def test_token_errors_follow_rfc_6749(client, api_client, form, status, error):
    form = {"client_id": api_client[0], **form}
    response = client.post("/auth/token", data=form)
    assert response.status_code == status and response.get_json()["error"] == error
    assert response.content_type.startswith("application/json")
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_client_secret_is_stored_hashed_only(store, api_client):
    client_id, secret = api_client
    document = store.db[clients.CLIENT_COLLECTION].find_one({"_id": client_id})
    assert secret not in json.dumps(document, default=str)
    assert document["secret"].startswith("scrypt$")
    assert clients.authenticate(store, client_id, secret).scopes == {"system/Patient.read",
                                                                         "system/Observation.read"}
    assert clients.authenticate(store, client_id, secret + "x") is None


def test_create_client_refuses_unknown_scopes(store):
    with pytest.raises(ValueError, match="unknown scope"):
        clients.create_client(store, ["system/Patient.delete-everything"])


@pytest.mark.wire
def test_cli_create_client_prints_a_secret_that_gets_a_token(wire_server, monkeypatch, capsys):
    database = f"cli_{int(time.time() * 1000)}"
    monkeypatch.setenv("CODOC_MONGO_URI", wire_server.uri)
    monkeypatch.setenv("CODOC_MONGO_DB", database)
    assert cli.main(["create-client", "--scopes", "system/*.read codoc/admin", "--name", "ops"]) == 0
    printed = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines() if ":" in line)
    client_id, secret = printed["client_id"].strip(), printed["client_secret"].strip()
    app = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": wire_server.uri, "CODOC_MONGO_DB": database})
    response = app.test_client().post("/auth/token", data={"grant_type": "client_credentials",
                                                           "client_id": client_id, "client_secret": secret})
    assert response.status_code == 200 and response.get_json()["scope"] == "codoc/admin system/*.read"
    assert cli.main(["create-client", "--scopes", "system/*.everything"]) == 2
    token = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    monkeypatch.setattr(clients, "ACTIVE_CACHE_SECONDS", 0)
    assert app.test_client().get(f"{BASE}/Patient?_id=x", headers=token).status_code == 200
    assert cli.main(["disable-client", client_id]) == 0 and "disabled" in capsys.readouterr().out
    assert app.test_client().get(f"{BASE}/Patient?_id=x", headers=token).status_code == 401
    assert cli.main(["delete-client", client_id]) == 0
    assert cli.main(["delete-client", client_id]) == 2


# -- external identity provider (RS256) -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def idp_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(params=["pem", "jwks"])
def idp_app(request, settings, idp_key, tmp_path):
    public = idp_key.public_key()
    extra = {"CODOC_IDP_ISSUER": IDP, "CODOC_IDP_AUDIENCE": "codoc-api", "CODOC_ALLOW_ANONYMOUS": False}
    if request.param == "pem":
        path = tmp_path / "idp.pem"
        path.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))
        extra["CODOC_IDP_PUBLIC_KEY_FILE"] = str(path)
    else:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
        extra["CODOC_IDP_JWKS_FILE"] = str(path)
    return create_app({**settings, **extra})


def idp_token(key, **claims) -> str:
    headers = {"kid": claims.pop("kid", "k1")}
    now = int(time.time())
    body = {"sub": "dr.house", "iss": IDP, "aud": "codoc-api", "iat": now, "exp": now + 300,
            "scope": "user/Patient.read", **claims}
    return jwt.encode(body, key, algorithm=claims.pop("alg", "RS256"), headers=headers)


def test_idp_token_is_accepted_with_its_scopes(idp_app, idp_key):
    client = idp_app.test_client()
    headers = {"Authorization": f"Bearer {idp_token(idp_key)}"}
    assert client.get(f"{BASE}/Patient/unknown", headers=headers).status_code == 404  # authorized, not found
    assert_outcome(client.post(f"{BASE}/Patient", json=MINIMAL["Patient"], headers=headers), 403)


def test_idp_token_with_a_list_audience_and_scp_claim_is_accepted(idp_app, idp_key):
    token = idp_token(idp_key, aud=["account", "codoc-api"], scope=None, scp=["user/*.read"])
    response = idp_app.test_client().get(f"{BASE}/Observation/unknown",
                                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_idp_tokens_with_wrong_audience_issuer_key_or_algorithm_return_401(idp_app, idp_key):
    public_pem = idp_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "audience": idp_token(idp_key, aud="another-api"),
        "our audience, IdP issuer": idp_token(idp_key, aud="codoc-fhir-api"),
        "issuer": idp_token(idp_key, iss="https://other-idp.example"),
        "key": idp_token(stranger),
        "expired": idp_token(idp_key, exp=int(time.time()) - 10),
        "HS256 signed with our secret": jwt.encode({"sub": "x", "iss": IDP, "aud": "codoc-api",
                                                    "exp": int(time.time()) + 60},
                                                   idp_app.config["CODOC_SECRET_KEY"], algorithm="HS256"),
    }
    if b"PUBLIC KEY" in public_pem:  # algorithm confusion: the public key as an HMAC secret
        import hmac
        import hashlib
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
        payload = base64.urlsafe_b64encode(json.dumps({"sub": "x", "iss": IDP, "aud": "codoc-api",
                                                       "exp": int(time.time()) + 60}).encode()).rstrip(b"=")
        signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + payload,
                                                      hashlib.sha256).digest()).rstrip(b"=")
        bad["public key as HMAC secret"] = b".".join([header, payload, signature]).decode()
    client = idp_app.test_client()
    for kind, token in bad.items():
        response = client.get(f"{BASE}/Patient/unknown", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, kind


def test_idp_without_key_file_refuses_to_start(settings):
    with pytest.raises(RuntimeError, match="CODOC_IDP_PUBLIC_KEY_FILE"):
        create_app({**settings, "CODOC_IDP_ISSUER": IDP})


@pytest.mark.settings(CODOC_ALLOW_ANONYMOUS=False)
def test_tokens_of_a_disabled_or_deleted_client_are_refused_before_they_expire(app, client, store, monkeypatch):
    monkeypatch.setattr(clients, "ACTIVE_CACHE_SECONDS", 0)
    headers = bearer(app, "system/*.*", "revoked-app")
    assert client.get(f"{BASE}/Patient?_id=x", headers=headers).status_code == 200
    assert clients.set_active(store, "revoked-app", False)
    assert_outcome(client.get(f"{BASE}/Patient?_id=x", headers=headers), 401, "login")
    assert clients.set_active(store, "revoked-app", True)
    assert client.get(f"{BASE}/Patient?_id=x", headers=headers).status_code == 200
    assert clients.delete_client(store, "revoked-app")
    assert_outcome(client.get(f"{BASE}/Patient?_id=x", headers=headers), 401, "login")


@pytest.mark.parametrize("claims", [{"exp": None}, {"type": "refresh"}])
def test_tokens_without_expiry_or_not_access_tokens_are_401(app, client, claims):
    bearer(app, "system/*.*", "someone")  # an active client: only the token's shape is wrong
    body = {k: v for k, v in {"type": "access", "jti": "x", **claims}.items() if v is not None}
    token = raw_token(app.config["CODOC_SECRET_KEY"], **body)
    if claims.get("exp", 1) is None:
        token = jwt.encode({k: v for k, v in jwt.decode(token, options={"verify_signature": False}).items()
                            if k != "exp"}, app.config["CODOC_SECRET_KEY"], algorithm="HS256")
    assert_outcome(client.get(f"{BASE}/Patient?_id=x", headers={"Authorization": f"Bearer {token}"}), 401, "login")
