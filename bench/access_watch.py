"""What bench.access observes from outside the operator: policy statuses and Vault's audit log."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS, VAULTPOLICIES, ResourceSpec

from .audit import AuditLog


class PolicyWatcher:
    """Every VaultPolicy and VaultConnection event, as ``kubectl get -w`` would see it (FakeKube.observe)."""

    def __init__(self, kube: FakeKube) -> None:
        self.kube = kube
        self.active: dict[str, float] = {}  # namespace/name -> when it first showed Active
        self.connection_active: float | None = None
        self.status_writes = 0  # policy events whose status differs from the previous one of that policy
        self.last_event = time.monotonic()
        self._last: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> PolicyWatcher:
        self._unsubscribe = self.kube.observe(self._observed)
        return self

    def _observed(self, spec: ResourceSpec, event: dict[str, Any]) -> None:
        obj, now = event.get("object") or {}, time.monotonic()
        meta, status = obj.get("metadata") or {}, obj.get("status")
        with self._lock:
            if spec.plural == VAULTCONNECTIONS.plural and (status or {}).get("phase") == "Active":
                self.connection_active = self.connection_active or now
            if spec.plural != VAULTPOLICIES.plural or event.get("type") not in ("ADDED", "MODIFIED"):
                return
            key = f"{meta.get('namespace')}/{meta.get('name')}"
            if status is not None and status != self._last.get(key):
                self.status_writes += 1
                self.last_event = now
                self._last[key] = status
            if (status or {}).get("phase") == "Active":
                self.active.setdefault(key, now)

    def wait_connection_active(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.connection_active is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the connection never turned Active")
            time.sleep(0.05)
        return self.connection_active

    def wait_all_active(self, count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while len(self.active) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.active)} of {count} policies Active")
            time.sleep(0.05)
        return max(self.active.values())

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()


def _requests(audit: AuditLog, start: int) -> list[dict[str, Any]]:
    with audit.path.open("rb") as handle:
        handle.seek(start)
        lines = handle.read().splitlines()
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("type") == "request":
            found.append(entry.get("request") or {})
    return found


def audit_counts(audit: AuditLog, start: int) -> dict[str, Any]:
    """Policy writes (and the first few names written), policy reads and all requests after ``start``."""
    counts: dict[str, Any] = {"writes": 0, "reads": 0, "lists": 0, "requests": 0, "written": []}
    for request in _requests(audit, start):
        counts["requests"] += 1
        path, operation = str(request.get("path", "")), request.get("operation")
        if path.startswith("sys/policies/acl"):
            key = {"create": "writes", "update": "writes", "read": "reads", "list": "lists"}.get(operation)
            if key:
                counts[key] += 1
            if key == "writes" and len(counts["written"]) < 5:
                counts["written"].append(path.removeprefix("sys/policies/acl/"))
    return counts


def wait_quiet(audit: AuditLog, start: int, quiet: float, timeout: float) -> None:
    """Until the operator logged in after ``start`` and the audit log then grew by nothing for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    while not any(str(r.get("path", "")).endswith("/login") for r in _requests(audit, start)):
        if time.monotonic() > deadline:
            raise TimeoutError("the operator never logged in")
        time.sleep(0.1)
    size, since = audit.mark(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)
        if audit.mark() != size:
            size, since = audit.mark(), time.monotonic()
