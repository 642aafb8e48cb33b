"""The first phases of bench.scale: the direct baseline (thread count tuned) and the burst of N creates."""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter

from .observe import StatusWatcher
from .report import percentile
from .restart import Direct
from .runner import Snapshot, create, direct_logins, freeze_heap, kube_requests, names, quiesce, wait_active
from .stack import OperatorProcess, Stack

SWEEP = (8, 16, 32, 64)
Rows = list[tuple[str, str, str]]


@dataclasses.dataclass
class Tuned:
    threads: int
    sweep: str
    best: Direct  # the fastest direct run so far

    def add(self, run: Direct | None) -> None:
        if run is not None and run.seconds < self.best.seconds:
            self.best = run


def tune_direct(stack: Stack, logins: int, fixed: int | None, runs: int, client: str = "threads") -> Tuned:
    """The fastest direct run: sweep the thread count (logins in flight) on a sample, then time all ``logins``
    with the best, ``runs`` times, keeping the fastest (the machine is shared: the limit is the best run, not the
    mean). ``client``: bench.direct's ``--client``."""
    sweep, best = "fixed", fixed
    if best is None:
        sample = min(logins, 200)
        timings = {c: direct_logins(stack, sample, c, client)["seconds"] for c in SWEEP}
        best = min(timings, key=lambda c: timings[c])
        sweep = ", ".join(f"{c}: {sample / t:.0f}/s" for c, t in timings.items())
    result = min((direct_logins(stack, logins, best, client) for _ in range(runs)), key=lambda r: r["seconds"])
    return Tuned(best, sweep, Direct.of(result))


@dataclasses.dataclass
class Burst:
    created: dict[str, float]
    activated: dict[str, float]
    before: Snapshot
    after: Snapshot
    events: int
    api: Counter[str]  # Kubernetes API requests during the burst


def burst(stack: Stack, args: argparse.Namespace, watcher: StatusWatcher, operator: OperatorProcess) -> Burst:
    quiesce(stack)
    freeze_heap()
    before, (events, _), (served, _) = Snapshot.take(stack, operator), watcher.counters(), kube_requests(stack)
    created = create(stack, names(args.connections), args.interval)
    wait_active(watcher, set(created), operator, args.timeout)
    after = Snapshot.take(stack, operator)
    api = kube_requests(stack, served)[1]
    return Burst(created, dict(watcher.activated), before, after, watcher.counters()[0] - events, api)


def burst_rows(args: argparse.Namespace, tuned: Tuned, run: Burst) -> Rows:
    n, direct = args.connections, tuned.best
    span = max(run.activated[name] for name in run.created) - min(run.created.values())
    creating = max(run.created.values()) - min(run.created.values())
    to_active = [run.activated[name] - at for name, at in run.created.items()]
    cpu = run.after.operator.cpu_seconds - run.before.operator.cpu_seconds
    busy = cpu + run.after.host.cpu_seconds - run.before.host.cpu_seconds + run.after.bao.cpu_seconds - \
        run.before.bao.cpu_seconds
    return [
        ("connections", f"{n}", f"interval {args.interval}, token TTL {args.ttl}, 2 CPUs shared by all processes"),
        ("direct: N logins", f"{direct.seconds:.1f}s", f"{n / direct.seconds:.0f}/s, {tuned.threads} in flight "
         f"({getattr(args, 'direct_client', 'threads')} client), "
         f"{direct.cpu_seconds / n * 1000:.1f} ms client CPU each (TokenRequest + login; sweep {tuned.sweep}; "
         "the fastest run of the benchmark, restart rounds included)"),
        ("burst: all Active", f"{span:.1f}s", f"{n / span:.0f}/s from the first create to the last Active (the "
         f"creates alone took {creating:.1f}s: bench.apply, 8 in flight)"),
        ("burst: ratio operator/direct", f"{direct.seconds / span:.2f}", "throughput with the creates competing "
         "for the cores: the two bounds below cap it; the 0.8 target is the restart's (bench/README.md)"),
        ("burst: ratio, instant operator", f"{direct.seconds / creating:.2f}", "direct / the creates alone: an "
         "operator that brought each connection Active the moment it was created would reach this"),
        ("burst: ratio the CPU allows", f"{direct.seconds / (busy / 2):.2f}", f"direct / ({busy:.1f} CPU-seconds of "
         "operator + FakeKube + OpenBao in the burst / 2 cores), bench.apply's own CPU not even counted"),
        ("burst: time-to-Active p50", f"{percentile(to_active, 0.5):.2f}s", "create -> Active of each connection, "
         "including its wait behind the others of the burst"),
        ("burst: time-to-Active p99", f"{percentile(to_active, 0.99):.2f}s", ""),
        ("burst: operator CPU", f"{cpu:.1f}s", f"{cpu / n * 1000:.1f} ms per connection brought Active (direct "
         f"client: {direct.cpu_seconds / n * 1000:.1f} ms per login)"),
        ("burst: watch events/connection", f"{run.events / n:.1f}", "each one is processed by kopf too"),
        ("burst: FakeKube+bench CPU", f"{run.after.host.cpu_seconds - run.before.host.cpu_seconds:.1f}s",
         "this process: the Kubernetes API emulator (TokenRequest, TokenReview for each login, status, events, "
         "watches), the watcher and the creates"),
        ("burst: OpenBao CPU", f"{run.after.bao.cpu_seconds - run.before.bao.cpu_seconds:.1f}s", ""),
    ]

