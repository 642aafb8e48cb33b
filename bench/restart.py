"""The restart phase of bench.scale: a new operator process with N connections already there, in rounds.

Each round stops the running operator (which revokes every token), runs the direct client once on the quiet
machine, then starts a new operator and times its N logins. Direct runs and restarts thus alternate over the
same minutes: on a shared host whose speed drifts between runs, a restart is compared with a direct run made
moments before it, not with one made minutes earlier.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections import Counter

from .observe import StatusWatcher
from .runner import WARMUP, Snapshot, direct_logins, freeze_heap, kube_requests, names, quiesce, wait_active
from .scale_access import PolicyStatuses, settle_cpu, vault_kinds
from .stack import OperatorProcess, Stack


@dataclasses.dataclass
class Direct:
    seconds: float = float("nan")
    cpu_seconds: float = float("nan")  # the client's own
    host_cpu_seconds: float = float("nan")  # FakeKube (this process) during the run
    bao_cpu_seconds: float = float("nan")

    @classmethod
    def of(cls, result: dict[str, float]) -> Direct:
        return cls(result["seconds"], result["cpu_seconds"], result["host_cpu_seconds"], result["bao_cpu_seconds"])


@dataclasses.dataclass
class Restart:
    stop_seconds: float  # the old operator's graceful stop (it revokes every token)
    settle_seconds: float  # then, until OpenBao had finished with the revocations
    direct: Direct | None  # the direct run of this round, between the stop and the new start
    spawned: float
    first: float
    last: float
    before: Snapshot  # at the new process's start
    after: Snapshot
    #: Counted from the new process's start until it settled (with access objects) or its last Active:
    status_writes: int = 0  # on the connections
    policy_status_writes: int = 0
    vault: dict[str, int] = dataclasses.field(default_factory=dict)  # scale_access.vault_kinds
    api: Counter[str] = dataclasses.field(default_factory=Counter)  # Kubernetes API requests, same span
    settle_seconds_after: float = 0.0  # from the last Active until the operator's CPU settled

    @property
    def span(self) -> float:
        return self.last - self.first


def restart(stack: Stack, args: argparse.Namespace, watcher: StatusWatcher, old: OperatorProcess,
            direct_threads: int | None, policies: PolicyStatuses | None = None) -> tuple[Restart, OperatorProcess]:
    """One round: stop ``old``, one direct run (unless ``direct_threads`` is None), start a new operator.

    With ``policies`` (access objects present), the round goes on after the last Active until the operator's
    CPU settles (its policies re-confirmed), and counts what it wrote until then."""
    stopping = time.monotonic()
    old.stop()
    stop_seconds = time.monotonic() - stopping
    settle_seconds = quiesce(stack)
    direct = None if direct_threads is None else Direct.of(direct_logins(stack, args.connections, direct_threads,
                                                                             args.direct_client))
    watcher.reset()
    quiesce(stack)
    freeze_heap()
    mark, writes, (served, _) = stack.bao.audit.mark(), watcher.counters()[1], kube_requests(stack)
    policy_writes = policies.status_writes if policies else 0
    new = OperatorProcess(stack.kube, what_if=args.what_if).start()
    spawned = time.monotonic()
    before = Snapshot.take(stack, new)
    wanted = {*names(args.connections), WARMUP}
    last = wait_active(watcher, wanted, new, args.timeout)
    first = min(watcher.activated[name] for name in wanted)
    round_ = Restart(stop_seconds, settle_seconds, direct, spawned, first, last, before, Snapshot.take(stack, new))
    if policies is not None:  # a quarter of a core: above the steady health checks of 1,000 connections
        round_.settle_seconds_after = settle_cpu(new, args.timeout, share=0.25)
        round_.policy_status_writes = policies.status_writes - policy_writes
    round_.status_writes = watcher.counters()[1] - writes
    round_.vault = vault_kinds(stack.bao.audit, mark)
    round_.api = kube_requests(stack, served)[1]
    return round_, new


def rows(n: int, best_direct: Direct, rounds: list[Restart], startup_cpu: float) -> list[tuple[str, str, str]]:
    """``startup_cpu``: what the first operator had spent when it first served (imports, kopf start-up)."""
    best = min(rounds, key=lambda r: r.span)
    cpu = best.after.operator.cpu_seconds - startup_cpu
    paired = [r.direct.seconds / r.span for r in rounds if r.direct is not None]
    pairs = ", ".join(f"{r.direct.seconds:.1f}/{r.span:.1f}s" for r in rounds if r.direct is not None)
    lines = [
        ("restart: old operator stop", f"{best.stop_seconds:.1f}s", "graceful stop, revoking every token; then "
         f"{best.settle_seconds:.1f}s until OpenBao was quiet (checked in 0.5 s windows) before the direct run"),
        ("restart: all Active", f"{best.last - best.spawned:.1f}s", f"after the new process started (first Active "
         f"after {best.first - best.spawned:.1f}s: Python + kopf startup); best of {len(rounds)} rounds"),
        ("restart: ratio operator/direct", f"{best_direct.seconds / best.span:.2f}", f"{n / best.span:.0f}/s from "
         "the first to the last Active; the fastest direct run of the whole benchmark over the fastest restart; "
         "the cleanest throughput figure (no creates competing for the API); target >= 0.8"),
        ("restart: ratio, round by round", f"{statistics.median(paired):.2f}" if paired else "-",
         f"median of direct/restart in each round (direct run just before the restart: {pairs})"),
        ("restart: operator CPU", f"{cpu:.1f}s", f"{cpu / n * 1000:.1f} ms per connection (the fastest round; "
         "startup excluded)"),
        ("restart: CPU per login, all", _split(best, n, startup_cpu), "operator + FakeKube + OpenBao, ms per "
         f"connection, against direct {_direct_split(best_direct, n)} (client + FakeKube + OpenBao): the processes "
         "share 2 cores"),
        ("restart: ratio, zero-CPU operator", f"{_zero_cost_ratio(best_direct, best):.2f}", "the ratio if the "
         "operator cost nothing: what FakeKube and OpenBao spend on its connections alone bounds it"),
        ("restart: operator peak RSS", f"{best.after.operator.peak_rss_mb:.0f} MB", ""),
        ("restart: connection status writes", ", ".join(f"{r.status_writes / n:.2f}" for r in rounds),
         "per connection, each round (the login's: 1 expected)" + (", until the operator settled" if
                                                                  best.settle_seconds_after else "")),
        ("restart: Vault requests", "; ".join(", ".join(f"{k} {v}" for k, v in r.vault.items() if v)
                                              for r in rounds), "each round, from the new process's start"),
        ("restart: Kubernetes requests", "; ".join(", ".join(f"{k} {v / n:.2f}" for k, v in r.api.most_common()
                                                           if v >= n / 100) for r in rounds),
         "per connection, each round, from the new process's start (those under 0.01 left out)"),
    ]
    if any(r.settle_seconds_after for r in rounds):
        lines += [("restart: policy status writes", ", ".join(f"{r.policy_status_writes}" for r in rounds),
                   "each round, until the operator's CPU settled (0 expected)"),
                  ("restart: settled after last Active", ", ".join(f"{r.settle_seconds_after:.1f}s" for r in rounds),
                   "until the operator used under a quarter of a core over 2 s")]
    return lines


def _split(run: Restart, n: int, startup_cpu: float) -> str:
    after, before = run.after, run.before
    parts = (after.operator.cpu_seconds - startup_cpu, after.host.cpu_seconds - before.host.cpu_seconds,
             after.bao.cpu_seconds - before.bao.cpu_seconds)
    return " + ".join(f"{part / n * 1000:.1f}" for part in parts)


def _direct_split(direct: Direct, n: int) -> str:
    parts = (direct.cpu_seconds, direct.host_cpu_seconds, direct.bao_cpu_seconds)
    return " + ".join(f"{part / n * 1000:.1f}" for part in parts)


def _zero_cost_ratio(direct: Direct, run: Restart, cores: int = 2) -> float:
    """Direct time over the shortest restart the other two processes' CPU allows on ``cores`` cores."""
    others = (run.after.host.cpu_seconds - run.before.host.cpu_seconds
              + run.after.bao.cpu_seconds - run.before.bao.cpu_seconds)
    return direct.seconds / (others / cores) if others > 0 else float("nan")
