"""The operator's own Vault calls: login, token lookup/renew/revoke, and sys/health.

Thin uses of the generic client (:mod:`vault_api`) on the shared pool (:mod:`vault_transport`),
with the error mapping a connection's runtime acts on: a refused login is
:class:`~errors.LoginDeniedError`, a refused token :class:`~errors.TokenInvalidError`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import LoginDeniedError, TokenInvalidError, VaultUnavailableError
from .provider import LoginRequest
from .vault_api import VaultAPI
from .vault_transport import Answer, VaultHTTP

__all__ = ["Health", "TokenGrant", "VaultClient", "VaultHTTP"]


@dataclasses.dataclass(frozen=True)
class TokenGrant:
    """A token from a login or renewal. ``token`` is excluded from repr on purpose."""

    token: str = dataclasses.field(repr=False)
    accessor: str
    ttl: float
    renewable: bool


@dataclasses.dataclass(frozen=True)
class Health:
    initialized: bool
    sealed: bool
    version: str | None


class VaultClient(VaultAPI):
    """One Vault endpoint with one TLS setting; tokens are passed per call, never stored."""

    async def login(self, request: LoginRequest) -> TokenGrant:
        path = f"/v1/auth/{request.mount}/{request.path}"
        answer = await self.send("PUT", path, json=dict(request.body), headers=dict(request.headers))
        if answer.status in (400, 401, 403, 404):
            raise LoginDeniedError(answer.errors_text(), status=answer.status)
        if not answer.ok:
            raise self.unavailable(answer, f"login at auth/{request.mount}")
        auth = _field(answer, "auth")
        if not auth.get("client_token"):
            raise VaultUnavailableError(f"Vault returned no token for login at auth/{request.mount}")
        return _grant(auth["client_token"], auth)

    async def lookup_self(self, token: str, whose: str = "the operator's token") -> dict[str, Any]:
        answer = await self.send("GET", "/v1/auth/token/lookup-self", token=token)
        if answer.status in (401, 403):
            raise TokenInvalidError(f"Vault rejected {whose}: {answer.errors_text()}")
        if not answer.ok:
            raise self.unavailable(answer, "a token lookup")
        return _field(answer, "data")

    async def renew_self(self, token: str) -> TokenGrant:
        answer = await self.send("PUT", "/v1/auth/token/renew-self", token=token, json={})
        if answer.status in (400, 401, 403) or _past_max_ttl(answer):
            raise TokenInvalidError(f"Vault refused to renew the operator's token: {answer.errors_text()}")
        if not answer.ok:
            raise self.unavailable(answer, "a token renewal")
        return _grant(token, _field(answer, "auth"))

    async def revoke_self(self, token: str) -> None:
        answer = await self.send("PUT", "/v1/auth/token/revoke-self", token=token, json={})
        if not answer.ok and answer.status not in (401, 403):
            raise self.unavailable(answer, "a token revocation")

    async def health(self) -> Health:
        # sealedcode/uninitcode 200 so the body always comes back as JSON.
        answer = await self.send(
            "GET", "/v1/sys/health", params={"standbyok": "true", "sealedcode": "200", "uninitcode": "200"}
        )
        if not answer.ok:
            raise self.unavailable(answer, "sys/health")
        body = answer.body if isinstance(answer.body, dict) else {}
        return Health(bool(body.get("initialized")), bool(body.get("sealed")), body.get("version"))


def _field(answer: Answer, name: str) -> dict[str, Any]:
    value = answer.body.get(name) if isinstance(answer.body, dict) else None
    if not isinstance(value, dict):
        raise VaultUnavailableError(f"Vault answered HTTP {answer.status} without a JSON {name!r} object")
    return value


def _grant(token: str, auth: dict[str, Any]) -> TokenGrant:
    return TokenGrant(
        token=token,
        accessor=str(auth.get("accessor") or ""),
        ttl=float(auth.get("lease_duration") or 0),
        renewable=bool(auth.get("renewable")),
    )


def _past_max_ttl(answer: Answer) -> bool:
    # Vault and OpenBao answer a renewal at the token's max TTL with HTTP 500 "past the max TTL, cannot
    # renew": no outage, the token is simply done. Logging in again is the fix, not a backoff.
    return answer.status >= 500 and "past the max ttl" in answer.errors_text().lower()
