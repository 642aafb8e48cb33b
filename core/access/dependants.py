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
import contextlib
import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable

from ..connections import ConnectionRegistry
from ..errors import VaultAccessError
from ..kinds import KINDS, VAULT_CONNECTION, KindDefinition
from ..kube import KubeClient
from .connection_status import publish
from .discovery_models import DependantsStatus
from .outcome import ANNOTATION_PREFIX

ORPHAN_DEPENDANTS = ANNOTATION_PREFIX + "orphan-dependants"
Key = tuple[str, str | None, str]  # kind, namespace, name
#: A burst of counted objects costs the connection one status write per this interval, not one per object.
PUBLISH_INTERVAL_SECONDS = 1.0
#: Which status count each access kind adds to; kinds not listed (none yet) are not counted.
CATEGORY = {"VaultPolicy": "policies", "VaultClusterPolicy": "policies", "VaultRole": "roles",
            "VaultClusterRole": "roles", "VaultKVSecret": "kv_secrets"}


def _status(counts: Counter[str]) -> DependantsStatus:
    return DependantsStatus(policies=counts["policies"], roles=counts["roles"], kv_secrets=counts["kv_secrets"])


class DependantCounter:
    def __init__(self, connections: ConnectionRegistry) -> None:
        self.connections = connections
        self._users: dict[Key, str] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._dirty: set[str] = set()  # counts changed: the finalizer keeper may need telling
        self._unpublished: set[str] = set()  # counts changed: the connection's status may need writing
        self._published_at = float("-inf")
        self._changed = asyncio.Event()  # wakes a flush waiting for the next write: the keeper is told at once
        self._flushing: asyncio.Task[None] | None = None
        #: At most one status write per this many seconds while counts keep changing (a start-up or a burst of
        #: creations); the finalizer keeper is told at once.
        self.publish_interval = PUBLISH_INTERVAL_SECONDS
        self._told: dict[str, bool] = {}  # "has dependants", as last told to on_change
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
            self._unpublished.add(old)
        if connection is not None:
            self._users[key] = connection
            self._counts.setdefault(connection, Counter())[category] += 1
            self._dirty.add(connection)
            self._unpublished.add(connection)
        self._changed.set()
        self._schedule()

    def _schedule(self) -> None:
        if self._flushing is None or self._flushing.done():
            # Kept once done, so not in the context of the kopf handler that called: that would keep its cause.
            self._flushing = asyncio.get_running_loop().create_task(self._flush(), name="dependants",
                                                                    context=contextvars.Context())

    def of(self, connection: str) -> DependantsStatus:
        return _status(self._counts.get(connection, Counter()))

    def all(self) -> dict[str, DependantsStatus]:
        return {name: _status(counts) for name, counts in dict(self._counts).items()}  # metrics: another thread

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # the changes of this tick together
        while self._dirty or self._unpublished:
            while self._dirty:
                await self._tell(self._dirty.pop())
            wait = self._published_at + self.publish_interval - loop.time()
            if wait > 0:  # a start-up feeds thousands of objects over many ticks: one write per interval
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
                continue
            self._published_at = loop.time()
            names = list(self._unpublished)  # what changes during these writes waits for the next interval
            self._unpublished.clear()
            for name in names:
                await self._publish(name)

    async def _tell(self, name: str) -> None:
        wanted = self.of(name).total > 0
        if self.on_change is not None and self._told.get(name, False) != wanted:
            self._told[name] = wanted
            await self.on_change(name, wanted)

    async def _publish(self, name: str) -> None:
        slot = self.connections.slot(name)
        held = slot.obs.dependants if slot is not None else None
        counted = self.of(name).model_copy(update={"message": held.message if held else None})
        if slot is not None and held != counted:
            slot.obs.dependants = counted
            await publish(self.connections, name)

    def _reapply(self, name: str) -> None:
        # A new runtime (a spec edit, a connection created after its dependants) starts from an empty
        # observation: give it the counts again, and check the finalizer once more.
        slot = self.connections.slot(name)
        if slot is not None and slot.obs.dependants is None and name in self._counts:
            slot.obs.dependants = self.of(name)
            self._told.pop(name, None)
            self._dirty.add(name)
            self._unpublished.add(name)
            self._changed.set()
            self._schedule()

    def close(self) -> None:
        self._unsubscribe()
        if self._flushing is not None:
            self._flushing.cancel()


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
                                     what=f"reading VaultConnection {connection}")
    except VaultAccessError:  # the API server is unreachable: assume it exists, the delete is retried
        return False
    return code == 404
