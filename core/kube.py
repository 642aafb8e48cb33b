"""A small async Kubernetes API client for what kopf does not do for us.

Reads Secrets, requests service-account tokens (TokenRequest API), patches VaultConnection
status from the per-connection tasks, and posts events. It reuses the credentials kopf
logged in with (a :class:`kopf.ConnectionInfo`), so in-cluster and kubeconfig both work.
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import ssl
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import kopf

from .bodies import MIB, read_capped, size_text
from .clip import clip
from .errors import CredentialsError, Reason, SecretNotFoundError, VaultAccessError

GROUP, VERSION, PLURAL = "vault.platform.io", "v1alpha1", "vaultconnections"
BODY_LIMIT = 4 * MIB  # a Secret holds at most 1 MiB of data; its base64 and metadata fit in 4


class KubeError(VaultAccessError):
    """The Kubernetes API answered with an error."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _ssl_context(info: kopf.ConnectionInfo) -> ssl.SSLContext | bool:
    if info.insecure:
        return False
    context = ssl.create_default_context(
        cafile=str(info.ca_path) if info.ca_path else None,
        cadata=info.ca_data.decode() if isinstance(info.ca_data, bytes) else info.ca_data,
    )
    cert, key = info.certificate_path, info.private_key_path
    if info.certificate_data and info.private_key_data:
        # ssl only loads client certificates from files.
        cert, key = _temp_file(info.certificate_data), _temp_file(info.private_key_data)
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    return context


def _temp_file(data: str | bytes) -> str:
    with tempfile.NamedTemporaryFile(delete=False, prefix="vao-kube-", suffix=".pem") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
        return handle.name


class KubeClient:
    """Kubernetes API calls made outside kopf handlers. ``relogin`` refreshes credentials on 401."""

    def __init__(self, info: kopf.ConnectionInfo, relogin: Callable[[], kopf.ConnectionInfo] | None = None) -> None:
        self._info = info
        self._relogin = relogin
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        info = self._info
        if info.token:
            return {"Authorization": f"{info.scheme or 'Bearer'} {info.token}"}
        if info.username and info.password:
            basic = base64.b64encode(f"{info.username}:{info.password}".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        return {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=_ssl_context(self._info), limit=32)
            self._session = aiohttp.ClientSession(
                base_url=self._info.server.rstrip("/") + "/",
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        for attempt in (1, 2):
            merged = {**self._headers(), **(headers or {})}
            async with self._open().request(method, path.lstrip("/"), headers=merged, **kwargs) as response:
                if response.status == 401 and attempt == 1 and self._relogin is not None:
                    self._info = self._relogin()  # a rotated service-account token
                    continue
                raw = await read_capped(response, BODY_LIMIT)
                if raw is None:
                    raise KubeError(
                        f"the Kubernetes API answered {method} {path.split('?')[0]} with more than "
                        f"{size_text(BODY_LIMIT)} (HTTP {response.status})",
                        response.status,
                    )
                try:
                    return response.status, json.loads(raw) if raw else None
                except ValueError:
                    return response.status, {"message": clip(raw.decode(errors="replace"), 200)}
        raise AssertionError("unreachable")

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        status, body = await self.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
        if status == 404:
            raise SecretNotFoundError(f"Secret {namespace}/{name} not found: create it or fix the reference")
        if status == 403:
            raise SecretNotFoundError(
                f"the operator may not read Secret {namespace}/{name}: grant it 'get' on secrets in {namespace}"
            )
        _raise_for(status, body, f"reading Secret {namespace}/{name}")
        data = (body or {}).get("data") or {}
        if key not in data:
            keys = ", ".join(sorted(data)) or "none"
            raise SecretNotFoundError(f"Secret {namespace}/{name} has no key {key!r} (keys: {keys})")
        return base64.b64decode(data[key]).decode()

    async def create_token(
        self, namespace: str, name: str, audiences: Sequence[str], seconds: int
    ) -> tuple[str, datetime.datetime | None]:
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": list(audiences), "expirationSeconds": int(seconds)},
        }
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"
        status, body = await self.request("POST", path, json=request)
        if status == 404:
            raise CredentialsError(f"service account {namespace}/{name} not found: create it or fix serviceAccount")
        if status == 403:
            raise CredentialsError(
                f"the operator may not request tokens for service account {namespace}/{name}: grant 'create' "
                "on serviceaccounts/token",
                reason=Reason.TOKEN_REQUEST_FORBIDDEN,
            )
        _raise_for(status, body, f"requesting a token for service account {namespace}/{name}")
        token = body["status"]["token"]
        expiry = body["status"].get("expirationTimestamp")
        when = datetime.datetime.fromisoformat(expiry.replace("Z", "+00:00")) if expiry else None
        return token, when

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        """Replace the whole status; False when the object is gone.

        A JSON patch "add" on /status replaces it: a merge patch would keep keys the new status no longer
        has (``authStatus.details`` of a previous auth method, fields of an older operator version).
        """
        path = f"/apis/{GROUP}/{VERSION}/{PLURAL}/{name}/status"
        code, body = await self.request(
            "PATCH", path, json=[{"op": "add", "path": "/status", "value": status}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        if code == 404:
            return False
        _raise_for(code, body, f"patching the status of VaultConnection {name}")
        return True

    async def post_event(self, involved: dict[str, Any], kind: str, reason: str, message: str, namespace: str) -> None:
        now = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
        # kubectl's form (name.<hex nanoseconds>), plus random bits for concurrent replicas.
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
            "message": clip(message, 1024),
            "type": kind,
            "source": {"component": "vault-access-operator"},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": None,
            "count": 1,
            "reportingComponent": "vault-access-operator",
        }
        code, body = await self.request("POST", f"/api/v1/namespaces/{namespace}/events", json=event)
        _raise_for(code, body, "posting an event")


def _raise_for(status: int, body: Any, what: str) -> None:
    if status < 300:
        return
    message = (body or {}).get("message") if isinstance(body, dict) else None
    details = clip(str(message)) if message else "no details"
    raise KubeError(f"Kubernetes API error {status} while {what}: {details}", status)
