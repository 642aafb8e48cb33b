"""The connection registry: how another controller uses a VaultConnection's token without holding it.

The :class:`~manager.ConnectionManager` owns one :class:`ConnectionRegistry` (``app.connections``)
and keeps it current as runtimes start and stop. A controller (VaultPolicy, VaultRole, ...) asks::

    handle = registry.get("vault-prod")        # None: no such connection on this replica
    if handle is None or not handle.active:
        ...                                    # DependencyReady False, from handle.phase/reason/message
    vault = handle.client()                    # keep it as long as you like: it holds no token
    await vault.write("sys/policies/acl/team-a", {"policy": hcl})

Every call of the borrowed client (:mod:`borrowed`) uses the token the connection holds at that
moment, so it stays right across renewals, re-logins and spec edits; a call while the connection
is not Active raises :class:`~errors.ConnectionNotReadyError`. ``await registry.wait_active(name)``
waits for Active. ``registry.subscribe(callback)`` tells of each change (phase, token, removal) as a
:class:`ConnectionChange`; callbacks run soon after, never inside the runtime's own step, and a
coroutine callback runs as its own task (a raising subscriber is logged and ignored). All of it is
used on the operator's event loop, where the runtimes run.

A 403 on a borrowed call makes the handle ask the runtime to look its token up at once
(:meth:`ConnectionHandle.report_token_rejected`): a revoked token means one new login; a valid one
(the policy simply does not allow the call) means none. Reports about a token already replaced,
and reports while a check is pending, are dropped, so ten refused calls cost one check.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .connection_handle import ConnectionChange, ConnectionHandle, Slot
from .status import Observation

if TYPE_CHECKING:
    from .runtime import ConnectionRuntime

__all__ = ["ConnectionChange", "ConnectionHandle", "ConnectionRegistry", "Subscriber"]
log = logging.getLogger(__name__)
Subscriber = Callable[[ConnectionChange], Any]  # may return an awaitable: it is run as a task


class ConnectionRegistry:
    def __init__(self) -> None:
        self._slots: dict[str, Slot] = {}
        self._subscribers: list[tuple[str | None, Subscriber]] = []
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._generations = itertools.count(1)  # registry-wide: a token of a re-created namesake differs too
        self._tasks: set[asyncio.Future[Any]] = set()

    def slot(self, name: str) -> Slot | None:
        return self._slots.get(name)

    def get(self, name: str) -> ConnectionHandle | None:
        return ConnectionHandle(self, name) if name in self._slots else None

    @property
    def names(self) -> list[str]:
        return sorted(self._slots)

    def subscribe(self, callback: Subscriber, name: str | None = None) -> Callable[[], None]:
        """Tell ``callback`` of changes (of connection ``name`` only, if given); returns the unsubscribe call."""
        entry = (name, callback)
        self._subscribers.append(entry)
        return lambda: self._subscribers.remove(entry) if entry in self._subscribers else None

    async def wait_active(self, name: str, timeout: float | None = None) -> ConnectionHandle:  # noqa: ASYNC109
        """The handle once ``name`` is Active (it may not exist yet).

        After ``timeout`` seconds: ConnectionNotReadyError saying what the connection is doing (phase,
        reason, message), which a controller can show as is, rather than a bare TimeoutError.
        """
        handle = ConnectionHandle(self, name)
        try:
            async with asyncio.timeout(timeout):
                while not handle.active:
                    waiter = asyncio.get_running_loop().create_future()
                    self._waiters.setdefault(name, set()).add(waiter)
                    try:
                        await waiter
                    finally:
                        self._forget_waiter(name, waiter)
        except TimeoutError:
            raise handle.not_ready(f"still not Active after {timeout:g}s") from None
        return handle

    def _forget_waiter(self, name: str, waiter: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(name, set())
        waiters.discard(waiter)
        if not waiters:
            self._waiters.pop(name, None)

    # --- what the manager and the runtime's hooks call -------------------------------------------

    def attach(self, name: str, obs: Observation, runtime: ConnectionRuntime | None) -> None:
        """``name`` is now served by ``runtime`` (or, for a spec with no runtime, only described by ``obs``)."""
        self._slots[name] = Slot(obs, runtime, next(self._generations))
        if runtime is not None:
            runtime.session.on_token = lambda: self._token_changed(name, runtime)
        self._changed(name)

    def detach(self, name: str, obs: Observation | None = None) -> None:
        """``name`` is no longer served here (deleted, released); only if it still shows ``obs``, when given."""
        slot = self._slots.get(name)
        if slot is None or (obs is not None and slot.obs is not obs):
            return
        del self._slots[name]
        self._tell(name, ConnectionChange(name, None, False, None, slot.generation, removed=True))

    def phase_changed(self, name: str) -> None:
        self._changed(name)

    def _token_changed(self, name: str, runtime: ConnectionRuntime) -> None:
        slot = self._slots.get(name)
        if slot is not None and slot.runtime is runtime:  # not a replaced runtime's late revocation
            slot.generation = next(self._generations)
            runtime.token_check.cancel()  # a check asked for about the previous token is moot
            self._changed(name)

    def _changed(self, name: str) -> None:
        slot, handle = self._slots.get(name), ConnectionHandle(self, name)
        if slot is None:
            return
        state = (slot.obs.phase, handle.active, slot.obs.reason, slot.generation)
        if state == slot.told:
            return
        slot.told = state
        if handle.active:
            for waiter in self._waiters.get(name, ()):
                if not waiter.done():
                    waiter.set_result(None)
        self._tell(name, ConnectionChange(name, *state))

    def _tell(self, name: str, change: ConnectionChange) -> None:
        for wanted, callback in list(self._subscribers):
            if wanted is None or wanted == name:
                try:
                    asyncio.get_running_loop().call_soon(self._deliver, callback, change)
                except RuntimeError:  # no event loop (a synchronous caller): deliver now
                    self._deliver(callback, change)

    def _deliver(self, callback: Subscriber, change: ConnectionChange) -> None:
        try:
            result = callback(change)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._finished)
        except Exception:
            log.exception("a VaultConnection subscriber failed on %s", change)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a VaultConnection subscriber failed", exc_info=task.exception())
