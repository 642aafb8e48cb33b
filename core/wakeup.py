"""A request, made from outside a sleeping task, to cut its sleep short; requests made meanwhile merge into one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Wakeup:
    """The sleeper runs in the sleeping task itself, and a request cancels it there (as ``asyncio.timeout``
    does): no task and no ``asyncio.wait`` per sleep. A connection sleeps once per health check, and the
    helper task with its wait was about a twentieth of a steady operator's CPU per check (bench/README.md,
    session 8)."""

    def __init__(self) -> None:
        self._requested = False
        self._sleeping: asyncio.Task[object] | None = None  # the task inside sleep(), while its sleeper runs
        self._cut_short = False  # this Wakeup cancelled the sleeper (not whoever else cancels the task)

    @property
    def pending(self) -> bool:
        return self._requested

    def request(self) -> bool:
        """Ask the sleeper to wake; False when a request is pending already (this one merges into it)."""
        if self._requested:
            return False
        self._requested = True
        if self._sleeping is not None and not self._cut_short:
            self._cut_short = True
            self._sleeping.cancel()
        return True

    def cancel(self) -> None:
        """Drop a pending request (what it was about is settled)."""
        self._requested = False

    async def sleep(self, sleeper: Callable[[], Awaitable[None]]) -> bool:
        """Run ``sleeper()`` unless a request is pending or comes first; True when woken (the request is taken).

        Whatever the sleeper raises is raised here; so is the task's own cancellation, whether it comes
        before, during or after a request.
        """
        if not self._requested:
            task = asyncio.current_task()
            assert task is not None
            self._sleeping, self._cut_short = task, False
            try:
                await sleeper()
            except asyncio.CancelledError:
                if not self._cut_short or task.uncancel() > 0:
                    raise  # cancelled by someone else (too)
            else:
                if self._cut_short:  # the sleeper swallowed the cancellation: take the request back all the same
                    task.uncancel()
            finally:
                self._sleeping = None
        requested, self._requested = self._requested, False
        return requested
