"""A minimal Vault (health, login, lookup, revoke) on many loopback ports at once, in the test's event loop.

Each port is a distinct Vault address to the operator; ``hold_revocations`` makes revoke-self hang until
released, so a test can keep a deleted connection's cleanup running while a new one starts.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp.web


class FakeVault:
    def __init__(self, ports: int = 1) -> None:
        self._ports = ports
        self._runner: aiohttp.web.AppRunner | None = None
        self.addresses: list[str] = []
        self.revocations_open = asyncio.Event()
        self.revocations_open.set()
        self.requests: list[tuple[str, str]] = []
        self._tokens = itertools.count(1)

    async def __aenter__(self) -> FakeVault:
        app = aiohttp.web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = aiohttp.web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for _ in range(self._ports):
            site = aiohttp.web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.addresses.append(f"http://127.0.0.1:{port}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.revocations_open.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        path = request.path
        self.requests.append((request.method, path))
        if path == "/v1/sys/health":
            return _json({"initialized": True, "sealed": False, "version": "1.0.0-fake"})
        if path.endswith("/login"):
            number = next(self._tokens)
            return _json({"auth": {"client_token": f"hvs.fake-token-{number:06d}", "accessor": f"acc-{number}",
                                   "lease_duration": 3600, "renewable": True}})
        if path == "/v1/auth/token/lookup-self":
            return _json({"data": {"ttl": 3600}})
        if path == "/v1/auth/token/revoke-self":
            await self.revocations_open.wait()
            return aiohttp.web.Response(status=204)
        return _json({"errors": [f"no handler for {path}"]}, status=404)


def _json(body: Any, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.json_response(body, status=status)
