"""Vault's HTTP layer: the shared connection pool, one endpoint's requests, transport errors.

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
from .errors import Reason, VaultAccessError, VaultUnavailableError
from .http_timeouts import server_time
from .tls import TLSVerify, ssl_context

#: Seconds Vault may take to accept a connection, and to send each part of its answer once asked. Not the
#: wait for a free slot of the pool (see POOL_WAIT): a request queued behind our own (10,000 policy writes of
#: a sync) has not been sent, and its timing out said "Vault did not answer" of a Vault that was never asked.
REQUEST_TIMEOUT = 10.0
POOL_PER_HOST = 64  # concurrent requests to one Vault host; more wait for a free slot
POOL_WAIT = 120.0  # at most this long for a free slot and the TCP connection: a stuck pool still ends in an error
# Longer than the default 30 s health interval, so checks reuse their connection. One that Vault or a
# load balancer closed meanwhile costs nothing: aiohttp sends an idempotent request again once.
KEEPALIVE_SECONDS = 75.0
BODY_LIMIT = MIB  # Vault's answers are small JSON documents; more is not Vault talking
NAMESPACE_HEADER = "X-Vault-Namespace"


class VaultTimeoutError(VaultUnavailableError):
    """Vault did not answer within the request timeout: slow (or our event loop late), not a verdict.

    Vault may still have carried the request out. Reason ``VaultUnreachable``, as every transport failure.
    """


@dataclasses.dataclass(frozen=True)
class Answer:
    """Vault's status code and parsed JSON body (None when empty or not JSON)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    def errors_text(self) -> str:
        """Vault's ``errors`` list as one clipped line (``HTTP <status>`` when it sent none)."""
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(errors, list):
            errors = [errors] if errors else []
        texts = (str(e).strip() for e in errors)  # linear in the body, which is capped (BODY_LIMIT)
        return clip("; ".join(text for text in texts if text)) or f"HTTP {self.status}"


class VaultHTTP:
    """The HTTP connection pool every Vault client of the operator shares; open it inside the event loop."""

    def __init__(self, per_host: int = POOL_PER_HOST, timeout: float | None = None) -> None:
        self.timeout = REQUEST_TIMEOUT if timeout is None else timeout  # read at creation: tests shorten it
        self.per_host = per_host
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self.per_host, keepalive_timeout=KEEPALIVE_SECONDS
            )
            # trust_env would re-read the proxy variables and ~/.netrc on every request: see proxy_for. Vault
            # sets no cookies (nor does its Go client keep any): no jar to store them and filter it per request.
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=server_time(self.timeout, POOL_WAIT),
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def proxy_for(self, address: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, resolved once per Vault address."""
        if address not in self._proxies:
            scheme = address.split("://", 1)[0]
            host = address.split("://", 1)[-1].split("/", 1)[0]
            proxies = urllib.request.getproxies_environment()
            bypass = urllib.request.proxy_bypass(host) if proxies else True
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


class VaultTransport:
    """One Vault endpoint (address, TLS trust, optional namespace); tokens are passed per call, never stored."""

    def __init__(self, address: str, verify: TLSVerify, http: VaultHTTP, *, namespace: str | None = None) -> None:
        self.address = address.rstrip("/")
        self.namespace = namespace.strip("/") if namespace else None
        self._ssl = ssl_context(verify)
        self._http = http

    @property
    def identity(self) -> tuple[str, object]:
        """Transports with equal identities reach the same server the same way (address and TLS trust)."""
        return self.address, self._ssl

    async def send(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        """One request to ``path`` (``/v1/...``); raises only for transport trouble, never for a status."""
        url = f"{self.address}{path}"
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["X-Vault-Token"] = token
        if self.namespace:
            headers[NAMESPACE_HEADER] = self.namespace
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
                return Answer(response.status, _json(raw))
        except aiohttp.ClientSSLError as exc:
            verify = isinstance(exc, aiohttp.ClientConnectorCertificateError)
            detail = "certificate verify failed" if verify else "TLS handshake failed"
            raise VaultAccessError(
                f"cannot verify Vault's TLS certificate at {self.address} ({detail}): check that "
                "spec.tls.caSecretRef holds the CA that signed Vault's certificate",
                reason=Reason.TLS_VERIFY_FAILED,
            ) from None
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):  # connecting, or waiting for a slot of the pool
                raise VaultTimeoutError(
                    f"Vault at {self.address} did not accept a connection within {self._http.timeout:g}s (or the "
                    f"operator's {self._http.per_host} connections to it stayed busy for {POOL_WAIT:g}s)"
                ) from None
            raise VaultTimeoutError(f"Vault at {url} did not answer within {self._http.timeout:g}s") from None
        except aiohttp.ClientError as exc:
            text = _connection_error_text(exc)
            raise VaultUnavailableError(f"cannot reach Vault at {self.address}: {text}") from None

    def unavailable(self, answer: Answer, what: str) -> VaultUnavailableError:
        """The error for an answer that says Vault itself is unwell (sealed, not initialised, 5xx, ...)."""
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


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


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
