"""The phases of bench.access after the initial sync: restart, steady state, change propagation, drift spread."""

from __future__ import annotations

import math
import random
import time
from typing import Any

from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES, VAULTROLES, ResourceSpec

from .access_confirmed import wait_confirmed
from .access_objects import MOUNT, Workload, vault_name
from .access_watch import AccessWatcher, access_path, audit_counts, entry_time, requests_after
from .stack import OperatorProcess, Stack

SETTLED_SHARE = 0.05  # of a core: below this over a window, the operator is done with what it was doing


def _login(stack: Stack, mark: int) -> float | None:
    """When the operator logged in after ``mark`` (time.time()), None if it has not yet."""
    return next((entry_time(e) for e in requests_after(stack.bao.audit, mark)
                 if str((e.get("request") or {}).get("path", "")).endswith("/login")), None)


def _login_time(stack: Stack, mark: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while (at := _login(stack, mark)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the operator never logged in")
        time.sleep(0.1)
    return at


def restart(stack: Stack, watcher: AccessWatcher, count: int,
            timeout: float) -> tuple[OperatorProcess, dict[str, Any]]:
    """A new operator process with everything synced: until every object is confirmed, then its CPU settled.

    ``confirmed_s``: from its start until every object's first pass is done (its /metrics, bench.access_confirmed);
    ``settle_s``: from its start to the first 1-s window after that in which it used under 5% of a core. Vault
    writes and reads and Kubernetes writes are counted until then."""
    mark, writes = stack.bao.audit.mark(), watcher.mark()
    port, started = free_port(), time.monotonic()
    operator = OperatorProcess(stack.kube, metrics_port=port).start()
    confirmed_s = wait_confirmed(port, count, started, timeout)
    cpu_ms = 1000 * operator.sample().cpu_seconds / count  # start-up included
    deadline, settled = started + timeout, None
    while settled is None and time.monotonic() < deadline:
        window_start, cpu = time.monotonic(), operator.sample().cpu_seconds
        time.sleep(1.0)
        if operator.sample().cpu_seconds - cpu < SETTLED_SHARE and _login(stack, mark) is not None:
            settled = window_start - started
    return operator, {**audit_counts(stack.bao.audit, mark), **watcher.since(writes),
                      "confirmed_s": round(confirmed_s, 2), "cpu_ms_per_object_at_confirmed": round(cpu_ms, 2),
                      "settle_s": round(settled, 2) if settled is not None else None}


def steady(stack: Stack, watcher: AccessWatcher, operator: OperatorProcess, duration: float) -> dict[str, Any]:
    """``duration`` seconds of nothing happening: what the operator writes, reads and uses meanwhile."""
    mark, writes = stack.bao.audit.mark(), watcher.mark()
    cpu = operator.sample().cpu_seconds
    time.sleep(duration)
    sample = operator.sample()
    return {**audit_counts(stack.bao.audit, mark), **watcher.since(writes),
            "cpu_percent_of_core": round(100 * (sample.cpu_seconds - cpu) / duration, 3),
            "rss_mb": round(sample.rss_mb, 1), "peak_rss_mb": round(sample.peak_rss_mb, 1)}


def _write_seen(stack: Stack, start: int, path: str) -> float | None:
    for entry in requests_after(stack.bao.audit, start):
        request = entry.get("request") or {}
        if request.get("path") == path and request.get("operation") in ("create", "update"):
            return entry_time(entry)
    return None


def _percentile(values: list[float], share: float) -> float | None:
    return round(values[min(len(values) - 1, int(share * len(values)))], 3) if values else None


def propagation(stack: Stack, watcher: AccessWatcher, workload: Workload, kind: str, edits: int,
                timeout: float) -> dict[str, Any]:
    """``edits`` edits of one object each (``kind`` "policy" or "role"), one after another: edit to Vault write."""
    resource: ResourceSpec = VAULTPOLICIES if kind == "policy" else VAULTROLES
    keys = workload.policies() if kind == "policy" else workload.roles()
    latencies, rng = [], random.Random(7)
    slowest: list[tuple[float, float]] = []  # (latency, when edited): to set against a GC log (bench.whatif)
    mark, writes = stack.bao.audit.mark(), watcher.mark()
    for n in range(edits):
        namespace, name = rng.choice(keys)
        if kind == "policy":
            spec: dict[str, Any] = {"rules": [{"path": f"secret/data/{name}/edit-{n}/*", "capabilities": ["read"]}]}
            target = f"sys/policies/acl/{vault_name(namespace, name)}"
        else:
            spec = {"tokenTTL": f"{n + 1}m"}
            target = f"auth/{MOUNT}/role/{vault_name(namespace, name)}"
        start, edited = stack.bao.audit.mark(), time.time()
        stack.kube.call("PATCH", resource.url(namespace, name), json={"spec": spec},
                        headers={"Content-Type": "application/merge-patch+json"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (seen := _write_seen(stack, start, target)) is not None:
                latencies.append(seen - edited)
                slowest.append((round(seen - edited, 3), round(edited, 3)))
                break
            time.sleep(0.01)
    time.sleep(1.0)  # the last edit's status write and event
    counts = audit_counts(stack.bao.audit, mark)
    latencies.sort()
    kube = watcher.since(writes)
    kube["kube_writes"] -= edits  # the edits themselves: the rest is the operator's
    kube["kube_writes_by"][resource.plural] = kube["kube_writes_by"].get(resource.plural, 0) - edits
    return {"edits": edits, "seen": len(latencies), "p50_s": _percentile(latencies, 0.5),
            "p99_s": _percentile(latencies, 0.99), "slowest": sorted(slowest, reverse=True)[:3],
            "vault_writes": counts["writes"], "vault_reads": counts["reads"],
            "written": counts["written"], **kube}


def drift_interval_for(settle_s: float | None) -> float:
    """An interval long enough for the window of :func:`drift_spread`: 3.5 restart settle times, at least 30 s."""
    return float(max(30, 10 * math.ceil(3.5 * (settle_s or 0.0) / 10)))


def per_bucket(times: list[float], start: float, interval: float, buckets: int) -> list[int]:
    """How many of ``times`` fall in each of ``buckets`` equal parts of [start, start + interval).

    ``math.floor``, not ``int``: int() rounds toward zero, so the tenth just before ``start`` fell into the first
    bucket too (session 7's drift spread of 1.82 to 1.93 was that: the first bucket counted two tenths)."""
    counts = [0] * buckets
    for at in times:
        slot = math.floor((at - start) / (interval / buckets))
        if 0 <= slot < buckets:
            counts[slot] += 1
    return counts


def drift_spread(stack: Stack, count: int, interval: float, buckets: int = 10) -> dict[str, Any]:
    """A new operator process whose drift checks run every ``interval`` s (bench.whatif resync=…): its Vault
    reads per bucket of interval/buckets over one interval, from half an interval after its start.

    The window starts half an interval after the process's login (its objects' first passes wait for it): each
    object's first check falls at a uniformly random point of the interval after its first pass, the next one an
    interval (+-5%) later, so the window holds one check per object. Spread evenly, max/mean is near 1 (about 1.05
    from chance at 1,000 objects); all bunched, it nears ``buckets``."""
    mark = stack.bao.audit.mark()
    operator = OperatorProcess(stack.kube, what_if=f"resync={interval:g}").start()
    try:
        started = _login_time(stack, mark, timeout=60.0)
        time.sleep(max(0.0, started + interval / 2 - time.time()))
        cpu = operator.sample().cpu_seconds
        time.sleep(max(0.0, started + 1.5 * interval - time.time()))
        cpu = operator.sample().cpu_seconds - cpu
        time.sleep(1.0)  # requests in flight reach the audit log
    finally:
        operator.stop()
    times = [entry_time(entry) for entry in requests_after(stack.bao.audit, mark)
             if (request := entry.get("request") or {}).get("operation") == "read"
             and access_path(str(request.get("path", "")))]
    counts = per_bucket(times, started + interval / 2, interval, buckets)
    reads = sum(counts)
    return {"interval_s": interval, "buckets": counts, "reads": reads, "reads_per_object": round(reads / count, 2),
            "max_over_mean": round(max(counts) / (reads / buckets), 2) if reads else None,
            "operator_cpu_s": round(cpu, 2), "cpu_ms_per_read": round(1000 * cpu / reads, 2) if reads else None}
