"""Observes VaultConnections from outside the operator: when each turned Active, and how often status changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS, ResourceSpec


class StatusWatcher:
    """Every VaultConnection event the API publishes, as ``kubectl get vaultconnections -w`` would see it.

    It observes the emulator in this process (``FakeKube.observe``) rather than opening a watch stream: a stream
    cost the emulator a socket write per event and its reader parsed every event in a thread that shares this
    process's GIL with the emulator, all of it charged to the system under test.

    ``activated[name]`` is when the object first showed Active with a token accessor it did not show at the last
    :meth:`reset`: a new object's first login, or a restarted operator's fresh login (which may go straight
    from the old Active status to the new one, without a Pending in between).
    """

    def __init__(self, kube: FakeKube) -> None:
        self.kube = kube
        self.activated: dict[str, float] = {}
        self.status_writes = 0  # events whose status differs from the previous one of that object
        self.events = 0  # every ADDED/MODIFIED event: what each watcher (kopf too) has to process
        self._accessor_at_reset: dict[str, str | None] = {}
        self._last: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stopped = False
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> StatusWatcher:
        self._unsubscribe = self.kube.observe(self._observed)
        return self

    def _observed(self, spec: ResourceSpec, event: dict[str, Any]) -> None:
        if spec.plural == VAULTCONNECTIONS.plural and spec.group == VAULTCONNECTIONS.group:
            self._seen(event, time.monotonic())

    def _seen(self, event: dict[str, Any], now: float) -> None:
        obj = event.get("object") or {}
        name = (obj.get("metadata") or {}).get("name")
        if not name or event.get("type") not in ("ADDED", "MODIFIED"):
            return
        status = obj.get("status")
        phase = (status or {}).get("phase")
        with self._lock:
            if self._stopped:
                return
            self.events += 1
            if status is not None and status != self._last.get(name):
                self.status_writes += 1
                self._last[name] = status
            accessor = ((status or {}).get("authStatus") or {}).get("tokenAccessor")
            fresh = accessor is not None and accessor != self._accessor_at_reset.get(name)
            if phase == "Active" and fresh and name not in self.activated:
                self.activated[name] = now

    def reset(self) -> None:
        """Forget who turned Active: count the next fresh login of every object again."""
        with self._lock:
            self.activated.clear()
            self._accessor_at_reset = {
                name: (status.get("authStatus") or {}).get("tokenAccessor") for name, status in self._last.items()
            }

    def active_count(self, names: set[str]) -> int:
        with self._lock:
            return sum(1 for name in names if name in self.activated)

    def counters(self) -> tuple[int, int]:
        """(watch events, status writes) so far."""
        with self._lock:
            return self.events, self.status_writes

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
