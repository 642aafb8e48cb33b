"""The plugin kit's RecordingAuthContext set up for the oidc/jwt tests: TokenRequest mints real JWTs
signed by an OIDCIssuer's key, so OpenBao can verify them. What the provider asked for is recorded
(``token_requests``, ``secret_reads``, ``remembered``, ``handed_out``)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

import aiohttp

from tests.support.oidc_issuer import OIDCIssuer
from vault_access_operator.plugin import ServiceAccountToken
from vault_access_operator.testing import RecordingAuthContext

OPERATOR_NAMESPACE, OPERATOR_ACCOUNT = "vao-system", "vao"
SecretKey = tuple[str, str, str]


class MountedTokenContext(RecordingAuthContext):
    """Tokens from the mounted file instead of TokenRequest (the kit's context always says TokenRequest)."""

    def __init__(self, source: str, **options: Any) -> None:
        super().__init__(**options)
        self.source = source

    async def request_service_account_token(self, namespace: str, name: str, audiences: Sequence[str],
                                            duration_seconds: int) -> ServiceAccountToken:
        token = await super().request_service_account_token(namespace, name, audiences, duration_seconds)
        return dataclasses.replace(token, source=self.source)


def no_http_session() -> aiohttp.ClientSession:
    raise AssertionError("the oidc/jwt plugins do not use the shared HTTP session")


def oidc_context(
    issuer: OIDCIssuer,
    secrets: dict[SecretKey, str] | None = None,
    now: datetime.datetime | None = None,
    token_issuer: str | None = None,
    extra_claims: dict[str, Any] | None = None,
    token_audiences: Sequence[str] | None = None,
    source: str = "TokenRequest",
) -> RecordingAuthContext:
    """``token_issuer``: mint with another ``iss`` (issuer mismatch); ``token_audiences``: for other audiences
    than asked (the mounted token's); ``now``: the context's clock (default: the wall clock, as the
    issuer signs with it)."""

    def mint(namespace: str, name: str, audiences: Sequence[str], seconds: int) -> str:
        return issuer.mint(sub=f"system:serviceaccount:{namespace}:{name}", audiences=token_audiences or audiences,
                           ttl=seconds, issuer=token_issuer, **(extra_claims or {}))

    options: dict[str, Any] = {
        "secrets": secrets, "service_account_tokens": mint, "now": now or datetime.datetime.now(datetime.UTC),
        "operator_namespace": OPERATOR_NAMESPACE, "operator_service_account": OPERATOR_ACCOUNT,
        "http_session": no_http_session,
    }
    return RecordingAuthContext(**options) if source == "TokenRequest" else MountedTokenContext(source, **options)
