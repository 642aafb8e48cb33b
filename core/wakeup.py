"""A request, made from outside a sleeping task, to cut its sleep short; requests made meanwhile merge into one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Wakeup:
    def __init__(self) -> None:
        self._requested = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def pending(self) -> bool:
        return self._requested

    def request(self) -> bool:
        """Ask the sleeper to wake; False when a request is pending already (this one merges into it)."""
        if self._requested:
            return False
        self._requested = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return True

    def cancel(self) -> None:
        """Drop a pending request (what it was about is settled)."""
        self._requested = False

    async def sleep(self, sleeper: Callable[[], Awaitable[None]]) -> bool:
        """Run ``sleeper()`` unless a request is pending or comes first; True when woken (the request is taken).

        The sleeper runs as its own task, so an injected sleep (a test's fake clock) works unchanged,
        and whatever it raises is raised here.
        """
        if not self._requested:
            self._waiter = asyncio.get_running_loop().create_future()
            sleeping = asyncio.ensure_future(sleeper())
            try:
                await asyncio.wait((sleeping, self._waiter), return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._waiter = None
                if not sleeping.done():
                    sleeping.cancel()
            if sleeping.done() and not sleeping.cancelled():
                sleeping.result()
        requested, self._requested = self._requested, False
        return requested
