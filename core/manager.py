"""Keeps one runtime task per VaultConnection, replacing it when the spec changes.

Handlers stay thin: they call :meth:`ConnectionManager.apply` and :meth:`remove`. A bad
spec never raises out of here; it becomes an Error status and an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

from .errors import VaultAccessError
from .registry import ProviderRegistry
from .reporting import Reporter
from .runtime import ConnectionRuntime, RuntimeDeps
from .status import Observation
from .validation import ValidatedConnection, validate_spec

log = logging.getLogger(__name__)


@dataclasses.dataclass
class _Entry:
    spec_key: str
    runtime: ConnectionRuntime | None
    task: asyncio.Task[None] | None
    observation: Observation | None = None  # for specs that never got a runtime


class ConnectionManager:
    def __init__(self, registry: ProviderRegistry, deps: RuntimeDeps) -> None:
        self.registry = registry
        self.deps = deps
        self._entries: dict[str, _Entry] = {}
        self.reporter_factory: Callable[[str, Observation], Reporter] = deps.reporter_factory
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
            obs = entry.runtime.obs if entry.runtime is not None else entry.observation
            if obs is not None:
                found.append((name, obs))
        return found

    async def apply(self, name: str, generation: int | None, spec: dict[str, Any]) -> None:
        """Start (or restart, when the spec changed) the runtime for ``name``."""
        spec_key = json.dumps(spec, sort_keys=True, default=str)
        entry = self._entries.get(name)
        if entry and entry.spec_key == spec_key:
            return  # resumes and daemon restarts of an unchanged spec keep the running runtime
        if entry:
            await self._stop(entry, revoke=True)
        try:
            validated = validate_spec(spec, self.registry)
            self.admit(name, validated)
        except VaultAccessError as error:
            auth = (spec or {}).get("auth")
            method = next(iter(auth), "") if isinstance(auth, dict) and len(auth) == 1 else ""
            obs = Observation(generation=generation, method=str(method))
            reporter = self.reporter_factory(name, obs)
            task = None
            if not await reporter.failed(error, 1):  # nothing else would publish again: keep trying
                task = asyncio.create_task(reporter.publish_until_written(self.deps.sleep), name=f"status/{name}")
            self._entries[name] = _Entry(spec_key, None, task, obs)
            return
        runtime = ConnectionRuntime(name, generation, validated, self.deps)
        task = asyncio.create_task(runtime.run(), name=f"vaultconnection/{name}")
        task.add_done_callback(lambda t: _log_crash(name, t))
        self._entries[name] = _Entry(spec_key, runtime, task)

    async def remove(self, name: str) -> None:
        """Stop the runtime and revoke its token (the VaultConnection is being deleted)."""
        entry = self._entries.pop(name, None)
        if entry:
            await asyncio.shield(self._remove(name, entry))

    async def _remove(self, name: str, entry: _Entry) -> None:
        await self._stop(entry, revoke=True)
        self.deps.metrics.forget(name)

    async def release(self, name: str) -> None:
        """Stop the runtime without touching metrics or status: another replica takes over."""
        entry = self._entries.get(name)
        if entry:
            # kopf may cancel the daemon that calls this (operator exit): finish the release anyway.
            await asyncio.shield(self._release(name, entry))

    async def _release(self, name: str, entry: _Entry) -> None:
        await self._stop(entry, revoke=True)
        if self._entries.get(name) is entry:  # a new spec may have replaced it meanwhile
            del self._entries[name]

    async def stop_all(self, revoke: bool = True) -> None:
        """Operator shutdown: revoke every token (a restart logs in again) so no leases pile up."""
        entries, self._entries = list(self._entries.values()), {}
        await asyncio.gather(*(self._stop(e, revoke=revoke) for e in entries))

    async def _stop(self, entry: _Entry, revoke: bool) -> None:
        if entry.task is not None:
            entry.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.task
        if entry.runtime is not None:
            await entry.runtime.shutdown(revoke=revoke)


def _log_crash(name: str, task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("VaultConnection %s: runtime stopped unexpectedly", name, exc_info=task.exception())
