"""Access objects beside the connections of bench.scale: K VaultPolicies per connection (``--policies K``).

After the burst, K * N VaultPolicies are created (``bench.apply``, its own process, 8 in flight) over N * K / 20
namespaces, each naming one of the N connections in ``spec.connectionRef``, and synced into OpenBao. What it
costs the connections is counted: each connection's status gets its dependants count once (one status write),
and its dependants finalizer (core/access/dependants_gate.py). From then on the steady state and the restarts
run with them present, and every figure of bench.scale is measured with the access objects there.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES, ResourceSpec

from .audit import AuditLog
from .runner import REPO, Snapshot
from .stack import OperatorProcess, Stack

PER_NAMESPACE = 20


class PolicyStatuses:
    """Every VaultPolicy event the API publishes (FakeKube.observe): when each turned Active, status writes."""

    def __init__(self, kube: FakeKube) -> None:
        self.kube = kube
        self.active: dict[str, float] = {}
        self.status_writes = 0  # events whose status differs from the previous one of that policy
        self._last: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> PolicyStatuses:
        self._unsubscribe = self.kube.observe(self._observed)
        return self

    def _observed(self, spec: ResourceSpec, event: dict[str, Any]) -> None:
        if spec.plural != VAULTPOLICIES.plural or event.get("type") not in ("ADDED", "MODIFIED"):
            return
        obj = event.get("object") or {}
        meta, status = obj.get("metadata") or {}, obj.get("status")
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        with self._lock:
            if status is not None and status != self._last.get(key):
                self.status_writes += 1
                self._last[key] = status
            if (status or {}).get("phase") == "Active":
                self.active.setdefault(key, time.monotonic())

    def wait_all_active(self, keys: set[str], operator: OperatorProcess, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                done = len(keys & self.active.keys())
                if done == len(keys):
                    return max(self.active[key] for key in keys)
            if time.monotonic() > deadline or not operator.alive():
                raise RuntimeError(f"{done}/{len(keys)} VaultPolicies Active; operator log:\n{operator.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def policy_objects(connections: list[str], per: int) -> list[dict[str, Any]]:
    """``per`` VaultPolicies for each connection, ``PER_NAMESPACE`` to a namespace: (url, body) for bench.apply."""
    objects = []
    for i, (connection, k) in enumerate((c, k) for c in connections for k in range(per)):
        namespace = f"team-{i // PER_NAMESPACE:04d}"
        body = {"apiVersion": VAULTPOLICIES.api_version, "kind": VAULTPOLICIES.kind,
                "metadata": {"name": f"{connection}-p{k}", "namespace": namespace},
                "spec": {"connectionRef": connection,
                         "rules": [{"path": f"secret/data/{namespace}/{i}/*", "capabilities": ["read", "list"]}]}}
        objects.append({"url": VAULTPOLICIES.url(namespace), "body": body})
    return objects


@dataclasses.dataclass
class Sync:
    policies: int
    seconds: float  # first create to last Active
    before: Snapshot
    after: Snapshot
    connection_status_writes: int  # on the connections, while their policies appeared (the dependants counts)
    policy_status_writes: int
    vault: dict[str, int]  # Vault requests during the sync, by kind of request


def sync(stack: Stack, operator: OperatorProcess, statuses: PolicyStatuses, connection_writes: Callable[[], int],
         connections: list[str], per: int, timeout: float) -> Sync:
    """Create ``per`` policies for each connection and wait until all are Active and the operator is idle."""
    objects = policy_objects(connections, per)
    for namespace in sorted({o["body"]["metadata"]["namespace"] for o in objects}):
        stack.kube.ensure_namespace(namespace)
    mark, before, writes = stack.bao.audit.mark(), Snapshot.take(stack, operator), connection_writes()
    policy_writes = statuses.status_writes
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as listing:
        listing.write("\n".join(json.dumps(o) for o in objects))
        listing.flush()
        command = [sys.executable, "-m", "bench.apply", "--kube", stack.kube.url, "--objects-from", listing.name]
        out = subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                             text=True, timeout=900, check=True)
    created: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    last = statuses.wait_all_active(set(created), operator, timeout)
    seconds = last - min(created.values())
    settle_cpu(operator, timeout, share=0.25)  # dependants counts and finalizers follow the last Active
    writes_quiet(connection_writes, timeout)  # status writes wait for the API, not for the operator's CPU
    return Sync(len(objects), seconds, before, Snapshot.take(stack, operator), connection_writes() - writes,
                statuses.status_writes - policy_writes, vault_kinds(stack.bao.audit, mark))


def settle_cpu(operator: OperatorProcess, timeout: float, window: float = 2.0, share: float = 0.05) -> float:
    """Seconds until the operator used under ``share`` of a core over ``window`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = operator.sample().cpu_seconds
        time.sleep(window)
        if operator.sample().cpu_seconds - before < share * window:
            break
    return time.monotonic() - started


def writes_quiet(count: Callable[[], int], timeout: float, quiet: float = 5.0) -> float:
    """Seconds until ``count()`` (status writes seen) stayed the same for ``quiet`` seconds."""
    started = last_change = time.monotonic()
    seen = count()
    while time.monotonic() - last_change < quiet and time.monotonic() - started < timeout:
        time.sleep(0.25)
        if count() != seen:
            seen, last_change = count(), time.monotonic()
    return time.monotonic() - started


def vault_kinds(audit: AuditLog, start: int, end: int | None = None) -> dict[str, int]:
    """Audited requests after ``start``: token lookups, logins, policy writes and reads, everything else."""
    counts = {"lookups": 0, "logins": 0, "policy writes": 0, "policy reads": 0, "other": 0}
    for entry in audit.raw_requests(start, end):
        request = entry.get("request") or {}
        path, operation = str(request.get("path", "")), request.get("operation")
        if path == "auth/token/lookup-self":
            counts["lookups"] += 1
        elif path.endswith("/login"):
            counts["logins"] += 1
        elif path.startswith("sys/policies/acl/") and operation in ("create", "update", "delete"):
            counts["policy writes"] += 1
        elif path.startswith("sys/policies/acl/") and operation == "read":
            counts["policy reads"] += 1
        else:
            counts["other"] += 1
    return counts


def sync_rows(run: Sync, connections: int) -> list[tuple[str, str, str]]:
    cpu = run.after.operator.cpu_seconds - run.before.operator.cpu_seconds
    return [
        ("access: VaultPolicies all Active", f"{run.seconds:.1f}s", f"{run.policies} policies "
         f"({run.policies // connections} per connection) from the first create to the last Active"),
        ("access: operator CPU per policy", f"{cpu / run.policies * 1000:.1f} ms", "sync, until the operator idles"),
        ("access: Vault requests in the sync", ", ".join(f"{k} {v}" for k, v in run.vault.items()), ""),
        ("access: connection status writes", f"{run.connection_status_writes / connections:.2f}/connection",
         "while its policies appeared: each connection's dependants count, once"),
        ("access: policy status writes", f"{run.policy_status_writes / run.policies:.2f}/policy", ""),
        ("access: operator RSS after the sync", f"{run.after.operator.rss_mb:.0f} MB",
         f"peak {run.after.operator.peak_rss_mb:.0f} MB"),
    ]
