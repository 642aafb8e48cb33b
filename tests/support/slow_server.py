"""A small HTTP server that answers one GET path late, for tests of timeouts against a server that cannot be told to
answer slowly (Vault, the Kubernetes API emulator)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


@contextlib.asynccontextmanager
async def answering_after(seconds: float, path: str, body: dict[str, Any]) -> AsyncIterator[str]:
    """Serve ``GET path`` with ``body`` as JSON, each answer ``seconds`` after its request; yields the base URL."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(seconds)
        return web.json_response(body)

    app = web.Application()
    app.router.add_get(path, answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
