"""N VaultConnections through the operator against one local OpenBao, beside the same N logins done directly.

    python -m bench.scale --connections 1000 --interval 10s --duration 30 [--policies K]

Phases, in one run: (1) the direct baseline: N logins by the fastest client we have (bench.direct, asyncio by
default, ``--direct-client``; logins in flight tuned); (2) burst: the operator runs, N connections are created at
once; (2b) with ``--policies K``: K VaultPolicies per connection are created and synced (bench/scale_access.py), and
stay for the rest of the run; (3) steady state for --duration seconds, after ``--settle`` seconds; (3b) health
checks side by side: the operator's CPU per check against the direct client's CPU per token lookup, both running at
once for --duration seconds (bench/checks.py); (4) restart, in --restarts rounds: the running operator stops, the
direct client runs once more, a new operator process starts with the N connections already there (bench/restart.py).
Prints each figure with how to read it. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import checks, restart, scale_access
from .burst import Burst, Rows, Tuned, burst, burst_rows, tune_direct
from .observe import StatusWatcher
from .report import seconds, table
from .restart import Direct
from .runner import Window, add_run_arguments, exit_cleanly_on_sigterm, names, start_operator, steady_window
from .scale_access import PolicyStatuses, vault_kinds
from .stack import OperatorProcess, Stack
from .whatif import WHAT_IFS


def steady_rows(args: argparse.Namespace, window: Window, run: Burst, policy_writes: int | None) -> Rows:
    total, per_interval = args.connections + 1, window.seconds / seconds(args.interval)  # + the warm-up one
    lookups = window.requests["auth/token/lookup-self"]
    cpu = window.end.operator.cpu_seconds - window.start.operator.cpu_seconds
    peak, base = window.end.operator.peak_rss_mb, run.before.operator.rss_mb
    rows = [
        ("operator peak RSS", f"{peak:.0f} MB", f"VmHWM after burst + steady state ({base:.0f} MB with one "
         f"connection: ~{(peak - base) * 1024 / args.connections:.0f} kB per connection); target < 150 MB at 1,000"),
        ("steady: operator RSS", f"{window.end.operator.rss_mb:.0f} MB", "VmRSS at the end of the steady window"),
        ("steady: operator CPU", f"{cpu / window.seconds * 100:.2f}%", f"of one core over {window.seconds:.0f}s: "
         f"{cpu / total / per_interval * 1000:.2f} ms per connection per health check"),
        ("steady: Vault requests/conn/interval", f"{lookups / total / per_interval:.2f}",
         f"token lookups in the audit log over {window.seconds:.0f}s; target 1; other requests: "
         f"{sum(window.requests.values()) - lookups}"),
        ("steady: status writes/conn/interval", f"{window.status_writes / total / per_interval:.2f}",
         "status changes a watch saw; target 0"),
    ]
    if policy_writes is not None:
        rows.append(("steady: policy status writes", f"{policy_writes}", "VaultPolicy status changes; target 0"))
    return rows


def memory_report(operator: OperatorProcess, phase: str, rows: Rows) -> None:
    """Under ``--memtrace``: the RSS now and a memory report (bench.memtrace) named after the phase."""
    rss = operator.sample().rss_mb
    report = operator.memory_report()
    if report is not None:
        named = report.rename(report.with_name(f"{phase}-{report.name}"))
        rows.append((f"{phase}: operator RSS", f"{rss:.0f} MB", f"before the report {named}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, connections=1000, ttl="1h", interval="10s", duration=30.0, timeout=900.0)
    parser.add_argument("--concurrency", type=int, default=None, help="the direct client's logins in flight "
                        "(default: tuned)")
    parser.add_argument("--direct-client", choices=("threads", "asyncio"), default="asyncio",
                        help="bench.direct --client: asyncio (aiohttp, the faster: the default since session 13) or "
                        "threads (hvac, the figures of sessions 4 - 12)")
    parser.add_argument("--direct-runs", type=int, default=3, help="time the direct logins this often, keep the best")
    parser.add_argument("--skip-direct", action="store_true", help="do not run the direct baseline")
    parser.add_argument("--restarts", type=int, default=3, help="restart rounds (each with a direct run before)")
    parser.add_argument("--policies", type=int, default=0, help="VaultPolicies per connection (bench/scale_access.py)")
    parser.add_argument("--settle", type=float, default=0.0, help="seconds to wait before the steady window (at "
                        "least one interval); 360 lets every policy reach its drift checks (300 s +- 20%%)")
    parser.add_argument("--skip-checks", action="store_true", help="no side-by-side health check phase")
    parser.add_argument("--profile", type=Path, default=None, help="directory: CPU-profile the first operator "
                        "(all threads, sampled; phase-1.txt = burst, phase-2.txt = steady state)")
    parser.add_argument("--memtrace", type=Path, default=None, help="directory: run the first operator under "
                        "bench.memtrace and write its memory reports there (after the burst, the sync and the "
                        "steady window; MEMTRACE_FRAMES=1 adds allocation sites)")
    parser.add_argument("--what-if", choices=sorted(WHAT_IFS), default=None,
                        help="run both operators with an experimental change (bench/whatif.py)")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    began = time.monotonic()
    rows: Rows = []
    with Stack(ttl=args.ttl, access=args.policies > 0) as stack:
        tuned = (Tuned(0, "skipped", Direct()) if args.skip_direct
                 else tune_direct(stack, args.connections, args.concurrency, args.direct_runs,
                             args.direct_client))
        watcher = StatusWatcher(stack.kube).start()
        statuses = PolicyStatuses(stack.kube).start() if args.policies else None
        operator = start_operator(stack, watcher, args.interval, args.profile, args.what_if, memtrace=args.memtrace)
        try:
            startup_cpu = operator.sample().cpu_seconds
            operator.profile_phase(start=True)
            run = burst(stack, args, watcher, operator)
            operator.profile_phase(start=False)  # phase-1.txt: the burst
            memory_report(operator, "burst", rows)
            if statuses is not None:
                synced = scale_access.sync(stack, operator, statuses, lambda: watcher.counters()[1],
                                           names(args.connections), args.policies, args.timeout)
                rows += scale_access.sync_rows(synced, args.connections)
                memory_report(operator, "sync", rows)
            time.sleep(max(seconds(args.interval), args.settle))  # every connection reaches its steady schedule
            operator.profile_phase(start=True)
            policy_writes = statuses.status_writes if statuses else 0
            window = steady_window(stack, operator, watcher, args.duration)
            operator.profile_phase(start=False)  # phase-2.txt: steady state
            rows += steady_rows(args, window, run, statuses.status_writes - policy_writes if statuses else None)
            memory_report(operator, "steady", rows)
            if statuses is not None:
                rows.append(("steady: Vault requests", ", ".join(f"{k} {v}" for k, v in vault_kinds(
                    stack.bao.audit, *window.marks).items()), "policy reads are drift checks (300 s +- 20% each)"))
            if not args.skip_checks:
                rows += checks.rows(checks.side_by_side(stack, operator, args.connections + 1, args.interval,
                                                        args.duration, client=args.direct_client))
            rounds = []
            for _ in range(args.restarts):
                again, operator = restart.restart(stack, args, watcher, operator, tuned.threads or None, statuses)
                tuned.add(again.direct)
                rounds.append(again)
        finally:
            watcher.stop()
            if statuses is not None:
                statuses.stop()
            operator.stop()
    title = (f"python -m bench.scale --connections {args.connections} --interval {args.interval} --ttl {args.ttl} "
             f"--duration {args.duration:g}" + (f" --policies {args.policies}" if args.policies else "")
             + (f" --what-if {args.what_if}" if args.what_if else ""))
    rows = burst_rows(args, tuned, run) + rows  # the fastest direct run: restart rounds included
    if rounds:
        rows += restart.rows(args.connections, tuned.best, rounds, startup_cpu)
    print(table(title, [*rows, ("benchmark took", f"{time.monotonic() - began:.0f}s", "")]))
    print("Vault requests in the steady window, by path:", dict(window.requests.most_common(8)))
    per = {k: round(v / args.connections, 2) for k, v in run.api.most_common()}
    print("Kubernetes API requests per connection during the burst (creates and TokenReviews included):", per)


if __name__ == "__main__":
    main()
