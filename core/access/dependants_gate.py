"""Whether a deleted VaultConnection must wait for its dependants (core/access/dependants.py has the why)."""

from __future__ import annotations

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

LISTED = 10  # objects named in the event and the status message


class GateApp(Protocol):
    """What the gate needs of the operator (core/app.py OperatorApp)."""

    connections: ConnectionRegistry
    manager: ConnectionManager

    @property
    def kube(self) -> KubeClient: ...

    async def post_event(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None: ...


class DeletionGate:
    def __init__(self, app: GateApp) -> None:
        self.app = app

    async def must_wait(self, name: str) -> bool:
        counted, _ = await dependants_in_api(self.app.kube, name)
        return counted.total > 0

    async def holds(self, name: str, uid: str | None, generation: int | None, spec: dict[str, Any],
                    annotations: dict[str, str], retry: int) -> bool:
        """True while the deletion must wait; posts the events and the status message that say so."""
        counted, names = await dependants_in_api(self.app.kube, name)
        events = EventEmitter(lambda: VAULT_CONNECTION.ref(name, uid=uid), self.app.post_event, REDACTOR)
        if counted.total == 0:
            return False
        shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
        if annotations.get(ORPHAN_DEPENDANTS) == "true":
            await events.post("Warning", "DependantsOrphaned", f"deleted while {counted.describe()} still use it "
                              f"({shown}): their Vault objects stay in Vault, and deleting them later deletes "
                              f"nothing in Vault ({ORPHAN_DEPENDANTS}: \"true\")")
            return False
        # Their deletes need the token: keep the runtime (or, after an operator restart, start it again).
        await self.app.manager.apply(name, generation, spec, uid=uid)
        text = (f"deletion waits for {counted.describe()} that use this connection ({shown}): delete them first, "
                f"or set the annotation {ORPHAN_DEPENDANTS}: \"true\" to delete it now and leave their Vault objects")
        slot = self.app.connections.slot(name)
        if slot is not None:
            current = slot.obs.dependants or DependantsStatus()
            shown_counts = counted.model_copy(update={"message": text})
            if current != shown_counts:
                slot.obs.dependants = shown_counts
                await publish(self.app.connections, name)
        if retry == 0:
            await events.post("Warning", "DeletionWaiting", text)
        return True
