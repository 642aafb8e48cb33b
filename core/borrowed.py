"""A Vault client bound to a VaultConnection, not to a token: each call uses the token it holds then.

Got from :meth:`connections.ConnectionHandle.client`. Same calls and errors as :class:`vault_api.VaultAPI`,
without the ``token`` argument; plus :class:`~errors.ConnectionNotReadyError` when the connection is not
Active at the moment of the call.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import VaultPermissionDeniedError
from .vault_api import VaultAPI

if TYPE_CHECKING:
    from .connections import ConnectionHandle

T = TypeVar("T")


class BorrowedClient:
    def __init__(self, handle: ConnectionHandle, namespace: str | None = None) -> None:
        self.handle = handle
        self.namespace = namespace

    @property
    def connection(self) -> str:
        return self.handle.name

    async def read(self, path: str) -> dict[str, Any] | None:
        return await self._call(lambda vault, token: vault.read(path, token=token))

    async def write(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any] | None:
        return await self._call(lambda vault, token: vault.write(path, data, token=token))

    async def delete(self, path: str) -> None:
        await self._call(lambda vault, token: vault.delete(path, token=token))

    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        return await self._call(lambda vault, token: vault.request(method, path, token=token, json=json, params=params))

    async def list(self, path: str) -> builtins.list[str]:
        return await self._call(lambda vault, token: vault.list(path, token=token))

    async def _call(self, call: Callable[[VaultAPI, str], Awaitable[T]]) -> T:
        session, generation = self.handle.borrow()
        try:
            return await session.borrow(call, self.namespace)
        except VaultPermissionDeniedError:
            if self.handle.token_generation == generation:
                self.handle.report_token_rejected(generation)  # checked by the runtime: revoked means re-login
                raise
        # A re-login replaced the token while this call was on its way: once more, with the new token.
        session, generation = self.handle.borrow()
        try:
            return await session.borrow(call, self.namespace)
        except VaultPermissionDeniedError:
            self.handle.report_token_rejected(generation)
            raise
