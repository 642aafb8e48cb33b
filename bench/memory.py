"""Where the operator's memory goes with N VaultPolicies: RSS after the initial sync, after a restart, in steady state.

The phases of bench.access (without the direct client and the edits), with the operator run under
bench.memtrace: after each phase its RSS is sampled, then it writes a memory report (live objects by type,
the C allocator's view, and with ``--frames`` > 0 tracemalloc's top allocation sites) into ``--out``.

    python -m bench.memory --objects 1000,3000 --duration 20 --out /tmp/mem [--frames 1]

RSS figures are only meaningful with ``--frames 0`` (tracemalloc keeps a record per allocation); the
allocation sites need ``--frames`` 1 or more.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from vault_access_operator_devkit.kube_resources import VAULTPOLICIES

from .access_objects import grant_operator, policy_rules
from .access_watch import AccessWatcher
from .scale_access import settle_cpu
from .stack import ROLE, OperatorProcess, Stack


def _phase(operator: OperatorProcess, name: str, figures: dict[str, Any]) -> None:
    sample = operator.sample()
    figures[name] = {"rss_mb": round(sample.rss_mb, 1), "peak_rss_mb": round(sample.peak_rss_mb, 1)}
    report = operator.memory_report()
    if report is not None:
        figures[name]["report"] = str(report.rename(report.with_name(f"{figures['objects']}-{name}.txt")))


def one_size(count: int, duration: float, out: Path, timeout: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"objects": count}
    with Stack() as stack:
        client = stack.bao.client()
        grant_operator(client)
        namespaces = [f"team-{i}" for i in range(max(1, count // 20))]
        for namespace in namespaces:
            stack.kube.ensure_namespace(namespace)
        for i in range(count):
            namespace = namespaces[i % len(namespaces)]
            stack.kube.call("POST", VAULTPOLICIES.url(namespace), json={
                "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": f"p{i}", "namespace": namespace},
                "spec": {"connectionRef": "vault", "rules": policy_rules(i)}})
        watcher = AccessWatcher(stack.kube).start()
        operator = OperatorProcess(stack.kube, memtrace=out).start()
        try:
            stack.kube.create_vaultconnection("vault", {"address": stack.bao.url, "healthCheckInterval": "30s",
                                                        "auth": {"kubernetes": {"role": ROLE}}})
            watcher.wait_connection_active(timeout)
            watcher.wait_all_active(count, timeout)
            _phase(operator, "sync", figures)

            operator.stop()
            operator = OperatorProcess(stack.kube, memtrace=out).start()
            # Settled by its CPU: Vault never goes quiet now, the drift checks being spread over their interval.
            time.sleep(5.0)
            settle_cpu(operator, timeout)
            _phase(operator, "restart", figures)
            time.sleep(duration)
            _phase(operator, "steady", figures)
        finally:
            operator.stop()
            watcher.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", default="1000,3000")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--frames", type=int, default=0, help="tracemalloc frames per allocation (0: off)")
    parser.add_argument("--trim", action="store_true", help="each report ends with malloc_trim(0) and the RSS after")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-memory"))
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    os.environ["MEMTRACE_FRAMES"] = str(args.frames)  # the operator processes inherit these
    os.environ["MEMTRACE_TRIM"] = "1" if args.trim else "0"
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for count in (int(n) for n in args.objects.split(",")):
        print(json.dumps(one_size(count, args.duration, args.out, args.timeout)), flush=True)
    print(f"took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
