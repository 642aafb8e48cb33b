"""What bench.access observes from outside the operator: object statuses, Kubernetes writes, Vault's audit log."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS, VAULTPOLICIES, VAULTROLES, ResourceSpec

from .audit import AuditLog

WATCHED = {VAULTPOLICIES.plural: "VaultPolicy", VAULTROLES.plural: "VaultRole"}


class AccessWatcher:
    """Every watch event, as ``kubectl get -w`` would see it (FakeKube.observe): when each VaultPolicy and
    VaultRole first showed Active, their status writes, and every committed Kubernetes write by resource."""

    def __init__(self, kube: FakeKube) -> None:
        self.kube = kube
        self.active: dict[str, float] = {}  # "Kind namespace/name" -> when it first showed Active
        self.connection_active: float | None = None
        self.status_writes = 0  # events whose status differs from the previous one of that object
        self.kube_writes: Counter[str] = Counter()  # resource plural -> committed writes (no-op writes excluded)
        self.last_write = time.monotonic()
        self._last: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> AccessWatcher:
        self._unsubscribe = self.kube.observe(self._observed)
        return self

    def _observed(self, spec: ResourceSpec, event: dict[str, Any]) -> None:
        obj, now = event.get("object") or {}, time.monotonic()
        meta, status = obj.get("metadata") or {}, obj.get("status")
        with self._lock:
            self.kube_writes[spec.plural] += 1
            self.last_write = now
            if spec.plural == VAULTCONNECTIONS.plural and (status or {}).get("phase") == "Active":
                self.connection_active = self.connection_active or now
            kind = WATCHED.get(spec.plural)
            if kind is None or event.get("type") not in ("ADDED", "MODIFIED"):
                return
            key = f"{kind} {meta.get('namespace')}/{meta.get('name')}"
            if status is not None and status != self._last.get(key):
                self.status_writes += 1
                self._last[key] = status
            if (status or {}).get("phase") == "Active":
                self.active.setdefault(key, now)

    def mark(self) -> tuple[int, Counter[str]]:
        """Where the counts stand: :meth:`since` counts the writes after it."""
        with self._lock:
            return self.status_writes, Counter(self.kube_writes)

    def since(self, mark: tuple[int, Counter[str]]) -> dict[str, Any]:
        """Status writes of the access objects, and Kubernetes writes of any kind (in all, by resource)."""
        with self._lock:
            status_writes, kube = self.status_writes - mark[0], self.kube_writes - mark[1]
        return {"status_writes": status_writes, "kube_writes": sum(kube.values()), "kube_writes_by": dict(kube)}

    def wait_writes_quiet(self, quiet: float, timeout: float) -> float:
        """Until no Kubernetes write for ``quiet`` s; returns when the last write before that was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.last_write
            if time.monotonic() - last >= quiet:
                return last
            time.sleep(0.1)
        raise TimeoutError(f"Kubernetes writes did not stop for {quiet} s")

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
                raise TimeoutError(f"{len(self.active)} of {count} objects Active")
            time.sleep(0.05)
        return max(self.active.values())

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()


def requests_after(audit: AuditLog, start: int) -> list[dict[str, Any]]:
    """The audit log's request entries after the mark ``start`` (whole entries: time, request, auth)."""
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
            found.append(entry)
    return found


def entry_time(entry: dict[str, Any]) -> float:
    """An audit entry's time, as time.time() gives it (OpenBao writes RFC 3339 with nanoseconds)."""
    head, _, fraction = str(entry["time"]).rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{head}.{(fraction or '0')[:6]:0<6}+00:00").timestamp()


def access_path(path: str) -> bool:
    """An ACL policy or an auth role: what the access kinds read and write."""
    return path.startswith("sys/policies/acl") or "/role/" in path


_OPERATIONS = {"create": "writes", "update": "writes", "delete": "writes", "read": "reads", "list": "lists"}


def audit_counts(audit: AuditLog, start: int) -> dict[str, Any]:
    """Writes, reads and lists of policies and roles (and the first few paths written), all requests."""
    counts: dict[str, Any] = {"writes": 0, "reads": 0, "lists": 0, "role_writes": 0, "role_reads": 0,
                              "requests": 0, "written": []}
    for entry in requests_after(audit, start):
        request = entry.get("request") or {}
        counts["requests"] += 1
        path = str(request.get("path", ""))
        key = _OPERATIONS.get(str(request.get("operation")))
        if not access_path(path) or key is None:
            continue
        counts[key] += 1
        if "/role/" in path and key in ("writes", "reads"):
            counts[f"role_{key}"] += 1
        if key == "writes" and len(counts["written"]) < 5:
            counts["written"].append(path)
    return counts


def wait_quiet(audit: AuditLog, start: int, quiet: float, timeout: float) -> None:
    """Until the operator logged in after ``start`` and the audit log then grew by nothing for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    while not any(str((e.get("request") or {}).get("path", "")).endswith("/login")
                  for e in requests_after(audit, start)):
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
