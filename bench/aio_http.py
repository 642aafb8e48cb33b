"""The request code the asyncio bench clients share (bench.access_floor_client, bench.access_direct, bench.direct):
one kept-alive aiohttp session per server, every answer read to its end, and a fixed number of workers over one
shared list of work items.

aiohttp reads no proxy settings from the environment unless asked (``trust_env`` is False by default), so no
request pays for that lookup; the threaded clients turn it off in ``requests`` by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import aiohttp

Item = TypeVar("Item")


def session(base_url: str, headers: dict[str, str], connections: int) -> aiohttp.ClientSession:
    """A session on ``base_url`` keeping up to ``connections`` connections alive, sending ``headers`` always."""
    return aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=connections), headers=headers)


async def send(client: aiohttp.ClientSession, method: str, path: str, body: str | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request; its status and its whole answer (read, so the connection goes back to the pool)."""
    async with client.request(method, path, data=body, headers=headers) as response:
        return response.status, await response.read()


async def each(items: Iterable[Item], concurrency: int, work: Callable[[Item], Awaitable[None]]) -> None:
    """``work`` on every item, ``concurrency`` at a time: each worker takes the next item when it is done with
    one (one shared iterator), as a thread pool of that size would."""
    queue = iter(items)

    async def worker() -> None:
        for item in queue:
            await work(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
