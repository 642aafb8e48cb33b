"""A VaultConnection knows its dependants: the access objects (policies, roles, KV secrets) that use it.

Two views. :class:`DependantCounter` keeps the counts the access controller feeds it (objects it tracks,
deleting ones included: their delete still needs the connection) and puts them on the connection's status
when they change, and only then. :func:`dependants_in_api` asks the API server, for the one decision that
must not rest on what this replica has seen so far: may a deleted connection go now.

Deleting a connection waits while dependants exist (its runtime keeps serving them, so their own deletes
finish), unless the connection carries ``vault.platform.io/orphan-dependants: "true"``: then it goes at
once and their Vault objects stay; a dependant deleted later finds the connection gone and lets go of its
finalizer, leaving its Vault object in place (controller.py).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from ..connections import ConnectionRegistry
from ..errors import VaultAccessError
from ..kinds import KINDS, VAULT_CONNECTION, KindDefinition
from ..kube import KubeClient
from .connection_status import publish
from .discovery_models import DependantsStatus
from .outcome import ANNOTATION_PREFIX

ORPHAN_DEPENDANTS = ANNOTATION_PREFIX + "orphan-dependants"
Key = tuple[str, str | None, str]  # kind, namespace, name
#: Seconds a connection's counts must stay unchanged before they are written to its status: objects listed or
#: applied together (an operator restart lists them one by one) make one status write, not one each.
QUIET_SECONDS = 2.0
#: After a start, a connection's status keeps the counts it showed this long unless they settle elsewhere
#: first: the start lists the objects one by one, and a connection's may be spread over the whole listing.
SHOWN_GRACE_SECONDS = 60.0
#: Writes (status, finalizer) to different connections at a time: one after another, 1,000 took 30 s.
WRITES_IN_FLIGHT = 32
#: Which status count each access kind adds to; kinds not listed (none yet) are not counted.
CATEGORY = {"VaultPolicy": "policies", "VaultClusterPolicy": "policies", "VaultRole": "roles",
            "VaultClusterRole": "roles", "VaultKVSecret": "kv_secrets"}


def _status(counts: Counter[str]) -> DependantsStatus:
    return DependantsStatus(policies=counts["policies"], roles=counts["roles"], kv_secrets=counts["kv_secrets"])


def _shows(shown: DependantsStatus | None, counts: Counter[str]) -> bool:
    """Whether a connection's status.dependants shows ``counts`` (its message aside)."""
    return shown is not None and (shown.policies, shown.roles, shown.kv_secrets) == (
        counts["policies"], counts["roles"], counts["kv_secrets"])


class DependantCounter:
    def __init__(self, connections: ConnectionRegistry, quiet: float = QUIET_SECONDS) -> None:
        self.connections, self.quiet = connections, quiet
        self._users: dict[Key, str] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._dirty: set[str] = set()
        self._flushing: asyncio.Task[None] | None = None
        self._unwritten: dict[str, float] = {}  # connection -> when its counts last changed (loop time)
        self._held_until: dict[str, float] = {}  # connection -> loop time before which its shown counts stay
        self._writing: asyncio.Task[None] | None = None
        self._told: dict[str, bool] = {}  # "has dependants", as last told to on_change
        self._shown: dict[str, DependantsStatus] = {}  # status.dependants of each connection as last seen
        #: Called when a connection gets its first dependant or loses its last (dependants_gate.py: the finalizer).
        self.on_change: Callable[[str, bool], Awaitable[None]] | None = None
        self._unsubscribe = connections.subscribe(lambda change: self._reapply(change.name))

    def set(self, key: Key, connection: str | None) -> None:
        """``key`` uses ``connection`` now (None: nothing, it is gone)."""
        category = CATEGORY.get(key[0])
        if category is None or self._users.get(key) == connection:
            return
        old = self._users.pop(key, None)
        if old is not None:
            self._counts[old][category] -= 1
            self._dirty.add(old)
        if connection is not None:
            self._users[key] = connection
            self._counts.setdefault(connection, Counter())[category] += 1
            self._dirty.add(connection)
        self._schedule()

    def _schedule(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush(), name="dependants",
                                                                    context=contextvars.Context())

    def of(self, connection: str) -> DependantsStatus:
        return _status(self._counts.get(connection, Counter()))

    def all(self) -> dict[str, DependantsStatus]:
        return {name: _status(counts) for name, counts in dict(self._counts).items()}  # metrics: another thread

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # one pass for a burst of changes (the operator's start-up sees many)
        loop = asyncio.get_running_loop()
        while self._dirty:
            names, told = list(self._dirty), []
            self._dirty.clear()
            for name in names:
                slot = self.connections.slot(name)
                counts = self._counts.get(name, Counter())
                # Shown once it settles (an operator start lists one by one): a write already waiting is put off (it
                # compares the counts when due); else the counts are compared with the status's, as plain numbers
                # (building the status models here, at each object a start lists, was most of this loop's CPU).
                if slot is not None and (name in self._unwritten or not _shows(slot.obs.dependants, counts)):
                    self._unwritten[name] = loop.time()
                    self._start_writing(loop)
                wanted = sum(counts.values()) > 0
                # At once (a delete waits), once the connection's body was seen: at a start its watch event may come
                # after the counts, and seen() then puts the finalizer right without reading the connection back.
                if self.on_change is not None and name in self._told and self._told[name] != wanted:
                    self._told[name] = wanted
                    told.append((name, wanted))
            for start in range(0, len(told), WRITES_IN_FLIGHT):
                if self.on_change is not None:
                    await asyncio.gather(*(self.on_change(*change) for change in told[start:start + WRITES_IN_FLIGHT]))

    def _start_writing(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._writing is None or self._writing.done():
            # Kept once done, so not in the context of the kopf handler that called: that would keep its cause.
            self._writing = loop.create_task(self._write_quietly(), name="dependants-status",
                                             context=contextvars.Context())

    def _due(self, name: str, changed: float) -> float:
        return max(changed + self.quiet, self._held_until.get(name, 0.0))

    async def _write_quietly(self) -> None:
        """Put each connection's counts on its status once they stayed unchanged for ``quiet`` seconds (its
        health checks meanwhile write nothing: its observation changes only here)."""
        loop = asyncio.get_running_loop()
        while self._unwritten:
            now = loop.time()
            due = [name for name, at in self._unwritten.items() if self._due(name, at) <= now]
            if not due:
                await asyncio.sleep(min(self._due(n, at) for n, at in self._unwritten.items()) - now + 0.01)
                continue
            for name in due:
                del self._unwritten[name]
                self._held_until.pop(name, None)
            for start in range(0, len(due), WRITES_IN_FLIGHT):  # after a restart, 1,000 connections at once
                await asyncio.gather(*(self._write(name) for name in due[start:start + WRITES_IN_FLIGHT]))

    async def _write(self, name: str) -> None:
        slot = self.connections.slot(name)
        held = slot.obs.dependants if slot is not None else None
        counted = self.of(name).model_copy(update={"message": held.message if held else None})
        if slot is not None and held != counted:
            slot.obs.dependants = counted
            await publish(self.connections, name)

    def seen(self, name: str, finalizer: bool, shown: dict[str, Any] | None) -> None:
        """A watch event showed the connection's body: whether it holds our finalizer (what on_change would make
        it) and its status.dependants. An operator start sees every body first: it reads no connection back, and
        a new runtime starts from the counts its status shows, so its first write leaves them as they were."""
        self._told[name] = finalizer
        if shown is not None:
            try:
                self._shown[name] = DependantsStatus.model_validate(shown)
            except ValueError:  # written by something else: count afresh
                self._shown.pop(name, None)
        counts = self._counts.get(name)
        if counts is not None and finalizer != (sum(counts.values()) > 0):  # not as wanted: the flush puts it right
            self._dirty.add(name)
            self._schedule()

    def _reapply(self, name: str) -> None:
        # A new runtime (an operator start, a spec edit, a connection created after its dependants) starts from
        # an empty observation: give it the counts its status shows, else those known (the finalizer follows
        # the body: seen).
        slot = self.connections.slot(name)
        if slot is None or slot.obs.dependants is not None:
            return
        if name in self._shown:  # what its status shows already; the counts replace it once they settle
            slot.obs.dependants = self._shown[name].model_copy(update={"message": None})
            loop = asyncio.get_running_loop()
            self._held_until[name] = loop.time() + SHOWN_GRACE_SECONDS
            self._unwritten[name] = loop.time()  # compared at the end of the grace even if nothing is counted
            self._start_writing(loop)
        elif name in self._counts:
            slot.obs.dependants = self.of(name)
        if name in self._counts:
            self._dirty.add(name)  # the finalizer, and counts that differ from those shown
            self._schedule()

    def close(self) -> None:
        self._unsubscribe()
        for task in (self._flushing, self._writing):
            if task is not None:
                task.cancel()


def _access_kinds() -> list[KindDefinition]:
    return [kind for kind in KINDS if kind.kind in CATEGORY]


async def dependants_in_api(kube: KubeClient, connection: str) -> tuple[DependantsStatus, list[str]]:
    """The objects whose spec.connectionRef is ``connection``, as the API server has them (one LIST per kind)."""
    counts: Counter[str] = Counter()
    names: list[str] = []
    for kind in _access_kinds():
        code, body = await kube.request("GET", f"/apis/{kind.group}/{kind.version}/{kind.plural}",
                                        what=f"listing {kind.plural}")
        if code >= 300:
            raise RuntimeError(f"listing {kind.plural} failed (HTTP {code}): the operator needs 'list' on it")
        for item in (body or {}).get("items") or []:
            if (item.get("spec") or {}).get("connectionRef") == connection:
                counts[CATEGORY[kind.kind]] += 1
                meta = item.get("metadata") or {}
                where = f"{meta['namespace']}/" if meta.get("namespace") else ""
                names.append(f"{kind.kind} {where}{meta.get('name')}")
    return _status(counts), sorted(names)


async def connection_gone(kube: KubeClient, connection: str) -> bool:
    """True only when the API server says the VaultConnection does not exist (not: this replica lacks it)."""
    try:
        code, _ = await kube.request("GET", VAULT_CONNECTION.path(connection),
                                     what=f"reading VaultConnection {connection}", decode=False)  # only 404 counts
    except VaultAccessError:  # the API server is unreachable: assume it exists, the delete is retried
        return False
    return code == 404
