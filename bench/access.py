"""Access objects at scale: N objects (half VaultPolicies, half VaultRoles binding them) over N/20 namespaces and
one connection, against real OpenBao (bench.access_objects says what exactly).

For each N of ``--objects`` (a fresh OpenBao and API emulator each time), one JSON line:

- **direct**: the fastest client we have (bench.access_direct; ``--direct-client``, by default asyncio + aiohttp
  with 32 requests in flight on kept-alive connections; a token with the operator's Vault policies) writes the
  same N/2 policy documents and N/2 role payloads, then reads them back, then writes them again with the root
  token (OpenBao checks no ACL for it); CPU of it, OpenBao and the emulator meanwhile.
- **sync**: the N objects exist, unsynced; the operator starts: from its connection's Active to the last object
  Active. ratio = direct write time / operator time (target 0.8), and the same by CPU seconds (contention for
  the cores skews it less); CPU seconds and share of the machine of the operator, OpenBao and the emulator
  (this process); Vault requests and Kubernetes writes per object (until they stop, after the last Active).
- **restart**: a new operator process with everything synced: the time until every object is confirmed (its
  first pass done, bench.access_confirmed) against the direct client's read time (target at most 2), then until
  its CPU settled; Vault writes and reads, status writes meanwhile (target 0, at most N reads, 0).
- **steady**: ``--duration`` seconds: writes of any kind (target 0), Vault reads, operator CPU, RSS.
- **propagation**: ``--edits`` edits of one policy each, then of one role each, one after another: edit to its
  write in OpenBao's audit log (p50, p99; target p99 under 1 s), and the writes counted (target one each).
- **drift**: a new process whose drift checks run every ``--drift-interval`` s (by default 3.5 restart settle
  times): Vault reads per tenth of an interval over one interval (max/mean: near 1 when spread, near 10 for a
  thundering herd).

    python -m bench.access --objects 1000,3000,10000 --duration 30 --edits 100 > out.json
    python -m bench.access_report < out.json  # the JSON lines as the tables of bench/README.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import access_phases
from .access_cpu import CpuMeter
from .access_objects import Workload, direct_files
from .access_watch import AccessWatcher, audit_counts
from .stack import ROLE, OperatorProcess, Stack

# The direct client bench.access measures against, and how many requests it keeps in flight: the fastest of
# bench.access_direct_compare's runs (bench/README.md, session 13, "the direct clients").
DIRECT_CLIENT, DIRECT_CONCURRENCY = "asyncio", 32


def _direct(stack: Stack, work_file: str, mode: str, token_file: str | None, client: str = DIRECT_CLIENT,
            concurrency: int = DIRECT_CONCURRENCY) -> dict[str, Any]:
    """The direct client's run, with the CPU of it, OpenBao and the emulator over it."""
    assert stack.bao.proc is not None
    meter = CpuMeter({"openbao": stack.bao.proc.pid})
    command = [sys.executable, "-m", "bench.access_direct", "--vault", stack.bao.url, "--work-from", work_file,
               "--mode", mode, "--concurrency", str(concurrency), "--client", client,
               *(["--token-from", token_file] if token_file else [])]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return {"client": client, "concurrency": concurrency, "seconds": round(result["seconds"], 3),
            "errors": result["errors"], **meter.stop({"direct": result["cpu_seconds"]})}


def _per_object(counts: dict[str, int], count: int) -> dict[str, float]:
    return {name: round(value / count, 2) for name, value in sorted(counts.items())}


def _cpu_ratio(direct: dict[str, Any], sync: dict[str, Any]) -> float:
    """The ratio by CPU seconds, which contention for the cores does not skew as wall time: the direct client's
    and OpenBao's over the direct write, against the operator's and OpenBao's over the sync (the emulator, which
    stands in for an API server that runs elsewhere in a cluster, is reported on its own)."""
    spent = sync["operator_cpu_s"] + sync["openbao_cpu_s"]
    return round((direct["direct_cpu_s"] + direct["openbao_cpu_s"]) / spent, 3) if spent else 0.0


def sync(stack: Stack, watcher: AccessWatcher, count: int, timeout: float,
         quiet: float = 10.0) -> tuple[OperatorProcess, dict[str, Any]]:
    """The operator started on N unsynced objects: connection Active to last object Active; its writes are
    counted until none came for ``quiet`` seconds."""
    mark, writes = stack.bao.audit.mark(), watcher.mark()
    operator = OperatorProcess(stack.kube).start()
    stack.kube.create_vaultconnection("vault", {"address": stack.bao.url, "healthCheckInterval": "30s",
                                                "auth": {"kubernetes": {"role": ROLE}}})
    watcher.wait_connection_active(timeout)
    assert stack.bao.proc is not None
    meter = CpuMeter({"operator": operator.pid, "openbao": stack.bao.proc.pid})
    last = watcher.wait_all_active(count, timeout)
    cpu = meter.stop()
    seconds = last - (watcher.connection_active or last)
    # The operator is not done when the last object shows Active: kopf's own patches and the connection's
    # dependants count follow, with pauses of several seconds under load. Counted here (a restart that finds
    # some still to do does them: its kube_writes_by says so).
    tail = watcher.wait_writes_quiet(quiet, timeout) - last
    vault = audit_counts(stack.bao.audit, mark)
    kube = watcher.since(writes)
    return operator, {"seconds": round(seconds, 3), "writes_after_last_active_s": round(max(0.0, tail), 2),
                      **cpu, "rss_mb": round(operator.sample().rss_mb, 1),
                      "vault_requests_per_object": round(vault["requests"] / count, 2),
                      "vault_per_object": _per_object({k: vault[k] for k in ("writes", "reads", "lists")}, count),
                      "status_writes_per_object": round(kube["status_writes"] / count, 2),
                      "kube_writes_per_object": round(kube["kube_writes"] / count, 2),
                      "kube_writes_by_per_object": _per_object(kube["kube_writes_by"], count)}


def one_size(count: int, duration: float, edits: int, drift_interval: float, timeout: float,
             quiet: float = 10.0, direct_client: str = DIRECT_CLIENT) -> dict[str, Any]:
    workload = Workload(count)
    figures: dict[str, Any] = {"direct_client": direct_client, "objects": count, "policies": workload.pairs,
                               "roles": workload.pairs, "namespaces": len(workload.namespaces)}
    with Stack() as stack, tempfile.TemporaryDirectory(prefix="bench-access-") as scratch:
        # The direct client holds a token with the operator's Vault policies; the same writes with the root
        # token, which OpenBao checks no ACL for, for comparison.
        work_file, token_file = direct_files(stack.bao.client(), workload, Path(scratch))
        figures["direct_write"] = _direct(stack, str(work_file), "write", str(token_file), direct_client)
        figures["direct_read"] = _direct(stack, str(work_file), "read", str(token_file), direct_client)
        figures["direct_write_root"] = _direct(stack, str(work_file), "write", None, direct_client)

        workload.create(stack.kube)
        watcher = AccessWatcher(stack.kube).start()
        operator: OperatorProcess | None = None
        try:
            operator, figures["sync"] = sync(stack, watcher, count, timeout, quiet)
            figures["ratio_initial"] = round(figures["direct_write"]["seconds"] / figures["sync"]["seconds"], 3)
            figures["ratio_initial_cpu"] = _cpu_ratio(figures["direct_write"], figures["sync"])
            operator.stop()
            operator, figures["restart"] = access_phases.restart(stack, watcher, count, timeout)
            settle, read = figures["restart"]["settle_s"], figures["direct_read"]["seconds"]
            figures["restart"]["confirmed_over_direct_read"] = round(figures["restart"]["confirmed_s"] / read, 2)
            figures["restart"]["settle_over_direct_read"] = round(settle / read, 2) if settle is not None else None
            figures["steady"] = access_phases.steady(stack, watcher, operator, duration)
            figures["propagation_policy"] = access_phases.propagation(stack, watcher, workload, "policy", edits,
                                                                      timeout)
            figures["propagation_role"] = access_phases.propagation(stack, watcher, workload, "role", edits,
                                                                    timeout)
            operator.stop()
            if drift_interval != 0:
                interval = drift_interval if drift_interval > 0 else access_phases.drift_interval_for(settle)
                figures["drift"] = access_phases.drift_spread(stack, count, interval)
        finally:
            if operator is not None:
                operator.stop()
            watcher.stop()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", default="1000,3000,10000", help="sizes, comma-separated, each even")
    parser.add_argument("--duration", type=float, default=30.0, help="steady-state seconds")
    parser.add_argument("--edits", type=int, default=100, help="edits of policies, then as many of roles")
    parser.add_argument("--drift-interval", type=float, default=-1.0, help="resync seconds of the drift phase; "
                        "0 skips it, the default (-1) is 3.5 times the restart's settle time, at least 30 s; the "
                        "phase takes 1.5 intervals")
    parser.add_argument("--direct-client", choices=("asyncio", "threads"), default=DIRECT_CLIENT,
                        help="the direct client's kind (bench.access_direct --client)")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    started = time.monotonic()
    for count in (int(n) for n in args.objects.split(",")):
        print(json.dumps(one_size(count, args.duration, args.edits, args.drift_interval, args.timeout,
                                  direct_client=args.direct_client)), flush=True)
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
