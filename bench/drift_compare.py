"""Drift checks of two builds of the operator, alternated in one run: what one drift check costs.

    python -m bench.drift_compare --old 43ee385 --objects 3000 --interval 300 --window 60 --rounds 2

One stack (API emulator, OpenBao, bench.access's workload: half VaultPolicies, half VaultRoles, one connection),
synced once by the working tree's operator. Then, per round, each build (``--old``'s ``core/`` and ``plugins/``
extracted as bench.compare does, first on the child's PYTHONPATH; then the working tree) runs bench.access's
drift phase: a new process whose drift checks run every ``--interval`` s, measured over ``--window`` s (one
interval by default: each object checked once) from half an interval (at most 30 s) after its login. Per build:
operator CPU per check and as a share of a core, Vault reads per check and LISTs, the spread, and what that CPU
per check comes to at the default 5-minute interval and at 10,000 objects (CPU per check x objects / 300 s).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from vault_access_operator.access.settings import DEFAULT_RESYNC_SECONDS

from .access import sync
from .access_objects import Workload, grant_operator
from .access_phases import _login_time, per_bucket
from .access_watch import AccessWatcher, access_path, entry_time, requests_after
from .compare import extract
from .stack import OperatorProcess, Stack


def drift_round(stack: Stack, count: int, interval: float, window: float, code: Path | None,
                what_if: str = "") -> dict[str, Any]:
    """One drift phase of one build: CPU and Vault requests over ``window`` s of checks (an interval by default),
    from half an interval (30 s at most: the first checks are spread evenly from the first passes on) after its
    login. CPU per check: the process's CPU over the checks due in the window (count x window / interval), its
    idle cost (health checks, kopf) included."""
    mark = stack.bao.audit.mark()
    operator = OperatorProcess(stack.kube, what_if=",".join(w for w in (f"resync={interval:g}", what_if) if w))
    operator.code_first = code
    operator.start()
    try:
        started = _login_time(stack, mark, timeout=120.0)
        start = started + min(interval / 2, 30.0)
        end = start + window
        time.sleep(max(0.0, start - time.time()))
        cpu = operator.sample().cpu_seconds
        time.sleep(max(0.0, end - time.time()))
        cpu = operator.sample().cpu_seconds - cpu
        time.sleep(1.0)  # requests in flight reach the audit log
    finally:
        operator.stop()
    entries = [(entry_time(e), e.get("request") or {}) for e in requests_after(stack.bao.audit, mark)]
    inside = [(t, r) for t, r in entries if start <= t < end and access_path(str(r.get("path", "")))]
    reads = [t for t, r in inside if r.get("operation") == "read"]
    lists = sum(1 for _, r in inside if r.get("operation") == "list")
    writes = sum(1 for _, r in inside if r.get("operation") in ("create", "update", "delete"))
    counts = per_bucket(reads, start, window, 10)
    checks = count * window / interval
    per_check = cpu / checks
    return {"window_s": window, "cpu_s": round(cpu, 2), "percent_of_core": round(100 * cpu / window, 2),
            "cpu_ms_per_check": round(1000 * per_check, 3),
            "reads_per_check": round(len(reads) / checks, 3), "lists": lists, "writes": writes,
            "max_over_mean": round(max(counts) / (len(reads) / 10), 2) if reads else None,
            "percent_of_core_at_default_interval": round(100 * per_check * count / DEFAULT_RESYNC_SECONDS, 2),
            "percent_of_core_at_10000_default_interval": round(100 * per_check * 10_000 / DEFAULT_RESYNC_SECONDS, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True, help="the commit to compare the working tree with ('-': none, "
                        "only the working tree)")
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--interval", type=float, default=40.0, help="drift interval of the measured processes")
    parser.add_argument("--window", type=float, default=0.0, help="seconds measured (default: one interval)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--also", action="append", default=[], help="a bench.whatif change: the working tree under "
                        "it runs too, each round (repeatable)")
    args = parser.parse_args()
    workload = Workload(args.objects)
    with Stack() as stack, tempfile.TemporaryDirectory(prefix="bench-drift-") as scratch:
        old = None if args.old == "-" else extract(args.old, Path(scratch))
        client = stack.bao.client()
        grant_operator(client)
        workload.create(stack.kube)
        watcher = AccessWatcher(stack.kube).start()
        try:
            operator, _ = sync(stack, watcher, args.objects, 900.0, 5.0)
            operator.stop()
            for round_number in range(args.rounds):
                builds = ((args.old, old, ""),) if old is not None else ()
                also = tuple((f"working tree, {w}", None, w) for w in args.also)
                for name, code, what_if in (*builds, ("working tree", None, ""), *also):
                    figures = drift_round(stack, args.objects, args.interval, args.window or args.interval, code,
                                          what_if)
                    print(json.dumps({"round": round_number, "build": name, "objects": args.objects,
                                      "interval_s": args.interval, **figures}), flush=True)
        finally:
            watcher.stop()


if __name__ == "__main__":
    main()
