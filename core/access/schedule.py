"""Alarms for many access objects on few timers of the event loop: the objects due at one instant share one timer.

Nearly every tracked object waits all the time for its next drift check, and those fall due on a grid
(``AccessSettings.on_grid``: 150 instants per interval). A task per object waiting on a timeout cost about 2.7 KB
each (the task, its coroutines, the timeout and its timer handle; on uvloop a libuv timer too); an entry here costs
one slot in a dict of the objects due at that instant, and each instant one loop timer. All of an instant's objects
are told on one tick of the loop, so their checks go out together (bench/README.md, "Session 8: drift checks").
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item", bound=Hashable)


class Alarms(Generic[Item]):
    """``ring(item, when)`` is called at the loop's time ``when`` for each item set for it and not cancelled.

    The caller remembers each item's instant (to cancel it); an item is set for one instant at a time.
    """

    __slots__ = ("_due", "_ring", "_timers")

    def __init__(self, ring: Callable[[Item, float], None]) -> None:
        self._ring = ring
        self._due: dict[float, dict[Item, None]] = {}  # instant -> its items, in the order they were set
        self._timers: dict[float, asyncio.TimerHandle] = {}

    def set(self, item: Item, when: float) -> None:
        """Ring for ``item`` at ``when`` (the running loop's clock; a time already past rings on the next tick)."""
        items = self._due.get(when)
        if items is None:
            items = self._due[when] = {}
            # A context of its own: by default the timer would copy the caller's (a kopf handler's, with its
            # cause: the event's body, patch and logger) and keep it until it fires.
            self._timers[when] = asyncio.get_running_loop().call_at(when, self._fire, when,
                                                                    context=contextvars.Context())
        items[item] = None

    def cancel(self, item: Item, when: float) -> None:
        """No ring for ``item`` at ``when`` (nothing if it was not set for then)."""
        items = self._due.get(when)
        if items is None or item not in items:
            return
        del items[item]
        if not items:
            del self._due[when]
            self._timers.pop(when).cancel()

    def close(self) -> None:
        """Cancel every alarm."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._due.clear()

    @property
    def instants(self) -> list[float]:
        """The instants an alarm is set for (one loop timer each)."""
        return list(self._due)

    def __len__(self) -> int:
        """How many items are waiting for their alarm."""
        return sum(len(items) for items in self._due.values())

    def _fire(self, when: float) -> None:
        del self._timers[when]
        for item in self._due.pop(when):
            self._ring(item, when)
