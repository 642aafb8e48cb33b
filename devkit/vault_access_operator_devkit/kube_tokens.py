"""Service-account token issuing (TokenRequest) and validation (TokenReview), like kube-apiserver."""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_ISSUER = "https://kubernetes.default.svc"
DEFAULT_AUDIENCES = ("https://kubernetes.default.svc",)

# (namespace, name) -> uid of the live ServiceAccount, or None if it does not exist.
ServiceAccountLookup = Callable[[str, str], "str | None"]


@dataclass(frozen=True)
class MintedToken:
    namespace: str
    name: str
    audiences: tuple[str, ...]
    expiration_seconds: int
    token: str
    claims: dict[str, Any]


class TokenAuthority:
    """Signs service-account JWTs with an RSA key generated per instance, and reviews them.

    Switches/counters (thread-safe enough to read from test code):
    * ``forbid_requests``: TokenRequest answers 403 Forbidden (to test fallbacks).
    * ``min_expiration_seconds``: like kube-apiserver, shorter requests get 422 (default 600).
    * ``strict_default_audiences``: if True, a TokenReview without spec.audiences checks against
      the API server's own audiences (real kube-apiserver); if False (default) it accepts the
      token's own audiences.
    * ``minted``, ``minted_count``, ``minted_for(ns, name)``, ``review_count``.
    """

    def __init__(self, issuer: str = DEFAULT_ISSUER, default_audiences: tuple[str, ...] | None = None) -> None:
        self.issuer = issuer
        # Like kube-apiserver, whose --api-audiences default to the issuer (served by discovery).
        self.default_audiences = default_audiences or (issuer,)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.forbid_requests = False
        self.min_expiration_seconds = 600
        self.strict_default_audiences = False
        self.minted: list[MintedToken] = []
        self.review_count = 0
        self._per_account: Counter[tuple[str, str]] = Counter()
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    @property
    def public_key_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [dict(jwk, kid=self.kid, use="sig", alg="RS256")]}

    @property
    def minted_count(self) -> int:
        return len(self.minted)

    def minted_for(self, namespace: str, name: str) -> int:
        return self._per_account[(namespace, name)]

    def mint(self, namespace: str, name: str, uid: str, audiences: list[str] | tuple[str, ...] | None = None,
             expiration_seconds: int = 3600) -> MintedToken:
        now = int(time.time())
        auds = tuple(audiences or self.default_audiences)
        claims = {
            "iss": self.issuer, "sub": f"system:serviceaccount:{namespace}:{name}", "aud": list(auds),
            "iat": now, "nbf": now, "exp": now + expiration_seconds, "jti": str(uuid.uuid4()),
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
        }
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        minted = MintedToken(namespace, name, auds, expiration_seconds, token, claims)
        with self._lock:
            self.minted.append(minted)
            self._per_account[(namespace, name)] += 1
        return minted

    def revoke(self, token: str) -> None:
        """Make TokenReview reject this JWT from now on."""
        claims = jwt.decode(token, options={"verify_signature": False})
        with self._lock:
            self._revoked.add(claims.get("jti") or token)

    def review(self, token: str, audiences: list[str] | None, lookup: ServiceAccountLookup) -> dict[str, Any]:
        """Return the TokenReview `status` the way kube-apiserver would."""
        with self._lock:
            self.review_count += 1
        try:
            claims = jwt.decode(token, self.key.public_key(), algorithms=["RS256"], issuer=self.issuer,
                                options={"verify_aud": False, "require": ["exp", "sub", "aud"]})
        except jwt.PyJWTError as e:
            return _denied(f"[invalid bearer token, {e}]")
        if (claims.get("jti") or token) in self._revoked:
            return _denied("[invalid bearer token, token has been invalidated]")
        info = claims.get("kubernetes.io") or {}
        namespace, sa = info.get("namespace", ""), info.get("serviceaccount") or {}
        live_uid = lookup(namespace, sa.get("name", ""))
        if live_uid is None or live_uid != sa.get("uid"):
            return _denied("[invalid bearer token, service account has been deleted or recreated]")
        token_auds = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        wanted = audiences or (list(self.default_audiences) if self.strict_default_audiences else token_auds)
        accepted = [a for a in wanted if a in token_auds]
        if not accepted:
            return _denied(f"[invalid bearer token, token audiences {token_auds} "
                           f"is invalid for the target audiences {wanted}]")
        return {
            "authenticated": True,
            "audiences": accepted,
            "user": {
                "username": claims["sub"], "uid": sa["uid"],
                "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"],
                "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={claims.get('jti')}"]},
            },
        }


def _denied(message: str) -> dict[str, Any]:
    return {"authenticated": False, "user": {}, "error": message}


def expiration_timestamp(minted: MintedToken) -> str:
    exp = datetime.datetime.fromtimestamp(minted.claims["exp"], datetime.UTC)
    return exp.strftime("%Y-%m-%dT%H:%M:%SZ")
