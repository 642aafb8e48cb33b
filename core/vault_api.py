"""Read, write, list and delete on any Vault path, with Vault's refusals mapped to clear error types.

What a controller managing policies, roles or KV secrets calls, usually through a connection's
borrowed client (:mod:`connections`), which supplies the connection's current token at call time.

======  ===========================================  =====================================
HTTP    error                                        reason
======  ===========================================  =====================================
400     :class:`~errors.VaultRequestError`           ``VaultRequestRejected``
401/403 :class:`~errors.VaultPermissionDeniedError`  ``VaultPermissionDenied``
404     :class:`~errors.VaultNotFoundError`          ``VaultNotFound`` (``read``: None; ``list``: [];
                                                     ``delete``: done)
5xx     :class:`~errors.VaultUnavailableError`       ``VaultUnreachable``/``VaultSealed``/...
======  ===========================================  =====================================

Messages name the Vault address, the path and Vault's own text (clipped, masked), never a token
or what was written.
"""

from __future__ import annotations

import builtins
import copy
import urllib.parse
from typing import Any

from .clip import clip, clip_value
from .errors import (
    ConfigError,
    VaultAccessError,
    VaultNotFoundError,
    VaultPermissionDeniedError,
    VaultRequestError,
)
from .redact import REDACTOR
from .vault_transport import Answer, VaultTransport

PATH_LIMIT = 256  # of a path echoed in a message


class VaultAPI(VaultTransport):
    """A Vault endpoint's generic API; the token is passed to each call, never stored."""

    def in_namespace(self, namespace: str | None) -> VaultAPI:
        """The same endpoint and pool, sending ``X-Vault-Namespace: namespace`` (Vault Enterprise, OpenBao)."""
        other = copy.copy(self)
        other.namespace = namespace.strip("/") if namespace else None
        return other

    async def read(self, path: str, *, token: str) -> dict[str, Any] | None:
        """The ``data`` object at ``path`` ({} when Vault sent none); None when nothing is there (404)."""
        answer = await self._checked("GET", path, token, "read", missing_ok=True)
        return None if answer is None else _data(answer) or {}

    async def write(self, path: str, data: dict[str, Any] | None = None, *, token: str) -> dict[str, Any] | None:
        """PUT ``data`` (JSON) to ``path``; the answer's ``data`` object, None when Vault sent none (204)."""
        answer = await self._checked("PUT", path, token, "write", json=dict(data or {}))
        return _data(answer) if answer is not None else None

    async def delete(self, path: str, *, token: str) -> None:
        """DELETE ``path``; nothing there (404) counts as deleted."""
        await self._checked("DELETE", path, token, "delete", missing_ok=True)

    async def request(
        self, method: str, path: str, *, token: str | None, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        """Any other call: the whole JSON answer (None when empty), refusals mapped as for read/write."""
        kwargs: dict[str, Any] = {"params": params} if params else {}
        if json is not None:
            kwargs["json"] = json
        answer = await self._checked(method.upper(), path, token, method.lower(), **kwargs)
        body = answer.body if answer is not None else None
        return body if isinstance(body, dict) else None

    async def list(self, path: str, *, token: str) -> builtins.list[str]:
        """The keys under ``path`` (names ending in ``/`` are folders); [] when there are none (404).

        Sent as ``GET ?list=true``, which Vault treats as LIST and every proxy passes.
        """
        answer = await self._checked("GET", path, token, "list", params={"list": "true"}, missing_ok=True)
        keys = (_data(answer) or {}).get("keys") if answer is not None else None
        return [str(key) for key in keys] if isinstance(keys, builtins.list) else []

    async def _checked(
        self, method: str, path: str, token: str | None, action: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> Answer | None:
        clean = vault_path(path)
        answer = await self.send(method, "/v1/" + urllib.parse.quote(clean, safe="/"), token=token, **kwargs)
        if answer.ok:
            return answer
        if answer.status == 404 and missing_ok:
            return None
        raise self.refusal(answer, action, clean)

    def refusal(self, answer: Answer, action: str, path: str) -> VaultAccessError:
        """The error for a non-2xx answer to ``action`` (read, write, list, delete) of ``path``."""
        text = REDACTOR(answer.errors_text())  # clipped first: errors_text never cuts a word in two
        where = clip(path, PATH_LIMIT) + (f" in namespace {clip(self.namespace, PATH_LIMIT)}" if self.namespace else "")
        facts: dict[str, Any] = {"status": answer.status, "path": path, "vault_text": text}
        said = f"(HTTP {answer.status}): {text}"
        if answer.status in (401, 403):
            return VaultPermissionDeniedError(
                f"Vault at {self.address} denied {action} of {where} {said}: the token's policies must grant "
                f"{_CAPABILITY.get(action, repr(action))} on that path, or the token was revoked",
                **facts,
            )
        if answer.status == 404:
            return VaultNotFoundError(
                f"Vault at {self.address} has nothing at {where} {said}: check the path, and that a "
                "secrets engine or auth method is mounted there",
                **facts,
            )
        if answer.status == 400:
            return VaultRequestError(f"Vault at {self.address} rejected {action} of {where} {said}", **facts)
        return self.unavailable(answer, f"{action} of {where}")


_CAPABILITY = {"write": "'create' or 'update'", "read": "'read'", "list": "'list'", "delete": "'delete'"}


def vault_path(path: str) -> str:
    """``path`` without surrounding slashes; refuses empty, ``.`` and ``..`` segments (they would leave it)."""
    clean = path.strip("/")
    if not clean or any(segment in ("", ".", "..") for segment in clean.split("/")):
        raise ConfigError(f"{clip_value(path, 80)} is not a Vault path: it has an empty, '.' or '..' segment")
    return clean


def _data(answer: Answer) -> dict[str, Any] | None:
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    return data if isinstance(data, dict) else None
