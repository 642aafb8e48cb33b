"""Runs the sync passes of access objects: a pass when an object, its connection or what it depends on changes,
or when its alarm rings; a task only while a pass runs.

Generic for every access kind: a :class:`KindAdapter` does the kind's pass; this module keeps the objects,
borrows their connection (never a token), schedules passes (resync with jitter, retries with backoff, or a
wait for a change), writes status only when it changed, and posts an event on every transition. Between passes
an object holds no task, only its alarm (core/access/schedule.py): a task per object, waiting all the time, cost
about 2.7 KB each (bench/README.md, "Session 10: a timer per object").
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import random
import time
from typing import Any, Protocol

import prometheus_client

from ..access_metrics import AccessMetrics
from ..clock import Clock
from ..conditions import status_body
from ..connection_handle import ConnectionChange, ConnectionHandle
from ..connections import ConnectionRegistry
from ..events import EventEmitter, EventPoster
from ..kinds import KindDefinition
from ..kube import KubeClient
from ..redact import REDACTOR
from .connection_lookup import ConnectionLookup
from .dependants import DependantCounter, connection_gone
from .outcome import ANNOTATION_PREFIX, Outcome
from .policy_delete import Deletion
from .schedule import Alarms
from .settings import AccessSettings
from .status_writer import StatusWriter, next_status, previous_status, written_within
from .tracked import Tracked

log = logging.getLogger(__name__)
Key = tuple[str, str | None, str]  # kind, namespace, name


class KindAdapter(Protocol):
    kind: KindDefinition

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome: ...

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion: ...


#: What kopf keeps under our annotation prefix (its diff-base, its marker, its progress and wake-up records; the
#: progress keys are handler ids, the only names there with a dot): no pass reads them.
_KOPF_STATE = frozenset({"kopf-managed", "last-handled-configuration", "touch-dummy"})


def _read_by_passes(key: str) -> bool:
    prefix, _, name = key.partition("/")
    return prefix + "/" == ANNOTATION_PREFIX and name not in _KOPF_STATE and "." not in name


def _unreported(tracked: Tracked, raw: dict[str, Any]) -> bool:
    """The object shows no status yet (nor did this replica write one): only then may a pass stay unreported."""
    return not tracked.wrote_status and not (raw.get("status") or {}).get("phase")


def _essence(raw: dict[str, Any]) -> tuple[Any, ...]:
    """What a pass depends on besides spec and status: a change to anything else (kopf writing its own state onto
    the object, another tool's annotations) wakes no pass."""
    meta = raw.get("metadata") or {}
    # A tuple: none (nearly always) is the empty tuple, shared, where a list would be kept per object.
    annotations = tuple(sorted(item for item in (meta.get("annotations") or {}).items() if _read_by_passes(item[0])))
    return meta.get("uid"), meta.get("generation"), annotations


def _identity(status: Any) -> tuple[Any, ...]:
    return getattr(status, "phase", None), getattr(status, "vault_name", None)


#: A drift check falling due within this share of the drift interval after the object's last write is skipped
#: (it counts as done, the next one is an interval on): the write was read back then. An object's first check
#: falls at a random point of the first interval, so without this the objects of an initial sync that lasts a
#: minute read Vault again within it by the thousand (0.2 reads per object at 10,000 objects); with it, a hand
#: change in Vault right after a write is seen within 1.5 intervals instead of one.
RECENT_WRITE_SHARE = 0.5


#: The end of the wait for the connection after a start is moved up to the next multiple of this (seconds): the
#: thousands of objects a start lists within a second or two then share a few timers, not one each.
SETTLE_TICK = 0.1


#: The outcome of a pass not run: wait for a change, report nothing.
_HELD = Outcome("Pending", (False, "ConnectionReleased", ""), "wait")


class AccessController:
    def __init__(self, connections: ConnectionRegistry, kube: KubeClient, post: EventPoster,
                 settings: AccessSettings, clock: Clock, rng: random.Random | None = None,
                 metrics: AccessMetrics | None = None) -> None:
        self.connections, self.settings = connections, settings
        self.metrics = metrics or AccessMetrics(prometheus_client.CollectorRegistry())
        self.status = StatusWriter(kube, clock)
        self._post = post
        self._rng = rng or random.Random()
        self._objects: dict[Key, Tracked] = {}
        #: Each connection's objects: a connection's change wakes its own, not a scan of every object (at a
        #: restart, 1,000 connections changing thrice each over 10,000 objects made 30 million checks).
        self._by_connection: dict[str, set[Key]] = {}
        self._dependants: dict[Key, set[Key]] = {}  # an object -> the objects whose last pass read it (roles)
        self._depends_on: dict[Key, tuple[Key, ...]] = {}  # the reverse, to update the above
        self._unsubscribe = connections.subscribe(self._connection_changed)
        #: Connections this replica let go of (paused, or stopping) but that still exist: their objects wait,
        #: writing nothing; the replica that serves the connection now writes their status.
        self.released: set[str] = set()
        self.dependants = DependantCounter(connections)  # each connection's dependants, on its status
        self._lookup = ConnectionLookup(kube)
        self._alarms: Alarms[Key] = Alarms(self._ring)

    @staticmethod
    def key(kind: KindDefinition, raw: dict[str, Any]) -> Key:
        meta = raw.get("metadata") or {}
        return kind.kind, meta.get("namespace") if kind.scope == "Namespaced" else None, str(meta.get("name"))

    def observe(self, adapter: KindAdapter, raw: dict[str, Any]) -> None:
        """The object as last seen (an add or a change); a pass follows if what it depends on changed."""
        key = self.key(adapter.kind, raw)
        if (raw.get("metadata") or {}).get("deletionTimestamp"):
            if key in self._objects and not (self._objects[key].raw.get("metadata") or {}).get("deletionTimestamp"):
                self._follow(key, self._objects[key], raw)
                self._wake_dependants(key)  # a role granting it says so
            return  # the delete handler owns it now
        ref = (raw.get("spec") or {}).get("connectionRef")
        self.dependants.set(key, ref if isinstance(ref, str) else None)
        tracked = self._objects.get(key)
        if tracked is None:
            tracked = self._objects[key] = Tracked(adapter, {})
            self._follow(key, tracked, raw)
            self._begin(key, tracked)
            self._wake_dependants(key)
            return
        self._follow(key, tracked, raw)
        if _essence(raw) != tracked.seen:
            self._wake(key, tracked)

    async def forget(self, kind: KindDefinition, raw: dict[str, Any]) -> None:
        key = self.key(kind, raw)
        self.dependants.set(key, None)
        self.metrics.forget(key)
        tracked = self._objects.pop(key, None)
        if tracked is not None:
            self._index(key, tracked.connection, None)
            self._disarm(key, tracked)
        self._depend(key, ())
        self._wake_dependants(key)
        if tracked is not None and tracked.task is not None:
            tracked.task.cancel()
            await asyncio.gather(tracked.task, return_exceptions=True)

    async def close(self) -> None:
        self._unsubscribe()
        self.dependants.close()
        self._alarms.close()
        tasks = [t.task for t in self._objects.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._objects.clear()
        self._by_connection.clear()

    def _follow(self, key: Key, tracked: Tracked, raw: dict[str, Any]) -> None:
        """``tracked`` is ``raw`` now (its connectionRef may have changed: the index follows)."""
        old, tracked.raw = tracked.connection, raw
        self._index(key, old, tracked.connection)

    def _index(self, key: Key, old: str | None, new: str | None) -> None:
        if old == new:
            return
        if old is not None and (keys := self._by_connection.get(old)) is not None:
            keys.discard(key)
            if not keys:
                del self._by_connection[old]
        if new is not None:
            self._by_connection.setdefault(new, set()).add(key)

    def view(self, key: Key) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An object as this controller knows it: (its last body, the status last written), None if unknown."""
        tracked = self._objects.get(key)
        if tracked is None:
            return None
        raw, written = tracked.raw, tracked.status
        return raw, written if written is not None else (raw.get("status") or {})

    def _depend(self, key: Key, on: tuple[Key, ...]) -> None:
        for old in self._depends_on.pop(key, ()):
            self._dependants.get(old, set()).discard(key)
        if on:
            self._depends_on[key] = on
            for target in on:
                self._dependants.setdefault(target, set()).add(key)

    def _wake_dependants(self, key: Key) -> None:
        for dependant in self._dependants.get(key, ()):
            if (tracked := self._objects.get(dependant)) is not None:
                self._wake(dependant, tracked)

    def _connection_changed(self, change: ConnectionChange) -> None:
        # Turning Active, a new token (a re-login inside Active: active is True again), going away, or leaving
        # Active: the dependants' passes say so at once and, once Active, sync (those waiting in a backoff too).
        if change.active or change.removed or change.phase != "Active":
            state = (change.phase, change.active, change.reason, change.generation)
            for key in self._by_connection.get(change.name, ()):
                tracked = self._objects.get(key)
                if tracked is not None and (change.removed or tracked.saw != state):
                    self._wake(key, tracked)

    # Scheduling. An object runs a pass at once when woken (none runs), or again right after the one running (woken
    # meanwhile); when a pass ends, its alarm is set for the next one it asks for (a drift check, a retry, the end
    # of a hold), and the task ends. An alarm that rings starts a drift check.

    def _begin(self, key: Key, tracked: Tracked) -> None:
        """A new object's first pass: at once, or, for one that was synced (a start, a takeover), once its connection
        is Active, within the grace: rather than write "connection not ready" onto it and "synced" back a moment
        later (woken meanwhile, it looks again: see :meth:`_wake`)."""
        if (tracked.raw.get("status") or {}).get("phase") != "Active":
            self._start(key, tracked, drift_check=False)
            return
        tracked.settling, tracked.seen = True, _essence(tracked.raw)
        deadline = asyncio.get_running_loop().time() + self.settings.connection_grace_seconds
        self._arm(key, tracked, math.ceil(deadline / SETTLE_TICK) * SETTLE_TICK)
        self._wake(key, tracked)  # looks on the next tick: the connection may be Active already

    def _wake(self, key: Key, tracked: Tracked) -> None:
        """Something ``tracked``'s pass depends on changed: a pass now, or again when the running one ends."""
        if tracked.task is not None:
            tracked.woken = True
        elif tracked.settling:
            if not tracked.woken:  # one look per tick, however many wake-ups
                tracked.woken = True
                asyncio.get_running_loop().call_soon(self._look, key, tracked, context=contextvars.Context())
        else:
            self._start(key, tracked, drift_check=False)

    def _look(self, key: Key, tracked: Tracked) -> None:
        """A settling object, woken: its first pass now if its connection is Active or the object was edited."""
        if self._objects.get(key) is not tracked or not tracked.settling:
            return  # forgotten, or its pass started meanwhile
        tracked.woken = False
        handle = self.connections.get(tracked.connection) if tracked.connection else None
        if (handle is not None and handle.active) or _essence(tracked.raw) != tracked.seen:
            self._start(key, tracked, drift_check=False)

    def _ring(self, key: Key, when: float) -> None:
        """``key``'s alarm: a drift check (also after a retry's backoff or a hold); a first pass after settling."""
        tracked = self._objects.get(key)
        if tracked is None or tracked.alarm != when or tracked.task is not None:
            return  # forgotten, or set again since
        tracked.alarm = None
        self._start(key, tracked, drift_check=not tracked.settling)

    def _start(self, key: Key, tracked: Tracked, drift_check: bool) -> None:
        self._disarm(key, tracked)
        tracked.settling = False
        # In a context of its own: a copy of the kopf handler's context (the default when started from a handler)
        # would keep that handler's cause (the event's body, patch and logger) alive as long as the pass.
        tracked.task = asyncio.create_task(self._run(key, tracked, drift_check), name=f"sync {key}",
                                           context=contextvars.Context())

    def _arm(self, key: Key, tracked: Tracked, when: float) -> None:
        self._disarm(key, tracked)
        tracked.alarm = when
        self._alarms.set(key, when)

    def _disarm(self, key: Key, tracked: Tracked) -> None:
        if tracked.alarm is not None:
            self._alarms.cancel(key, tracked.alarm)
            tracked.alarm = None

    async def _run(self, key: Key, tracked: Tracked, drift_check: bool) -> None:
        """Passes of ``tracked`` until one ends unwoken; then its alarm is set for the next one it asks for."""
        loop = asyncio.get_running_loop()
        while True:
            tracked.woken = False
            try:
                outcome = await self._pass(key, tracked, drift_check)
            except Exception as error:  # a bug around the pass (its own errors are caught in it): retried, not stuck
                log.exception("%s %s: sync pass failed", key[0], "/".join(p for p in key[1:] if p))
                outcome = Outcome("Error", (False, "InternalError", f"internal error: {type(error).__name__}"),
                                  "retry")
            until: float | None = None
            if outcome.then == "retry":
                tracked.failures += 1
                until = loop.time() + self.settings.retry_delay(tracked.failures, self._rng)
            else:
                tracked.failures = 0
                if outcome.then == "resync":
                    until = tracked.due = self.settings.drift_check_due(tracked.due, loop.time(), drift_check,
                                                                        self._rng)
            if tracked.held is not None:  # woken when what it waits for reports, else it reports after all
                until = loop.time() + tracked.held
            del outcome  # kept by nothing once the pass is done (its fields and conditions: about 0.7 KB)
            if not tracked.woken:
                break
            drift_check = False
        tracked.task = None
        if until is not None:
            self._arm(key, tracked, until)

    async def _pass(self, key: Key, tracked: Tracked, drift_check: bool) -> Outcome:
        adapter = tracked.adapter
        raw = tracked.for_pass()
        tracked.seen = _essence(raw)  # from the pass's own copy: the body is decoded once per pass, not twice
        ref = tracked.connection
        if ref in self.released:
            return _HELD
        handle = self.connections.get(ref) if ref else None
        tracked.saw = None if handle is None else (handle.phase, handle.active, handle.reason, handle.token_generation)
        if drift_check and written_within(raw.get("status"), self.status.clock(),
                                          self.settings.resync_seconds * RECENT_WRITE_SHARE):
            drift_check = False  # just written and read back: the check is done (the next one an interval on)
        started, since = time.perf_counter(), time.monotonic()
        try:
            outcome = await adapter.run_pass(raw, handle, drift_check)
        except Exception as error:  # a bug: keep the object scheduled, say so on the object
            log.exception("%s %s: sync pass failed", key[0], "/".join(p for p in key[1:] if p))
            outcome = Outcome("Error", (False, "InternalError", f"internal error: {type(error).__name__}"), "retry")
        if ref in self.released:  # released while the pass ran: what it saw is not news, the next leader owns it
            return _HELD
        self.metrics.pass_done(key, outcome, time.perf_counter() - started)
        if outcome.depends_on or key in self._depends_on:
            self._depend(key, outcome.depends_on)
            if any(self._reported_since(d, since) for d in outcome.depends_on):
                # One it read from the API server (not seen by the watch yet) was seen, and reported, while the pass
                # ran: those wake-ups came before this object depended on it. A held role waited its whole grace.
                tracked.woken = True  # this pass's task runs it again
        if handle is None and ref and outcome.then == "wait" and not outcome.hold and _unreported(tracked, raw):
            # Not shown by the registry yet: the connection's watch event may trail this object's (a start, or
            # both applied together). Hold it then, rather than say "does not exist"; a typo is reported at once.
            outcome.hold = await self._lookup.exists(ref)
        tracked.held = self._holding(tracked, raw, outcome)
        if tracked.held is not None:
            return outcome
        try:
            await self._report(tracked, raw, outcome)
        except Exception as error:  # the API server may be down: the next pass reports again
            log.warning("%s %s: not reported: %s", key[0], key[2], REDACTOR(str(error)))
        return outcome

    def _reported_since(self, key: Key, since: float) -> bool:
        """Whether ``key`` was first seen after ``since`` (time.monotonic) and shows a status already; one without a
        status yet wakes its dependants when it reports, so a pass that read it meanwhile needs no second look."""
        seen = self._objects.get(key)
        if seen is None or seen.since < since:
            return False
        status = seen.status  # decoded on each access (Tracked keeps bytes): once here
        return bool((status if status is not None else seen.raw.get("status") or {}).get("phase"))

    def _holding(self, tracked: Tracked, raw: dict[str, Any], outcome: Outcome) -> float | None:
        """Seconds an outcome may stay unreported: one the pass marked ``hold`` on an object that shows no status
        yet (a role created with its policies, whose first passes are about to come), within the grace; None to
        report it now. A role would otherwise show "not resolved" and post a warning, then "synced" a moment later."""
        if not outcome.hold or not _unreported(tracked, raw):
            return None
        left = tracked.since + self.settings.connection_grace_seconds - time.monotonic()
        return left if left > 0 else None

    async def delete(self, adapter: KindAdapter, raw: dict[str, Any], retry: int) -> float | None:
        """Undo the object in Vault before its finalizer goes: None when done, else seconds until the next try."""
        await self.forget(adapter.kind, raw)
        ref = (raw.get("spec") or {}).get("connectionRef")
        key = self.key(adapter.kind, raw)
        self.dependants.set(key, ref if isinstance(ref, str) else None)  # its delete still needs the connection
        handle = self.connections.get(ref) if isinstance(ref, str) else None
        if handle is None and isinstance(ref, str) and await connection_gone(self.status.kube, ref):
            # Never a finalizer that cannot go: with the connection deleted, Vault is left as it is.
            result = Deletion(True, "ConnectionGone", f"VaultConnection {ref} is deleted: nothing was deleted in "
                              "Vault; the Vault object this object managed, if any, stays", warning=True)
        else:
            result = await adapter.run_delete(raw, handle)
        events = self.events(adapter.kind, raw)
        if result.done:
            self.dependants.set(key, None)
            await events.post("Warning" if result.warning else "Normal", result.reason, result.message)
            return None
        self.metrics.deletion_failed(self.key(adapter.kind, raw), result.reason)
        outcome = Outcome("Deleting", (False, result.reason, result.message), "retry")
        previous = previous_status(adapter.kind, raw.get("status"))
        status = next_status(adapter.kind, previous, outcome, (raw.get("metadata") or {}).get("generation"),
                             self.status.clock())
        if await self.status.write(adapter.kind, raw, status, previous) or retry == 0:
            await events.post("Warning", result.reason, result.message)
        return self.settings.retry_delay(retry + 1, self._rng)

    def events(self, kind: KindDefinition, raw: dict[str, Any]) -> EventEmitter:
        meta = raw.get("metadata") or {}
        ref = kind.ref(meta.get("name", ""), meta.get("namespace"), meta.get("uid"))
        return EventEmitter(lambda: ref, self._post, REDACTOR)

    async def _report(self, tracked: Tracked, raw: dict[str, Any], outcome: Outcome) -> None:
        kind = tracked.adapter.kind
        previous = previous_status(kind, raw.get("status"))
        generation = (raw.get("metadata") or {}).get("generation")
        status = next_status(kind, previous, outcome, generation, self.status.clock())
        changed = await self.status.write(kind, raw, status, previous)
        if changed:
            tracked.status = status_body(status)
            if _identity(previous) != _identity(status):  # what a role resolves a policy reference by
                self._wake_dependants(self.key(kind, raw))
        if outcome.event is not None and (changed or outcome.wrote):
            kind_of, reason, message = outcome.event
            await self.events(kind, raw).post(kind_of, reason, message, masked=outcome.event_ours)
        if outcome.drop_annotation:
            await self.status.drop_annotation(kind, raw, outcome.drop_annotation)
