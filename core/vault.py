"""Async Vault transport: login, token lookup/renew/revoke, and sys/health, on the event loop.

Calls are aiohttp coroutines on one shared connection pool, so a thousand connections cost
no threads, and a slow or hung Vault only holds its own host's pool slots
(``POOL_PER_HOST``): connections to other Vaults go on. Errors become :mod:`errors` types
whose texts carry Vault's own message and the URL, never a token or request body.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import urllib.request
from typing import Any

import aiohttp

from .bodies import MIB, read_capped, size_text
from .clip import clip
from .errors import (
    LoginDeniedError,
    Reason,
    TokenInvalidError,
    VaultAccessError,
    VaultUnavailableError,
)
from .provider import LoginRequest
from .tls import TLSVerify, ssl_context

REQUEST_TIMEOUT = 10.0
POOL_PER_HOST = 64  # concurrent requests to one Vault host; more wait for a free slot
# Longer than the default 30 s health interval, so checks reuse their connection. One that Vault or a
# load balancer closed meanwhile costs nothing: aiohttp sends an idempotent request again once.
KEEPALIVE_SECONDS = 75.0
BODY_LIMIT = MIB  # Vault's answers are small JSON documents; more is not Vault talking


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


@dataclasses.dataclass(frozen=True)
class _Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    def errors_text(self) -> str:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(errors, list):
            errors = [errors] if errors else []
        texts = (str(e).strip() for e in errors)  # linear in the body, which is capped (BODY_LIMIT)
        return clip("; ".join(text for text in texts if text)) or f"HTTP {self.status}"


class VaultHTTP:
    """The HTTP connection pool every Vault client of the operator shares; open it inside the event loop."""

    def __init__(self, per_host: int = POOL_PER_HOST, timeout: float = REQUEST_TIMEOUT) -> None:
        self.timeout = timeout
        self._per_host = per_host
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self._per_host, keepalive_timeout=KEEPALIVE_SECONDS
            )
            # trust_env would re-read the proxy variables and ~/.netrc on every request: see proxy_for.
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout), trust_env=False
            )
        return self._session

    def proxy_for(self, address: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, resolved once per Vault address."""
        if address not in self._proxies:
            scheme = address.split("://", 1)[0]
            host = address.split("://", 1)[-1].split("/", 1)[0]
            proxies = urllib.request.getproxies_environment()
            bypass = urllib.request.proxy_bypass(host) if proxies else True  # NO_PROXY, as proxies are set
            self._proxies[address] = None if bypass else proxies.get(scheme)
        return self._proxies[address]

    def forget(self, address: str) -> None:
        """No connection uses ``address`` any more: drop its proxy entry."""
        self._proxies.pop(address.rstrip("/"), None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> VaultHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class VaultClient:
    """One Vault endpoint with one TLS setting; tokens are passed per call, never stored."""

    def __init__(self, address: str, verify: TLSVerify, http: VaultHTTP) -> None:
        self.address = address.rstrip("/")
        self._ssl = ssl_context(verify)
        self._http = http

    @property
    def identity(self) -> tuple[str, object]:
        """Clients with equal identities reach the same server the same way (address and TLS trust)."""
        return self.address, self._ssl

    async def _request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> _Answer:
        url = f"{self.address}{path}"
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["X-Vault-Token"] = token
        try:
            async with self._http.session().request(
                method,
                url,
                headers=headers,
                ssl=self._ssl,
                allow_redirects=False,
                proxy=self._http.proxy_for(self.address),
                **kwargs,
            ) as response:
                raw = await read_capped(response, BODY_LIMIT)
                if raw is None:
                    raise VaultUnavailableError(
                        f"Vault at {self.address} answered with more than {size_text(BODY_LIMIT)} "
                        f"(HTTP {response.status}): check that spec.address points at Vault"
                    )
                return _Answer(response.status, _json(raw))
        except aiohttp.ClientSSLError as exc:
            verify = isinstance(exc, aiohttp.ClientConnectorCertificateError)
            detail = "certificate verify failed" if verify else "TLS handshake failed"
            raise VaultAccessError(
                f"cannot verify Vault's TLS certificate at {self.address} ({detail}): check that "
                "spec.tls.caSecretRef holds the CA that signed Vault's certificate",
                reason=Reason.TLS_VERIFY_FAILED,
            ) from None
        except TimeoutError:
            raise VaultUnavailableError(f"Vault at {url} did not answer within {self._http.timeout:.0f}s") from None
        except aiohttp.ClientError as exc:
            text = _connection_error_text(exc)
            raise VaultUnavailableError(f"cannot reach Vault at {self.address}: {text}") from None

    def _unavailable(self, answer: _Answer, what: str) -> VaultUnavailableError:
        text = answer.errors_text()
        if answer.status == 503 and "sealed" in text.lower():
            return VaultUnavailableError(f"Vault at {self.address} is sealed: unseal it", reason=Reason.VAULT_SEALED)
        if answer.status == 501 or "not initialized" in text.lower():
            return VaultUnavailableError(
                f"Vault at {self.address} is not initialized: run 'vault operator init'",
                reason=Reason.VAULT_NOT_INITIALIZED,
            )
        return VaultUnavailableError(
            f"Vault at {self.address} answered {what} with HTTP {answer.status}: {text}",
            reason=Reason.VAULT_ERROR if answer.status < 500 else Reason.VAULT_UNREACHABLE,
        )

    async def login(self, request: LoginRequest) -> TokenGrant:
        path = f"/v1/auth/{request.mount}/{request.path}"
        answer = await self._request("PUT", path, json=dict(request.body), headers=dict(request.headers))
        if answer.status in (400, 401, 403, 404):
            raise LoginDeniedError(answer.errors_text(), status=answer.status)
        if not answer.ok:
            raise self._unavailable(answer, f"login at auth/{request.mount}")
        auth = _field(answer, "auth")
        if not auth.get("client_token"):
            raise VaultUnavailableError(f"Vault returned no token for login at auth/{request.mount}")
        return _grant(auth["client_token"], auth)

    async def lookup_self(self, token: str) -> dict[str, Any]:
        answer = await self._request("GET", "/v1/auth/token/lookup-self", token=token)
        if answer.status in (401, 403):
            raise TokenInvalidError(f"Vault rejected the operator's token: {answer.errors_text()}")
        if not answer.ok:
            raise self._unavailable(answer, "a token lookup")
        return _field(answer, "data")

    async def renew_self(self, token: str) -> TokenGrant:
        answer = await self._request("PUT", "/v1/auth/token/renew-self", token=token, json={})
        if answer.status in (400, 401, 403):
            raise TokenInvalidError(f"Vault refused to renew the operator's token: {answer.errors_text()}")
        if not answer.ok:
            raise self._unavailable(answer, "a token renewal")
        return _grant(token, _field(answer, "auth"))

    async def revoke_self(self, token: str) -> None:
        answer = await self._request("PUT", "/v1/auth/token/revoke-self", token=token, json={})
        if not answer.ok and answer.status not in (401, 403):
            raise self._unavailable(answer, "a token revocation")

    async def health(self) -> Health:
        # sealedcode/uninitcode 200 so the body always comes back as JSON.
        answer = await self._request(
            "GET", "/v1/sys/health", params={"standbyok": "true", "sealedcode": "200", "uninitcode": "200"}
        )
        if not answer.ok:
            raise self._unavailable(answer, "sys/health")
        body = answer.body if isinstance(answer.body, dict) else {}
        return Health(bool(body.get("initialized")), bool(body.get("sealed")), body.get("version"))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _field(answer: _Answer, name: str) -> dict[str, Any]:
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


def _connection_error_text(exc: aiohttp.ClientError) -> str:
    # Stable texts: a retried failure with the same text posts no new event.
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "name or service not known"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused"
        return "no route to host" if exc.os_error.errno == errno.EHOSTUNREACH else "connection failed"
    # Dropped or reset after connecting (ServerDisconnectedError, ClientOSError, a cut-off body).
    return "the connection closed before Vault answered"
