"""Keeps one runtime task per VaultConnection, replacing it when the spec changes.

Handlers stay thin: they call :meth:`ConnectionManager.apply` and :meth:`remove`. A bad
spec never raises out of here; it becomes an Error status and an event.

Entries are keyed by name but belong to one object (its uid): a deleted object's late cleanup
never removes the runtime, metrics or provider state of a new object that took the same name.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from . import shape
from .addresses import AddressUsers
from .connections import ConnectionRegistry
from .errors import VaultAccessError
from .provider import AuthProvider
from .registry import ProviderRegistry
from .runtime import ConnectionRuntime
from .runtime_deps import RuntimeDeps
from .status import Observation
from .validation import ValidatedConnection, validate_spec

log = logging.getLogger(__name__)


@dataclasses.dataclass
class _Entry:
    spec_key: str
    runtime: ConnectionRuntime | None
    task: asyncio.Task[None] | None
    observation: Observation | None = None  # for specs that never got a runtime
    uid: str | None = None
    # The provider that served this connection (kept across an invalid edit): told when it is removed.
    provider: AuthProvider[Any] | None = None
    address_released: bool = False


class ConnectionManager:
    def __init__(self, registry: ProviderRegistry, deps: RuntimeDeps) -> None:
        self.registry = registry
        self.deps = deps
        self._entries: dict[str, _Entry] = {}
        self.connections = ConnectionRegistry()  # what other controllers borrow connections through
        self.addresses = AddressUsers((deps.login_gate.forget, deps.vault_http.forget, deps.health_cache.forget))
        # Raises for a spec the operator's trust policy refuses (set by the app; core/admission.py).
        self.admit: Callable[[str, ValidatedConnection], None] = lambda name, validated: None

    def runtime(self, name: str) -> ConnectionRuntime | None:
        entry = self._entries.get(name)
        return entry.runtime if entry else None

    @property
    def names(self) -> list[str]:
        return sorted(self._entries)

    def observations(self) -> list[tuple[str, Observation]]:
        """What each connection's status is built from (for metrics)."""
        found = []
        for name, entry in list(self._entries.items()):
            obs = _observation(entry)
            if obs is not None:
                found.append((name, obs))
        return found

    async def apply(self, name: str, generation: int | None, spec: dict[str, Any], uid: str | None = None,
                    found: Mapping[str, Any] | None = None) -> None:
        """Start (or restart, when the spec or the object changed) the runtime for ``name``; ``found``: the object's
        status as this process first sees it (a first login it shows already held is told by no event)."""
        spec_key = shape.spec_key(spec)  # not json.dumps: it recurses, and specs may nest thousands deep
        entry = self._entries.get(name)
        if entry and entry.spec_key == spec_key and _same_object(entry.uid, uid):
            return  # resumes and daemon restarts of an unchanged spec keep the running runtime
        uid = uid or (entry.uid if entry else None)
        if entry:
            await self._stop(entry, revoke=True)
        provider = entry.provider if entry and entry.uid == uid else None  # carried over an invalid edit
        try:
            validated = validate_spec(spec, self.registry)
            self.admit(name, validated)
        except VaultAccessError as error:
            obs = Observation(generation=generation, method=shape.auth_method_of(spec), uid=uid)
            reporter = self.deps.reporter_factory(name, obs)
            self._entries[name] = new = _Entry(spec_key, None, None, obs, uid, provider)
            self.connections.attach(name, obs, None)
            self._forget_provider_state(name, entry, new)
            if not await reporter.failed(error, 1):  # nothing else would publish again: keep trying
                new.task = asyncio.create_task(reporter.publish_until_written(self.deps.sleep), name=f"status/{name}")
            return
        runtime = ConnectionRuntime(name, generation, validated, self.deps)
        runtime.obs.uid = uid  # before the task starts: every status write carries it
        runtime.reporter.found(found)
        self.addresses.acquire(validated.spec.address)
        task = asyncio.create_task(runtime.run(), name=f"vaultconnection/{name}")
        task.add_done_callback(lambda t: _log_crash(name, t))
        self._entries[name] = new = _Entry(spec_key, runtime, task, None, uid, validated.provider)
        self.connections.attach(name, runtime.obs, runtime)
        self._forget_provider_state(name, entry, new)

    def _forget_provider_state(self, name: str, old: _Entry | None, new: _Entry | None) -> None:
        """Tell the provider that served ``old`` when it no longer serves this connection.

        Not on an edit that keeps the provider: state such as the aws ec2 nonce must survive it.
        """
        if old is None or old.provider is None:
            return
        if new is not None and new.provider is old.provider and new.uid == old.uid:
            return
        try:
            old.provider.connection_removed(name)
        except Exception:  # a plugin's bug must not stop the removal
            log.exception("auth plugin %r failed in connection_removed", old.provider.key)

    async def remove(self, name: str, uid: str | None = None) -> None:
        """Stop the runtime and revoke its token (the VaultConnection ``uid`` is being deleted)."""
        entry = self._entries.get(name)
        if entry and _same_object(entry.uid, uid):
            del self._entries[name]
            self.connections.detach(name)
            await asyncio.shield(self._remove(name, entry))

    async def _remove(self, name: str, entry: _Entry) -> None:
        if entry.runtime is not None:
            await entry.runtime.tear_down()  # while it still holds its token (spec.auth.bootstrap.cleanupAuthMount)
        await self._stop(entry, revoke=True)
        if name not in self._entries:  # else a new object took the name meanwhile: its series and state stay
            self.deps.metrics.forget(name)
            self._forget_provider_state(name, entry, None)

    async def release(self, name: str, uid: str | None = None) -> None:
        """Stop the runtime without touching metrics or status: another replica takes over."""
        entry = self._entries.get(name)
        if entry and _same_object(entry.uid, uid):
            self.connections.detach(name, _observation(entry))  # borrowers stop now, not after the revocation
            # kopf may cancel the daemon that calls this (operator exit): finish the release anyway.
            await asyncio.shield(self._release(name, entry))

    async def _release(self, name: str, entry: _Entry) -> None:
        await self._stop(entry, revoke=True)
        if self._entries.get(name) is entry:  # a new spec may have replaced it meanwhile
            del self._entries[name]

    async def stop_all(self, revoke: bool = True) -> None:
        """Operator shutdown: revoke every token (a restart logs in again) so no leases pile up."""
        entries, self._entries = list(self._entries.values()), {}
        for name in self.connections.names:
            self.connections.detach(name)
        await asyncio.gather(*(self._stop(e, revoke=revoke) for e in entries))

    async def _stop(self, entry: _Entry, revoke: bool) -> None:
        if entry.task is not None:
            entry.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.task
        if entry.runtime is not None:
            try:
                await entry.runtime.shutdown(revoke=revoke)
            finally:
                if not entry.address_released:  # once, though a release and a removal may both stop it
                    entry.address_released = True
                    self.addresses.release(entry.runtime.validated.spec.address)


def _observation(entry: _Entry) -> Observation | None:
    return entry.runtime.obs if entry.runtime is not None else entry.observation


def _same_object(known: str | None, uid: str | None) -> bool:
    """Whether ``uid`` names the object an entry belongs to (an unknown uid on either side matches)."""
    return known is None or uid is None or known == uid


def _log_crash(name: str, task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("VaultConnection %s: runtime stopped unexpectedly", name, exc_info=task.exception())
