"""Async Vault transport over hvac: login, token lookup/renew/revoke, and sys/health.

hvac is blocking, so every call runs in a dedicated thread pool, off the event loop: one
slow Vault stalls only its own connection. Errors become :mod:`errors` types whose texts
carry Vault's own message and the URL, never a token or request body.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import hvac
import requests

from .errors import (
    LoginDeniedError,
    Reason,
    TokenInvalidError,
    VaultAccessError,
    VaultUnavailableError,
)
from .provider import LoginRequest

T = TypeVar("T")
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="vault-io")
REQUEST_TIMEOUT = 10.0


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


async def run_blocking(func: Callable[..., T], *args: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, functools.partial(func, *args))


def _errors_text(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        errors = []
    text = "; ".join(str(e).strip() for e in errors if str(e).strip())
    return text or f"HTTP {response.status_code}"


class VaultClient:
    """One Vault endpoint with one TLS setting; tokens are passed per call, never stored."""

    def __init__(self, address: str, verify: bool | str) -> None:
        self.address = address.rstrip("/")
        self._verify = verify
        self._adapter = hvac.adapters.RawAdapter(
            base_uri=self.address,
            verify=verify,
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )

    def close(self) -> None:
        self._adapter.close()

    def _request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        url = f"{self.address}{path}"
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["X-Vault-Token"] = token
        try:
            return self._adapter.request(method, path, headers=headers, raise_exception=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            detail = "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else "TLS handshake failed"
            raise VaultAccessError(
                f"cannot verify Vault's TLS certificate at {self.address} ({detail}): check that "
                "spec.tls.caSecretRef holds the CA that signed Vault's certificate",
                reason=Reason.TLS_VERIFY_FAILED,
            ) from None
        except requests.exceptions.Timeout:
            raise VaultUnavailableError(f"Vault at {url} did not answer within {REQUEST_TIMEOUT:.0f}s") from None
        except requests.exceptions.ConnectionError as exc:
            raise VaultUnavailableError(
                f"cannot reach Vault at {self.address}: {_connection_error_text(exc)}"
            ) from None

    def _unavailable(self, response: requests.Response, what: str) -> VaultUnavailableError:
        text = _errors_text(response)
        if response.status_code == 503 and "sealed" in text.lower():
            return VaultUnavailableError(f"Vault at {self.address} is sealed: unseal it", reason=Reason.VAULT_SEALED)
        if response.status_code == 501 or "not initialized" in text.lower():
            return VaultUnavailableError(
                f"Vault at {self.address} is not initialized: run 'vault operator init'",
                reason=Reason.VAULT_NOT_INITIALIZED,
            )
        return VaultUnavailableError(
            f"Vault at {self.address} answered {what} with HTTP {response.status_code}: {text}",
            reason=Reason.VAULT_ERROR if response.status_code < 500 else Reason.VAULT_UNREACHABLE,
        )

    def login(self, request: LoginRequest) -> TokenGrant:
        path = f"/v1/auth/{request.mount}/{request.path}"
        response = self._request("PUT", path, json=dict(request.body), headers=dict(request.headers))
        if response.status_code in (400, 401, 403, 404):
            raise LoginDeniedError(_errors_text(response), status=response.status_code)
        if not response.ok:
            raise self._unavailable(response, f"login at auth/{request.mount}")
        auth = (response.json() or {}).get("auth") or {}
        if not auth.get("client_token"):
            raise VaultUnavailableError(f"Vault returned no token for login at auth/{request.mount}")
        return _grant(auth["client_token"], auth)

    def lookup_self(self, token: str) -> dict[str, Any]:
        response = self._request("GET", "/v1/auth/token/lookup-self", token=token)
        if response.status_code in (401, 403):
            raise TokenInvalidError(f"Vault rejected the operator's token: {_errors_text(response)}")
        if not response.ok:
            raise self._unavailable(response, "a token lookup")
        data: dict[str, Any] = response.json()["data"]
        return data

    def renew_self(self, token: str) -> TokenGrant:
        response = self._request("PUT", "/v1/auth/token/renew-self", token=token, json={})
        if response.status_code in (400, 401, 403):
            raise TokenInvalidError(f"Vault refused to renew the operator's token: {_errors_text(response)}")
        if not response.ok:
            raise self._unavailable(response, "a token renewal")
        return _grant(token, response.json()["auth"])

    def revoke_self(self, token: str) -> None:
        response = self._request("PUT", "/v1/auth/token/revoke-self", token=token, json={})
        if not response.ok and response.status_code not in (401, 403):
            raise self._unavailable(response, "a token revocation")

    def health(self) -> Health:
        # sealedcode/uninitcode 200 so the body always comes back as JSON.
        response = self._request(
            "GET", "/v1/sys/health", params={"standbyok": "true", "sealedcode": 200, "uninitcode": 200}
        )
        if not response.ok:
            raise self._unavailable(response, "sys/health")
        body = response.json()
        return Health(bool(body.get("initialized")), bool(body.get("sealed")), body.get("version"))


def _grant(token: str, auth: dict[str, Any]) -> TokenGrant:
    return TokenGrant(
        token=token,
        accessor=str(auth.get("accessor") or ""),
        ttl=float(auth.get("lease_duration") or 0),
        renewable=bool(auth.get("renewable")),
    )


def _connection_error_text(exc: requests.exceptions.ConnectionError) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker.lower()
    return "connection failed"
