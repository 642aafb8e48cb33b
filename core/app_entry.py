"""What the kopf handlers (core/handlers.py) call on the operator: plain methods, which tests can drive without a
cluster. :class:`OperatorApp` (core/app.py) has the parts they use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .access.controller import AccessController, KindAdapter
from .access.dependants_gate import DEPENDANTS_FINALIZER, DeletionGate
from .kinds import KindDefinition
from .manager import ConnectionManager


class KopfEntryPoints:
    """A VaultConnection served, released or deleted; an access object seen, gone or being deleted."""

    manager: ConnectionManager
    _access: AccessController | None  # made on first use (OperatorApp.access)
    access_kinds: dict[str, KindAdapter]
    access_gate: DeletionGate

    @property
    def access(self) -> AccessController:
        raise NotImplementedError  # OperatorApp's

    async def reconcile(self, name: str, uid: str | None, generation: int | None, spec: dict[str, Any],
                        status: Mapping[str, Any] | None = None) -> None:
        """Serve ``name`` at this spec; ``status``: the object's status as this process first sees it."""
        if self._access is not None:
            self._access.released.discard(name)  # served here again
        await self.manager.apply(name, generation, dict(spec), uid=uid, found=status)

    def observe_access(self, kind: KindDefinition, body: dict[str, Any]) -> None:
        """An access object (VaultPolicy, ...) was added or changed."""
        self.access.observe(self.access_kinds[kind.kind], body)

    async def forget_access(self, kind: KindDefinition, body: dict[str, Any]) -> None:
        """An access object is gone from the API: stop its worker."""
        await self.access.forget(kind, body)

    async def delete_access(self, kind: KindDefinition, body: dict[str, Any], retry: int) -> float | None:
        """An access object is being deleted: None once Vault is done with, else seconds until the next try."""
        return await self.access.delete(self.access_kinds[kind.kind], body, retry)

    async def release(self, name: str, uid: str | None = None) -> None:
        """Stop serving ``name`` (this replica was paused): revoke, keep the status for the next leader."""
        if self._access is not None:  # before the registry forgets it: its objects must not report it gone
            self._access.released.add(name)
        await self.manager.release(name, uid)

    async def delete(self, name: str, uid: str | None = None) -> None:
        """The object ``uid`` is deleted (a later object of the same name is left alone)."""
        await self.manager.remove(name, uid)

    async def connection_stopped(self, name: str, uid: str | None, finalizers: list[str]) -> None:
        """The connection's daemon stopped because the object is deleted: revoke now, unless dependants still
        need its token (it holds their finalizer; core/access/dependants_gate.py lets it go later)."""
        if DEPENDANTS_FINALIZER not in finalizers:
            await self.delete(name, uid)

    def connection_seen(self, name: str, body: dict[str, Any]) -> None:
        """A watch event of a VaultConnection: one being deleted may have to wait for its dependants."""
        finalizers = (body.get("metadata") or {}).get("finalizers") or []
        shown = (body.get("status") or {}).get("dependants")
        self.access.dependants.seen(name, DEPENDANTS_FINALIZER in finalizers,
                                    shown if isinstance(shown, dict) else None)
        if (body.get("metadata") or {}).get("deletionTimestamp"):
            self.access_gate.deleted(name, body)
