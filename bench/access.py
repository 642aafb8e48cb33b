"""Access objects at scale: N VaultPolicies over N/20 namespaces and one connection, against real OpenBao.

For each N of ``--objects`` (a fresh OpenBao and API emulator each time):

- **direct**: the fastest client we have (bench.access_direct) writes N policies, then reads them back.
- **initial sync**: the N objects exist, unsynced; the operator starts: from its connection's Active to the
  last policy Active. ratio = direct write time / operator time (target 0.8).
- **restart**: a new operator process with everything synced: the time from its start until every object is
  confirmed (its first pass done, bench.access_confirmed), against the direct client's read time (target: at
  most 2 times); Vault writes, status writes and Vault reads (target 0, 0, at most N; the reads are the drift
  checks that fall due meanwhile) until its CPU settled.
- **steady**: ``--duration`` seconds: writes of any kind (target 0), Vault reads, operator CPU, RSS.
- **change propagation**: ``--edits`` edits of one policy each, one after another: time from the edit to its
  write in OpenBao's audit log (p50, p99; target p99 under 1 s), and the writes counted (target: one each).

    python -m bench.access --objects 1000,3000,10000 --duration 30 --edits 100
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES

from .access_confirmed import wait_confirmed
from .access_watch import PolicyWatcher, audit_counts
from .stack import OPERATOR_NS, OPERATOR_SA, ROLE, OperatorProcess, Stack

OPERATOR_POLICY = 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }'


def _direct(vault: str, names: list[str], mode: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".names", delete=False) as handle:
        handle.write("\n".join(names))
    command = [sys.executable, "-m", "bench.access_direct", "--vault", vault, "--names-from", handle.name,
               "--mode", mode, "--concurrency", "32"]
    result: dict[str, Any] = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    Path(handle.name).unlink()
    return result


def _spec(i: int) -> dict[str, Any]:
    return {"connectionRef": "vault", "rules": [{"path": f"secret/data/p{i}/*", "capabilities": ["read", "list"]}]}


def one_size(count: int, duration: float, edits: int, timeout: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"objects": count}
    with Stack() as stack:
        client = stack.bao.client()
        vault_setup.write_policy(client, "operator-access", OPERATOR_POLICY)
        vault_setup.create_kubernetes_role(client, ROLE, [OPERATOR_SA], [OPERATOR_NS],
                                           policies=("default", "operator-access"))
        names = [f"direct-{i}" for i in range(count)]
        figures["direct_write_s"] = _direct(stack.bao.url, names, "write")["seconds"]
        figures["direct_read_s"] = _direct(stack.bao.url, names, "read")["seconds"]

        namespaces = [f"team-{i}" for i in range(max(1, count // 20))]
        for namespace in namespaces:
            stack.kube.ensure_namespace(namespace)
        keys = [(namespaces[i % len(namespaces)], f"p{i}") for i in range(count)]
        for (namespace, name), i in zip(keys, range(count), strict=True):
            stack.kube.call("POST", VAULTPOLICIES.url(namespace), json={
                "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": name, "namespace": namespace}, "spec": _spec(i)})
        watcher = PolicyWatcher(stack.kube).start()
        operator = OperatorProcess(stack.kube).start()
        try:
            stack.kube.create_vaultconnection("vault", {"address": stack.bao.url, "healthCheckInterval": "30s",
                                                        "auth": {"kubernetes": {"role": ROLE}}})
            connected = watcher.wait_connection_active(timeout)
            last = watcher.wait_all_active(count, timeout)
            figures["operator_sync_s"] = last - connected
            figures["ratio_initial"] = figures["direct_write_s"] / figures["operator_sync_s"]
            figures["rss_after_sync_mb"] = operator.sample().rss_mb

            operator.stop()
            mark, writes_before = stack.bao.audit.mark(), watcher.status_writes
            port, started = free_port(), time.monotonic()
            operator = OperatorProcess(stack.kube, metrics_port=port).start()
            figures["restart_confirmed_s"] = wait_confirmed(port, count, started, timeout)  # every first pass done
            figures["restart_confirmed_over_direct_read"] = figures["restart_confirmed_s"] / figures["direct_read_s"]
            figures["restart_cpu_ms_per_object"] = 1000 * operator.sample().cpu_seconds / count  # start-up included
            # Vault is never quiet for long now (drift checks spread over the interval from the first pass on):
            # after every object is confirmed, until the operator's CPU settles (at most 2 minutes more).
            figures["restart_settle_s"] = figures["restart_confirmed_s"] + _wait_cpu_settled(operator, 120.0)
            restart = audit_counts(stack.bao.audit, mark)
            figures["restart"] = {**restart, "status_writes": watcher.status_writes - writes_before}

            mark, writes_before, cpu = stack.bao.audit.mark(), watcher.status_writes, operator.sample().cpu_seconds
            time.sleep(duration)
            steady = audit_counts(stack.bao.audit, mark)
            sample = operator.sample()
            figures["steady"] = {**steady, "status_writes": watcher.status_writes - writes_before,
                                 "cpu_percent_of_core": 100 * (sample.cpu_seconds - cpu) / duration,
                                 "rss_mb": sample.rss_mb, "peak_rss_mb": sample.peak_rss_mb}
            figures["propagation"] = _edits(stack, keys, edits, timeout)
        finally:
            operator.stop()
            watcher.stop()
    return figures


def _wait_cpu_settled(operator: OperatorProcess, timeout: float, window: float = 2.0, share: float = 0.05) -> float:
    """Seconds until the operator used under ``share`` of a core over ``window`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = operator.sample().cpu_seconds
        time.sleep(window)
        if operator.sample().cpu_seconds - before < share * window:
            break
    return time.monotonic() - started


def _edits(stack: Stack, keys: list[tuple[str, str]], edits: int, timeout: float) -> dict[str, Any]:
    latencies, rng = [], random.Random(7)
    mark = stack.bao.audit.mark()
    for n in range(edits):
        namespace, name = rng.choice(keys)
        rules = [{"path": f"secret/data/{name}/edit-{n}/*", "capabilities": ["read"]}]
        target = f"sys/policies/acl/vao.default.{namespace}.{name}"
        start = stack.bao.audit.mark()
        edited = time.time()
        stack.kube.call("PATCH", VAULTPOLICIES.url(namespace, name), json={"spec": {"rules": rules}},
                        headers={"Content-Type": "application/merge-patch+json"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            writes = [e for e in stack.bao.audit.entries(start) if e.path == target]
            if writes:
                latencies.append(writes[0].at.timestamp() - edited)
                break
            time.sleep(0.01)
    counts = audit_counts(stack.bao.audit, mark)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan")
    return {"edits": edits, "seen": len(latencies), "p50_s": statistics.median(latencies) if latencies else None,
            "p99_s": p99, "writes": counts["writes"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", default="1000,3000,10000")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    started = time.monotonic()
    for count in (int(n) for n in args.objects.split(",")):
        print(json.dumps(one_size(count, args.duration, args.edits, args.timeout)), flush=True)
    print(f"took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
