"""When an access object's pass runs: at once when woken (none runs), or again right after the one running (woken
meanwhile); when a pass ends, its alarm is set for the next one it asks for (a drift check, a retry, the end of a
hold), and the task ends. An alarm that rings starts a drift check.

Between passes an object holds no task, only its alarm (core/access/schedule.py): a task per object, waiting all
the time, cost about 2.7 KB each (bench/README.md, "Session 10: a timer per object").
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import logging
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

from ..clock import Clock
from ..connections import ConnectionRegistry
from ..errors import Reason
from .outcome import Outcome
from .schedule import Alarms
from .settings import AccessSettings
from .status_writer import written_within
from .tracked import Key, Tracked, essence

log = logging.getLogger(__name__)

#: The end of the wait for the connection after a start is moved up to the next multiple of this (seconds): the
#: thousands of objects a start lists within a second or two then share a few timers, not one each.
SETTLE_TICK = 0.1

#: A drift check falling due within this share of the drift interval after the object's last Vault write is an
#: interval on (the write was read back then): set so (:meth:`PassScheduler.next_check`), else skipped by the pass
#: (controller.py). An object's first check falls at a random point of the first interval, so without this the
#: objects of an initial sync that lasts a minute read Vault again within it by the thousand (0.2 reads per object
#: at 10,000 objects); with it, a hand change in Vault right after a write is seen within 1.5 intervals instead of
#: one.
RECENT_WRITE_SHARE = 0.5

#: One pass of an object: (its key, its record, whether it is a drift check) -> what the pass decided.
RunPass = Callable[[Key, Tracked, bool], Awaitable[Outcome]]


class PassScheduler:
    """Runs the passes of the objects in ``objects`` (shared with the controller, which adds and removes them)."""

    def __init__(self, objects: dict[Key, Tracked], connections: ConnectionRegistry, settings: AccessSettings,
                 rng: random.Random, run_pass: RunPass, clock: Clock | None = None) -> None:
        self._objects, self._connections, self._settings = objects, connections, settings
        self._rng, self._run_pass = rng, run_pass
        self._clock = clock  # the statuses' clock (lastSyncedAt); None: drift checks are set without regard to it
        self.alarms: Alarms[Key] = Alarms(self._ring)

    def begin(self, key: Key, tracked: Tracked, raw: dict[str, Any]) -> None:
        """A new object's first pass: at once, or, for one that was synced (a start, a takeover), once its connection
        is Active, within the grace: rather than write "connection not ready" onto it and "synced" back a moment
        later (woken meanwhile, it looks again: see :meth:`wake`). So does a new one whose connection is at its
        first login: its pass would be held for it (verdicts.py), a pass for nothing (a role created with its
        policy made two held passes, one for the login and one for the policy).

        ``raw`` is the body just kept in ``tracked`` (the watch event's): read here rather than ``tracked.raw``,
        which decodes the kept JSON on each access (twice per object on a start: 3% of a restart's CPU)."""
        shown = (raw.get("status") or {}).get("phase")
        if shown != "Active" and not (shown is None and self._first_login(tracked)):
            self.start(key, tracked, drift_check=False)
            return
        tracked.settling, tracked.seen = True, essence(raw)
        deadline = asyncio.get_running_loop().time() + self._settings.connection_grace_seconds
        self.arm(key, tracked, math.ceil(deadline / SETTLE_TICK) * SETTLE_TICK)
        self.wake(key, tracked)  # looks on the next tick: the connection may be Active already

    def wake(self, key: Key, tracked: Tracked) -> None:
        """Something ``tracked``'s pass depends on changed: a pass now, or again when the running one ends."""
        if tracked.task is not None:
            tracked.woken = True
        elif tracked.settling:
            if not tracked.woken:  # one look per tick, however many wake-ups
                tracked.woken = True
                asyncio.get_running_loop().call_soon(self._look, key, tracked, context=contextvars.Context())
        else:
            self.start(key, tracked, drift_check=False)

    def _look(self, key: Key, tracked: Tracked) -> None:
        """A settling object, woken: its first pass now if its connection is Active or the object was edited."""
        if self._objects.get(key) is not tracked or not tracked.settling:
            return  # forgotten, or its pass started meanwhile
        tracked.woken = False
        handle = self._connections.get(tracked.connection) if tracked.connection else None
        if handle is not None and handle.active:  # the common case on a start: the body is not decoded for it
            self.start(key, tracked, drift_check=False)
            return
        raw = tracked.raw
        if essence(raw) != tracked.seen or (
                not (raw.get("status") or {}).get("phase") and not self._first_login(tracked)):
            self.start(key, tracked, drift_check=False)  # a new one whose first login failed says so now

    def _first_login(self, tracked: Tracked) -> bool:
        """``tracked``'s connection is waiting for its first login (a new object's pass would be held for it)."""
        handle = self._connections.get(tracked.connection) if tracked.connection else None
        return handle is not None and handle.phase == "Pending" and handle.reason == Reason.PENDING

    def _ring(self, key: Key, when: float) -> None:
        """``key``'s alarm: a drift check (also after a retry's backoff or a hold); a first pass after settling."""
        tracked = self._objects.get(key)
        if tracked is None or tracked.alarm != when or tracked.task is not None:
            return  # forgotten, or set again since
        tracked.alarm = None
        self.start(key, tracked, drift_check=not tracked.settling)

    def start(self, key: Key, tracked: Tracked, drift_check: bool) -> None:
        self.disarm(key, tracked)
        tracked.settling = False
        # In a context of its own: a copy of the kopf handler's context (the default when started from a handler)
        # would keep that handler's cause (the event's body, patch and logger) alive as long as the pass.
        tracked.task = asyncio.create_task(self._run(key, tracked, drift_check), name=f"sync {key}",
                                           context=contextvars.Context())

    def arm(self, key: Key, tracked: Tracked, when: float) -> None:
        self.disarm(key, tracked)
        tracked.alarm = when
        self.alarms.set(key, when)

    def disarm(self, key: Key, tracked: Tracked) -> None:
        if tracked.alarm is not None:
            self.alarms.cancel(key, tracked.alarm)
            tracked.alarm = None

    async def _run(self, key: Key, tracked: Tracked, drift_check: bool) -> None:
        """Passes of ``tracked`` until one ends unwoken; then its alarm is set for the next one it asks for."""
        loop = asyncio.get_running_loop()
        while True:
            tracked.woken = False
            try:
                outcome = await self._run_pass(key, tracked, drift_check)
            except Exception as error:  # a bug around the pass (its own errors are caught in it): retried, not stuck
                log.exception("%s %s: sync pass failed", key[0], "/".join(p for p in key[1:] if p))
                outcome = Outcome("Error", (False, "InternalError", f"internal error: {type(error).__name__}"),
                                  "retry")
            until: float | None = None
            if outcome.then == "retry":
                tracked.failures += 1
                until = loop.time() + self._settings.retry_delay(tracked.failures, self._rng)
            else:
                tracked.failures = 0
                if outcome.then == "resync":
                    until = tracked.due = self.next_check(tracked, loop.time(), drift_check)
            if tracked.held is not None:  # woken when what it waits for reports, else it reports after all
                until = loop.time() + tracked.held
            del outcome  # kept by nothing once the pass is done (its fields and conditions: about 0.7 KB)
            if not tracked.woken:
                break
            drift_check = False
        tracked.task = None
        if until is not None:
            self.arm(key, tracked, until)

    def next_check(self, tracked: Tracked, now: float, checked: bool) -> float:
        """When ``tracked``'s next drift check is due (``now`` and the result on the loop's clock): as
        :meth:`AccessSettings.drift_check_due` gives it, an interval on if that falls within
        :data:`RECENT_WRITE_SHARE` of an interval after the last Vault write its status shows. The pass would skip
        that check, but it would run all the same: in a 20 s initial sync of 3,000 objects, about 80 roles and 80
        policies made a second pass for nothing (bench/README.md, session 12)."""
        settings = self._settings
        due = settings.drift_check_due(tracked.due, now, checked, self._rng)
        recent = settings.resync_seconds * RECENT_WRITE_SHARE
        if self._clock is not None and due - now < recent and written_within(
                tracked.shown_status(), self._clock() + datetime.timedelta(seconds=due - now), recent):
            due = settings.on_grid(due + settings.resync_delay(self._rng))
        return due

    def close(self) -> list[asyncio.Task[None]]:
        """Every alarm off and every running pass cancelled: the tasks, to be awaited."""
        self.alarms.close()
        tasks = [t.task for t in self._objects.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        return tasks
