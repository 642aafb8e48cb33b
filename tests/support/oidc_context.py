"""A test AuthContext: TokenRequest mints JWTs with an OIDCIssuer's key; Secrets from a dict.

It records what the provider asked for (token requests, secret reads, remembered secrets),
so tests can check audiences, durations and that every JWT was registered for redaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp

from tests.support.oidc_issuer import OIDCIssuer
from vault_access_operator.plugin import SecretNotFoundError, ServiceAccountToken


@dataclasses.dataclass
class TokenRequestCall:
    namespace: str
    name: str
    audiences: list[str]
    duration_seconds: int


class FakeAuthContext:
    """Satisfies the AuthContext protocol without Kubernetes."""

    connection_name = "test-connection"
    operator_namespace = "vao-system"
    operator_service_account = "vao"

    def __init__(
        self,
        issuer: OIDCIssuer,
        secrets: dict[tuple[str, str, str], str] | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
        token_issuer: str | None = None,
        source: str = "TokenRequest",
        extra_claims: dict[str, Any] | None = None,
        token_audiences: Sequence[str] | None = None,
    ) -> None:
        self.issuer = issuer
        self.secrets = dict(secrets or {})
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self.token_issuer = token_issuer  # mint with another iss (issuer-mismatch tests)
        self.source = source
        self.extra_claims = dict(extra_claims or {})
        self.token_audiences = token_audiences  # mint for other audiences (the mounted-token fallback)
        self.token_requests: list[TokenRequestCall] = []
        self.minted: list[str] = []
        self.remembered: set[str] = set()
        self.logger = logging.getLogger("tests.oidc.ctx")

    def now(self) -> datetime.datetime:
        return self.clock()

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        try:
            value = self.secrets[(namespace, name, key)]
        except KeyError:
            raise SecretNotFoundError(f"Secret {namespace}/{name} has no key {key!r}") from None
        self.remembered.add(value)
        return value

    async def request_service_account_token(
        self, namespace: str, name: str, audiences: Sequence[str], duration_seconds: int
    ) -> ServiceAccountToken:
        self.token_requests.append(TokenRequestCall(namespace, name, list(audiences), duration_seconds))
        token = self.issuer.mint(
            sub=f"system:serviceaccount:{namespace}:{name}",
            audiences=self.token_audiences or audiences,
            ttl=duration_seconds,
            issuer=self.token_issuer,
            **self.extra_claims,
        )
        self.minted.append(token)
        self.remembered.add(token)
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=duration_seconds)
        return ServiceAccountToken(token=token, expires_at=expires, source=self.source)

    def http_session(self) -> aiohttp.ClientSession:
        raise AssertionError("the oidc/jwt plugins do not use the shared HTTP session")

    def remember_secret(self, value: str) -> None:
        self.remembered.add(value)
