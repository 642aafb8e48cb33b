"""Run a coroutine to completion from synchronous test code, even inside a running event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; from a thread that already runs a loop, in a helper thread instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # asyncio.run refuses to nest: give the coroutine a loop of its own in another thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="vao-run-sync") as pool:
        return pool.submit(asyncio.run, coro).result()
