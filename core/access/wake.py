"""The wake-up of one access object's worker: an ``asyncio.Event`` for a single waiter, in 2 slots.

Every tracked object has one, and its worker waits on it nearly all the time. ``asyncio.Event`` keeps a ``deque`` of
waiters and an instance dict: about 1.1 KB each, 11 MB of a process's memory at 10,000 objects, for a queue that
never holds more than one waiter (the object's own worker). This keeps that one waiter's future, or none.
"""

from __future__ import annotations

import asyncio


class Wake:
    __slots__ = ("_set", "_waiter")

    def __init__(self) -> None:
        self._set = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        """Wake the waiter (now, or the next one to wait until ``clear``)."""
        if self._set:
            return
        self._set = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> None:
        """Return once set. One waiter at a time: the object's worker (a second one would be a bug)."""
        if self._set:
            return
        if self._waiter is not None:
            raise RuntimeError("Wake has a waiter already: each access object has one worker")
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
