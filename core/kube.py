"""A small async Kubernetes API client for what kopf does not do for us.

Reads Secrets, requests service-account tokens (TokenRequest API), patches VaultConnection
status from the per-connection tasks, and posts events. It reuses the credentials kopf
logged in with (a :class:`kopf.ConnectionInfo`), so in-cluster and kubeconfig both work.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import kopf

from .bodies import MIB, read_capped, size_text
from .clip import clip
from .clock import Clock, rfc3339, utc_now
from .errors import CredentialsError, Reason, SecretNotFoundError
from .http_timeouts import server_time
from .kinds import VAULT_CONNECTION, KindDefinition
from .kube_credentials import authorization, ssl_context
from .kube_errors import KubeError, parse_retry_after, raise_for, unreachable

__all__ = ["KubeClient", "KubeError", "ObjectStatus"]
#: Seconds the API server may take to accept a connection, and to send each part of its answer once asked. Not the
#: wait for a free slot of the pool (POOL_WAIT): a status write queued behind our own (a sync's thousands) has not
#: been sent, and its timing out said "no answer" of an API server that was never asked (core/http_timeouts.py).
REQUEST_TIMEOUT = 30.0
POOL_SIZE = 32  # concurrent requests to the API server; more wait for a free slot
POOL_WAIT = 120.0  # at most this long for a free slot and the TCP connection: a stuck pool still ends in an error
BODY_LIMIT = 4 * MIB  # a Secret holds at most 1 MiB of data; its base64 and metadata fit in 4
# 429 answers are retried inside one call when the server asks for a short wait; longer waits, or
# more of them, surface as KubernetesAPIThrottled with ``retry_after`` for the connection's backoff.
THROTTLE_RETRIES = 3
THROTTLE_MAX_WAIT = 5.0


class KubeClient:
    """Kubernetes API calls made outside kopf handlers. ``relogin`` refreshes credentials on 401."""

    def __init__(
        self,
        info: kopf.ConnectionInfo,
        relogin: Callable[[], kopf.ConnectionInfo] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock = utc_now,
    ) -> None:
        self._info = info
        self._relogin = relogin
        self._sleep = sleep  # tests count the throttling waits instead of waiting
        self._clock = clock  # event timestamps and Retry-After dates
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        return authorization(self._info)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=ssl_context(self._info), limit=POOL_SIZE)
            self._session = aiohttp.ClientSession(
                base_url=self._info.server.rstrip("/") + "/",
                connector=connector,
                timeout=server_time(REQUEST_TIMEOUT, POOL_WAIT),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, what: str = "", decode: bool = True,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        """(status, JSON body) of an answer; raises KubeError when there is none or it is a lasting 429.

        ``what`` names the call in error messages ("reading Secret ns/name"). ``decode=False``: a 2xx answer's body
        is read (the connection is reused) but not decoded, and None stands for it: a status PATCH answers with the
        whole object, which no caller reads (bench/README.md, session 11); an error answer is still decoded.
        """
        what = what or f"{method} {path}"
        for throttled in range(THROTTLE_RETRIES + 1):
            try:
                status, body, retry_after = await self._request_once(method, path, headers, kwargs, decode)
            except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as error:
                raise unreachable(self._info.server, what, error, REQUEST_TIMEOUT, POOL_WAIT) from None
            if status != 429:
                return status, body
            if throttled == THROTTLE_RETRIES or retry_after is None or retry_after > THROTTLE_MAX_WAIT:
                raise_for(status, body, what, retry_after=retry_after)
                raise AssertionError("raise_for raises for every 429")
            await self._sleep(retry_after)
        raise AssertionError("unreachable")

    async def _request_once(
        self, method: str, path: str, headers: dict[str, str] | None, kwargs: dict[str, Any], decode: bool = True
    ) -> tuple[int, Any, float | None]:
        for attempt in (1, 2):
            merged = {**self._headers(), **(headers or {})}
            async with self._open().request(method, path.lstrip("/"), headers=merged, **kwargs) as response:
                if response.status == 401 and attempt == 1 and self._relogin is not None:
                    self._info = self._relogin()  # a rotated service-account token
                    continue
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
                raw = await read_capped(response, BODY_LIMIT)
                if raw is None:
                    raise KubeError(
                        f"the Kubernetes API answered {method} {path.split('?')[0]} with more than "
                        f"{size_text(BODY_LIMIT)} (HTTP {response.status})",
                        response.status,
                    )
                if not decode and 200 <= response.status < 300:
                    return response.status, None, retry_after
                try:
                    return response.status, json.loads(raw) if raw else None, retry_after
                except ValueError:
                    return response.status, {"message": clip(raw.decode(errors="replace"), 200)}, retry_after
        raise AssertionError("unreachable")

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        what = f"reading Secret {namespace}/{name}"
        status, body = await self.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}", what=what)
        if status == 404:
            raise SecretNotFoundError(f"Secret {namespace}/{name} not found: create it or fix the reference")
        if status == 403:
            raise KubeError(
                f"the operator may not read Secret {namespace}/{name}: grant it 'get' on secrets in {namespace}",
                status,
            )
        raise_for(status, body, what)
        data = (body or {}).get("data") or {}
        if key not in data:
            keys = ", ".join(sorted(data)) or "none"
            raise SecretNotFoundError(f"Secret {namespace}/{name} has no key {key!r} (keys: {keys})")
        try:
            return base64.b64decode(data[key], validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError; their texts would quote the bytes
            raise SecretNotFoundError(
                f"key {key} of Secret {namespace}/{name} is not UTF-8 text: store it as text "
                "(base64 in data is decoded once)"
            ) from None

    async def create_token(
        self, namespace: str, name: str, audiences: Sequence[str], seconds: int
    ) -> tuple[str, datetime.datetime | None]:
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": list(audiences), "expirationSeconds": int(seconds)},
        }
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"
        what = f"requesting a token for service account {namespace}/{name}"
        status, body = await self.request("POST", path, json=request, what=what)
        if status == 404:
            raise CredentialsError(f"service account {namespace}/{name} not found: create it or fix serviceAccount")
        if status == 403:
            raise CredentialsError(
                f"the operator may not request tokens for service account {namespace}/{name}: grant 'create' "
                "on serviceaccounts/token",
                reason=Reason.TOKEN_REQUEST_FORBIDDEN,
            )
        raise_for(status, body, what)
        token = body["status"]["token"]
        expiry = body["status"].get("expirationTimestamp")
        when = datetime.datetime.fromisoformat(expiry.replace("Z", "+00:00")) if expiry else None
        return token, when

    async def patch_status(
        self, name: str, status: dict[str, Any], uid: str | None = None, *,
        kind: KindDefinition = VAULT_CONNECTION, namespace: str | None = None,
    ) -> bool:
        """Replace the whole status; False when the object is gone (or, with ``uid``, replaced).

        A JSON patch "add" on /status replaces it: a merge patch would keep keys the new status no longer
        has (``authStatus.details`` of a previous auth method, fields of an older operator version).
        With ``uid``, a "test" of /metadata/uid goes first: a runtime of a deleted object must never write
        over the status of a new object that took its name. ``kind`` and ``namespace`` name the object.
        """
        path = kind.path(name, namespace)
        operations: list[dict[str, Any]] = [{"op": "add", "path": "/status", "value": status}]
        if uid:
            operations.insert(0, {"op": "test", "path": "/metadata/uid", "value": uid})
        what = f"patching the status of {kind.kind} {f'{namespace}/' if namespace else ''}{name}"
        code, body = await self.request(
            "PATCH", f"{path}/status", json=operations, headers={"Content-Type": "application/json-patch+json"},
            what=what, decode=False,
        )
        if code == 404:
            return False
        if uid and code in (409, 422) and await self._replaced(path, uid, kind.kind):
            return False  # a failed uid test: 422 from the API server (409 from some proxies)
        raise_for(code, body, what, rbac=f"'patch' on {kind.plural}/status")
        return True

    async def _replaced(self, path: str, uid: str, kind: str) -> bool:
        """Whether the object at ``path`` is gone or is another object than ``uid`` (a 422 may mean either)."""
        code, body = await self.request("GET", path, what=f"reading a {kind}")
        current = ((body or {}).get("metadata") or {}).get("uid") if isinstance(body, dict) else None
        return code == 404 or (code < 300 and current != uid)

    async def post_event(self, involved: dict[str, Any], kind: str, reason: str, message: str, namespace: str) -> None:
        """Post one event; ``message`` arrives masked and clipped (core/events.py does both, once)."""
        now = rfc3339(self._clock())
        # kubectl's form (name.<hex nanoseconds>), plus random bits for concurrent replicas. The wall clock
        # on purpose: this is for uniqueness, not a time anyone reads, and a test's clock may stand still.
        unique = f"{time.time_ns():x}{random.getrandbits(24):06x}"
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            # An explicit name: generateName is not served by every API (nor by the test emulator).
            "metadata": {
                "name": f"{involved.get('name', 'vault-access-operator')}.{unique}",
                "namespace": namespace,
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": "vault-access-operator"},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": None,
            "count": 1,
            "reportingComponent": "vault-access-operator",
        }
        what = f"posting an event in namespace {namespace}"
        code, body = await self.request("POST", f"/api/v1/namespaces/{namespace}/events", json=event, what=what,
                                        decode=False)
        raise_for(code, body, what, rbac=f"'create' on events in {namespace}")


class ObjectStatus:
    """The status sink of one object of ``kind``: its writes carry the object's uid (see patch_status)."""

    def __init__(self, kube: KubeClient, uid: Callable[[], str | None], kind: KindDefinition = VAULT_CONNECTION,
                 namespace: str | None = None) -> None:
        self._kube, self._uid, self._kind, self._namespace = kube, uid, kind, namespace

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        return await self._kube.patch_status(name, status, uid=self._uid(), kind=self._kind,
                                             namespace=self._namespace)
