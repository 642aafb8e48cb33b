"""The controller of the access kinds: the objects it keeps, and one sync pass of an object.

Generic for every access kind: a :class:`KindAdapter` does the kind's pass; the controller keeps the objects
(core/access/tracked.py), borrows their connection (never a token), runs a pass when an object, its connection or
what it depends on changes (core/access/dependency_graph.py), or when its alarm rings (resync with jitter, retries
with backoff, the end of a hold: core/access/pass_scheduler.py), and reports the outcome: status written only when
it changed, an event on every transition (core/access/pass_report.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import prometheus_client

from ..access_metrics import AccessMetrics
from ..clock import Clock
from ..connection_handle import ConnectionChange
from ..connections import ConnectionRegistry
from ..events import EventEmitter, EventPoster
from ..kinds import KindDefinition
from ..kube import KubeClient
from ..redact import REDACTOR
from .connection_lookup import ConnectionLookup
from .dependants import DependantCounter
from .dependency_graph import DependencyGraph, seen_since
from .kind_adapter import KindAdapter as KindAdapter  # re-exported: its home until session 12
from .object_deletion import ObjectDeletion
from .outcome import Outcome
from .pass_report import PassReporter, holding, unreported
from .pass_scheduler import RECENT_WRITE_SHARE, PassScheduler
from .settings import AccessSettings
from .status_writer import StatusWriter, written_within
from .tracked import Key, Tracked, essence

log = logging.getLogger(__name__)


#: The outcome of a pass not run: wait for a change, report nothing.
_HELD = Outcome("Pending", (False, "ConnectionReleased", ""), "wait")


class AccessController:
    def __init__(self, connections: ConnectionRegistry, kube: KubeClient, post: EventPoster,
                 settings: AccessSettings, clock: Clock, rng: random.Random | None = None,
                 metrics: AccessMetrics | None = None) -> None:
        self.connections, self.settings = connections, settings
        self.metrics = metrics or AccessMetrics(prometheus_client.CollectorRegistry())
        self._reporter = PassReporter(StatusWriter(kube, clock), post, self._wake_dependants)
        self.status = self._reporter.status
        self._rng = rng or random.Random()
        self._objects: dict[Key, Tracked] = {}
        self._graph = DependencyGraph()
        self._unsubscribe = connections.subscribe(self._connection_changed)
        #: Connections this replica let go of (paused, or stopping) but that still exist: their objects wait,
        #: writing nothing; the replica that serves the connection now writes their status.
        self.released: set[str] = set()
        self.dependants = DependantCounter(connections)  # each connection's dependants, on its status
        self._lookup = ConnectionLookup(kube)
        self._schedule = PassScheduler(self._objects, connections, settings, self._rng, self._pass, clock=clock)
        self._deletion = ObjectDeletion(connections, kube, self.dependants, self._reporter, self.metrics, settings,
                                        self._rng)

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
            self._schedule.begin(key, tracked, raw)
            # A dependant held for this object's first report (a role created with its policies) waits for that
            # report, its deletion or the hold's end: a pass now would find it unreported and hold again. One
            # that reported (it says "does not exist") looks now, and every one does if this shows a status.
            self._wake_dependants(key, held_too=bool((raw.get("status") or {}).get("phase")))
            return
        self._follow(key, tracked, raw)
        if essence(raw) != tracked.seen:
            self._schedule.wake(key, tracked)

    async def forget(self, kind: KindDefinition, raw: dict[str, Any]) -> None:
        key = self.key(kind, raw)
        self.dependants.set(key, None)
        self.metrics.forget(key)
        tracked = self._objects.pop(key, None)
        if tracked is not None:
            self._graph.index(key, tracked.connection, None)
            self._schedule.disarm(key, tracked)
        self._graph.depend(key, ())
        self._wake_dependants(key)
        if tracked is not None and tracked.task is not None:
            tracked.task.cancel()
            await asyncio.gather(tracked.task, return_exceptions=True)

    async def close(self) -> None:
        self._unsubscribe()
        self.dependants.close()
        tasks = self._schedule.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._objects.clear()
        self._graph.clear_index()

    def _follow(self, key: Key, tracked: Tracked, raw: dict[str, Any]) -> None:
        """``tracked`` is ``raw`` now (its connectionRef may have changed: the index follows)."""
        old, tracked.raw = tracked.connection, raw
        self._graph.index(key, old, tracked.connection)

    def view(self, key: Key) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An object as this controller knows it: (its last body, the status last written), None if unknown."""
        tracked = self._objects.get(key)
        if tracked is None:
            return None
        raw, written = tracked.raw, tracked.status
        return raw, written if written is not None else (raw.get("status") or {})

    def view_for_role(self, key: Key) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """As :meth:`view`, with the body cut to what a role reads of a policy (its deletion mark): its status is
        decoded, not its whole body (a role's three fields cost a policy's full body decoded each pass)."""
        tracked = self._objects.get(key)
        if tracked is None:
            return None
        deleting = tracked.deletion_timestamp()
        return {"metadata": {"deletionTimestamp": deleting} if deleting else {}}, tracked.shown_status()

    def _wake_dependants(self, key: Key, held_too: bool = True) -> None:
        for dependant in self._graph.dependants(key):
            if (tracked := self._objects.get(dependant)) is not None and (held_too or tracked.held is None):
                self._schedule.wake(dependant, tracked)

    def _connection_changed(self, change: ConnectionChange) -> None:
        # Turning Active, a new token (a re-login inside Active: active is True again), going away, or leaving
        # Active: the dependants' passes say so at once and, once Active, sync (those waiting in a backoff too).
        if change.active or change.removed or change.phase != "Active":
            state = (change.phase, change.active, change.reason, change.generation)
            for key in self._graph.of_connection(change.name):
                tracked = self._objects.get(key)
                if tracked is not None and (change.removed or tracked.saw != state):
                    self._schedule.wake(key, tracked)

    async def _pass(self, key: Key, tracked: Tracked, drift_check: bool) -> Outcome:
        adapter = tracked.adapter
        raw = tracked.for_pass()
        tracked.seen = essence(raw)  # from the pass's own copy: the body is decoded once per pass, not twice
        ref = tracked.connection
        if ref in self.released:
            return _HELD
        handle = self.connections.get(ref) if ref else None
        tracked.saw = None if handle is None else (handle.phase, handle.active, handle.reason, handle.token_generation)
        if drift_check and written_within(raw.get("status"), self.status.clock(),
                                          self.settings.resync_seconds * RECENT_WRITE_SHARE):
            drift_check = False  # just written and read back: the check is done (the next one an interval on; the
            # scheduler sets none this close to a write, pass_scheduler.py: here for a write after it was set)
        started, since = time.perf_counter(), time.monotonic()
        try:
            outcome = await adapter.run_pass(raw, handle, drift_check)
        except Exception as error:  # a bug: keep the object scheduled, say so on the object
            log.exception("%s %s: sync pass failed", key[0], "/".join(p for p in key[1:] if p))
            outcome = Outcome("Error", (False, "InternalError", f"internal error: {type(error).__name__}"), "retry")
        if ref in self.released:  # released while the pass ran: what it saw is not news, the next leader owns it
            return _HELD
        self.metrics.pass_done(key, outcome, time.perf_counter() - started)
        if handle is None and ref and outcome.then == "wait" and not outcome.hold and unreported(tracked, raw):
            # Not shown by the registry yet: the connection's watch event may trail this object's (a start, or
            # both applied together). Hold it then, rather than say "does not exist"; a typo is reported at once.
            outcome.hold = await self._lookup.exists(ref)
        tracked.held = holding(tracked, raw, outcome, self.settings.connection_grace_seconds)
        if outcome.depends_on or self._graph.depends(key):
            self._graph.depend(key, outcome.depends_on)
            if any(seen_since(self._objects.get(d), since, tracked.held is not None) for d in outcome.depends_on):
                # One was first seen while the pass ran (read from the API server, or its appearance left this
                # held object alone): those wake-ups came before this pass's result. A held role waited its whole
                # grace; one that reports "does not exist" would say so until the policy reports.
                tracked.woken = True  # this pass's task runs it again
        if tracked.held is not None:
            return outcome
        try:
            await self._reporter.report(key, tracked, raw, outcome)
        except Exception as error:  # the API server may be down: the next pass reports again
            log.warning("%s %s: not reported: %s", key[0], key[2], REDACTOR(str(error)))
        return outcome

    async def delete(self, adapter: KindAdapter, raw: dict[str, Any], retry: int) -> float | None:
        """Undo the object in Vault before its finalizer goes: None when done, else seconds until the next try."""
        await self.forget(adapter.kind, raw)
        return await self._deletion.run(adapter, raw, self.key(adapter.kind, raw), retry)

    def events(self, kind: KindDefinition, raw: dict[str, Any]) -> EventEmitter:
        return self._reporter.events(kind, raw)
