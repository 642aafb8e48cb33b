"""A deleted VaultConnection waits for its dependants (core/access/dependants.py has the why).

How, without a kopf delete handler (which would cost every connection kopf's bookkeeping annotations):
while a connection has dependants it carries a second finalizer, ``vault.platform.io/dependants``, added when
its first dependant appears and removed when its last goes. When the connection is deleted, kopf stops its
daemon and drops its own finalizer; ours keeps the object, and the runtime keeps running (its token serves
the dependants' own deletes). A watch event of the deleted connection starts a loop here (also after an
operator restart, which starts no daemon for a deleted object) that counts the dependants at the API
server, says why it waits, and once none is left, or at once with ``orphan-dependants``, revokes the token
and removes the finalizer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from ..connections import ConnectionRegistry
from ..events import EventEmitter
from ..kinds import VAULT_CONNECTION
from ..kube import KubeClient
from ..manager import ConnectionManager
from ..redact import REDACTOR
from .connection_status import publish
from .dependants import ORPHAN_DEPENDANTS, dependants_in_api
from .discovery_models import DependantsStatus
from .outcome import ANNOTATION_PREFIX

log = logging.getLogger(__name__)
DEPENDANTS_FINALIZER = ANNOTATION_PREFIX + "dependants"
LISTED = 10  # objects named in the event and the status message


class GateApp(Protocol):
    """What the gate needs of the operator (core/app.py OperatorApp)."""

    connections: ConnectionRegistry
    manager: ConnectionManager

    @property
    def kube(self) -> KubeClient: ...

    async def post_event(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None: ...

    async def delete(self, name: str, uid: str | None = None) -> None: ...


class DeletionGate:
    def __init__(self, app: GateApp) -> None:
        self.app = app
        self._loops: dict[str, asyncio.Task[None]] = {}

    async def set_finalizer(self, name: str, present: bool) -> None:
        """Add (or remove) our finalizer on the VaultConnection; nothing when it already is so."""
        path = VAULT_CONNECTION.path(name)
        try:
            code, body = await self.app.kube.request("GET", path, what=f"reading VaultConnection {name}")
            if code >= 300:
                return
            meta = body.get("metadata") or {}
            finalizers = list(meta.get("finalizers") or [])
            if (DEPENDANTS_FINALIZER in finalizers) == present or (present and meta.get("deletionTimestamp")):
                return  # as wanted already; a deleted object takes no new finalizer
            operations: list[dict[str, Any]] = [{"op": "test", "path": "/metadata/resourceVersion",
                                                 "value": meta.get("resourceVersion")}]
            if present:
                operations.append({"op": "add", "path": "/metadata/finalizers", "value": [*finalizers,
                                                                                      DEPENDANTS_FINALIZER]})
            else:
                at = finalizers.index(DEPENDANTS_FINALIZER)
                operations.append({"op": "remove", "path": f"/metadata/finalizers/{at}"})
            code, _ = await self.app.kube.request("PATCH", path, json=operations, what=f"updating the finalizers of "
                                                  f"VaultConnection {name}",
                                                  headers={"Content-Type": "application/json-patch+json"},
                                                  decode=False)  # the whole object again: unread
            if code in (409, 422):  # changed meanwhile: look again
                await self.set_finalizer(name, present)
        except Exception as error:  # the API server may be down: the next change of the counts tries again
            log.warning("VaultConnection %s: dependants finalizer not updated: %s", name, REDACTOR(str(error)))

    def deleted(self, name: str, body: dict[str, Any]) -> None:
        """A watch event of a VaultConnection being deleted: start waiting for its dependants, if it holds ours."""
        meta = body.get("metadata") or {}
        if DEPENDANTS_FINALIZER not in (meta.get("finalizers") or []):
            return
        running = self._loops.get(name)
        if running is None or running.done():
            self._loops[name] = asyncio.create_task(self._wait(name, body), name=f"dependants/{name}")

    async def close(self) -> None:
        for task in self._loops.values():
            task.cancel()
        await asyncio.gather(*self._loops.values(), return_exceptions=True)

    async def _wait(self, name: str, body: dict[str, Any]) -> None:
        meta = body.get("metadata") or {}
        uid, retry = meta.get("uid"), 0
        while True:
            try:
                if await self._step(name, uid, meta.get("generation"), dict(body.get("spec") or {}),
                                    dict(meta.get("annotations") or {}), retry):
                    return
            except Exception as error:  # the API server may be down: try again
                log.warning("VaultConnection %s: dependants not counted: %s", name, REDACTOR(str(error)))
            retry += 1
            await asyncio.sleep(min(30.0, 0.5 * retry))

    async def _step(self, name: str, uid: str | None, generation: int | None, spec: dict[str, Any],
                    annotations: dict[str, str], retry: int) -> bool:
        """True once the connection may go (and has gone: token revoked, finalizer removed)."""
        code, body = await self.app.kube.request("GET", VAULT_CONNECTION.path(name),
                                                 what=f"reading VaultConnection {name}")
        if code == 404 or (code < 300 and ((body or {}).get("metadata") or {}).get("uid") != uid):
            await self.app.delete(name, uid)  # gone (its finalizer removed by hand), or replaced: stop serving it
            return True
        counted, names = await dependants_in_api(self.app.kube, name)
        events = EventEmitter(lambda: VAULT_CONNECTION.ref(name, uid=uid), self.app.post_event, REDACTOR)
        shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
        if counted.total and annotations.get(ORPHAN_DEPENDANTS) != "true":
            # Their deletes need the token: keep the runtime (or, after an operator restart, start it again).
            await self.app.manager.apply(name, generation, spec, uid=uid)
            text = (f"deletion waits for {counted.describe()} that use this connection ({shown}): delete them "
                    f"first, or set the annotation {ORPHAN_DEPENDANTS}: \"true\" to delete it now and leave their "
                    "Vault objects")
            await self._show(name, counted.model_copy(update={"message": text}))
            if retry == 0:
                await events.post("Warning", "DeletionWaiting", text)
            return False
        if counted.total:
            await events.post("Warning", "DependantsOrphaned", f"deleted while {counted.describe()} still use it "
                              f"({shown}): their Vault objects stay in Vault, and deleting them later deletes "
                              f"nothing in Vault ({ORPHAN_DEPENDANTS}: \"true\")")
        await self.app.delete(name, uid)
        await self.set_finalizer(name, False)
        return True

    async def _show(self, name: str, shown: DependantsStatus) -> None:
        slot = self.app.connections.slot(name)
        if slot is not None and slot.obs.dependants != shown:
            slot.obs.dependants = shown
            await publish(self.app.connections, name)
