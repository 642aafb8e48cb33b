"""A Google double on 127.0.0.1: the OAuth 2.0 token endpoint, the IAM Credentials signJwt API and the
GCE/GKE metadata server, as google-auth and the gcp plugin call them (Google cannot be reached here).

It holds the keys: each service account has a user-managed key (the key JSON a test stores in a
Secret) and a Google-managed key that signJwt signs with; identity tokens are signed with a "Google
OAuth2" key. ``public_key(kid)`` gives the Vault double what Vault would fetch from Google. Error
bodies are Google's own shapes and texts (invalid_grant, PERMISSION_DENIED, UNAUTHENTICATED).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.gcp_metadata import Instance, MetadataServer

_SIGN_JWT = re.compile(r"^/v1/projects/-/serviceAccounts/([^/:]+):signJwt$")
PERMISSION_DENIED = "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist)."
UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                   "other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclasses.dataclass
class Account:
    email: str
    unique_id: str
    project_id: str
    user_key: rsa.RSAPrivateKey = dataclasses.field(repr=False)
    user_key_id: str
    google_key: rsa.RSAPrivateKey = dataclasses.field(repr=False)
    google_key_id: str
    enabled: bool = True


class GoogleDouble(MetadataServer):
    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.accounts: dict[str, Account] = {}
        self.grants: set[tuple[str, str]] = set()  # (caller, target): caller may signJwt for target
        self.tokens: dict[str, str] = {}  # access token -> account email
        self.oauth_key, self.oauth_key_id = _rsa(), "google-oauth2-" + secrets.token_hex(4)
        self.instance: Instance | None = None
        self.token_requests = 0
        self.sign_requests: list[dict[str, Any]] = []  # the payloads signJwt received
        self.identity_requests: list[dict[str, str]] = []
        self.identity_accounts: list[str] = []  # the account segment of each identity request's path
        self.signed: list[str] = []  # every JWT and access token handed out (to prove they never leak)
        self._lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def start(self) -> GoogleDouble:
        self.server.start()
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    # -- set-up -----------------------------------------------------------------------------
    def add_account(self, name: str, project_id: str = "vao-project") -> Account:
        email = f"{name}@{project_id}.iam.gserviceaccount.com"
        account = Account(email, str(100000000000000000000 + len(self.accounts)), project_id,
                          _rsa(), secrets.token_hex(20), _rsa(), secrets.token_hex(20))
        self.accounts[email] = account
        return account

    def grant(self, caller: str, target: str | None = None) -> None:
        """roles/iam.serviceAccountTokenCreator on ``target`` (default: itself) for ``caller``."""
        self.grants.add((caller, target or caller))

    def key_json(self, account: Account, token_uri: str | None = None, **overrides: Any) -> str:
        """The key file ``gcloud iam service-accounts keys create`` writes (token_uri: Google's, unless given)."""
        info = {
            "type": "service_account", "project_id": account.project_id, "private_key_id": account.user_key_id,
            "private_key": _pem(account.user_key), "client_email": account.email, "client_id": account.unique_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri or "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{account.email}",
            "universe_domain": "googleapis.com",
        }
        info.update(overrides)
        return json.dumps(info, indent=2)

    def public_key(self, kid: str) -> Any:
        """What Vault fetches from Google for ``kid`` (OAuth2 certs, then the account's keys); None if unknown."""
        if kid == self.oauth_key_id:
            return self.oauth_key.public_key()
        for account in self.accounts.values():
            if kid == account.google_key_id:
                return account.google_key.public_key()
        return None

    def account(self, email_or_id: str) -> Account | None:
        return next((a for a in self.accounts.values() if email_or_id in (a.email, a.unique_id)), None)

    # -- HTTP -------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        path = request.path
        if path == "/token" and request.method == "POST":
            return self._token(request)
        match = _SIGN_JWT.match(path)
        if match and request.method == "POST":
            return self._sign_jwt(request, match.group(1))
        if path == "/" or path.startswith("/computeMetadata/"):
            return self._metadata(request)
        return _google_error(404, "NOT_FOUND", f"no route {path}")

    def _token(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        self.token_requests += 1
        assertion = (form.get("assertion") or [""])[0]
        try:
            kid = jwt.get_unverified_header(assertion).get("kid", "")
            account = next(a for a in self.accounts.values() if a.user_key_id == kid)
            claims = jwt.decode(assertion, account.user_key.public_key(), algorithms=["RS256"],
                                options={"verify_aud": False})
            if claims.get("iss") != account.email or not account.enabled:
                raise ValueError("wrong issuer or disabled")
        except (StopIteration, ValueError, jwt.PyJWTError):
            return _json({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, 400)
        return _json(self._access_token(account.email))

    def _access_token(self, email: str) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(48)
        with self._lock:
            self.tokens[token] = email
            self.signed.append(token)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _sign_jwt(self, request: Request, target: str) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        caller = self.tokens.get(bearer)
        if caller is None:
            return _google_error(401, "UNAUTHENTICATED", UNAUTHENTICATED)
        account = self.accounts.get(target)
        if account is None or (caller, target) not in self.grants:
            return _google_error(403, "PERMISSION_DENIED", PERMISSION_DENIED)
        try:
            payload = json.loads(json.loads(request.get_data(as_text=True))["payload"])
        except (ValueError, KeyError, TypeError):
            return _google_error(400, "INVALID_ARGUMENT", "Invalid JWT payload.")
        if not isinstance(payload.get("exp", 0), int) or payload.get("exp", 0) > time.time() + 12 * 3600:
            return _google_error(400, "INVALID_ARGUMENT", "JWT expiry must be within 12 hours.")
        self.sign_requests.append({"caller": caller, "target": target, "payload": payload})
        signed = jwt.encode(payload, account.google_key, algorithm="RS256",
                            headers={"kid": account.google_key_id, "typ": "JWT"})
        self.signed.append(signed)
        return _json({"keyId": account.google_key_id, "signedJwt": signed})


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _google_error(code: int, status: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message, "status": status}}, code)
