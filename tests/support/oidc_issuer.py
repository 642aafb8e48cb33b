"""A local OIDC issuer for tests: an RSA key, JWT minting, and discovery + JWKS over HTTP.

Serves ``/.well-known/openid-configuration`` and ``/keys`` on 127.0.0.1 (pytest-httpserver,
threaded: Vault fetches keys while tests run). Its URL is the issuer (``iss``), exactly as
OpenBao's ``oidc_discovery_url`` requires (go-oidc refuses a discovery document whose issuer
differs from the URL it was fetched from).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer


class OIDCIssuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)

    # -- serving --------------------------------------------------------------------
    def start(self) -> OIDCIssuer:
        self.server.start()
        self.server.expect_request("/.well-known/openid-configuration").respond_with_json(self.discovery())
        self.server.expect_request("/keys").respond_with_json(self.jwks())
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    def __enter__(self) -> OIDCIssuer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/keys"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": self.jwks_url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    # -- keys and tokens ------------------------------------------------------------
    @property
    def public_key_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [dict(jwk, kid=self.kid, use="sig", alg="RS256")]}

    def mint(
        self,
        sub: str = "system:serviceaccount:vao-system:vao",
        audiences: Sequence[str] = ("vault",),
        ttl: int = 600,
        now: float | None = None,
        issuer: str | None = None,
        **extra: Any,
    ) -> str:
        """A signed JWT; ``issuer`` overrides ``iss`` (to test issuer mismatches)."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": issuer if issuer is not None else self.url,
            "sub": sub,
            "aud": list(audiences),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        claims.update(extra)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
