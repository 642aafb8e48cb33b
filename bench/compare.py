"""Restarts of two builds of the operator, alternated in one run: what a change costs per connection.

    python -m bench.compare --old 4e001e0 --connections 1000 --rounds 3 [--policies K] [--steady SECONDS]

On a shared machine the CPU a login costs drifts by tens of percent within minutes, so two builds are only
comparable in the same run. One stack (API emulator, OpenBao, N connections, optionally K VaultPolicies per
connection: bench/scale_access.py) and restarts that alternate between the working tree's operator and the
one of commit ``--old`` (its ``core/`` and ``plugins/`` extracted with ``git archive`` and put first on the
child's PYTHONPATH; the plugins its entry points name must exist there). Each restart: the running operator
stops, OpenBao settles, the other build starts; counted until its last connection is Active (and, with
policies, until its CPU settled): operator CPU per connection (its own start-up, measured once per build with
no connection at all, taken off), connection status writes, Kubernetes API requests and Vault requests.
With ``--steady SECONDS``: then, one health interval (10 s) later, the build's steady state for that long:
its CPU per health check (all of its CPU in the window over its token lookups in the audit log). Each round
also reports the operator's RSS and peak RSS (VmHWM) once it settled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

from vault_access_operator_devkit.kube import FakeKube

from .observe import StatusWatcher
from .report import table
from .runner import REPO, WARMUP, create, freeze_heap, kube_requests, names, quiesce, start_operator, wait_active
from .scale_access import PolicyStatuses, settle_cpu, sync, vault_kinds
from .stack import OperatorProcess, Stack

NEW = "working tree"
INTERVAL_SECONDS = 10


def extract(commit: str, into: Path) -> Path:
    """``<into>/src/vault_access_operator``: the commit's core/ with its plugins/ inside, as installed."""
    archive = into / "tree.tar"
    subprocess.run(["git", "archive", "-o", str(archive), commit, "core", "plugins"], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    package = into / "src" / "vault_access_operator"
    package.mkdir(parents=True)
    for entry in (into / "core").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "plugins").symlink_to(into / "plugins")
    return into / "src"


def startup_cpu(code: str | None) -> float:
    """CPU of a build's start-up alone: an operator on an empty API, until it idles."""
    with FakeKube() as kube:
        operator = _start(kube, code)
        try:
            time.sleep(1.0)
            settle_cpu(operator, 60.0, share=0.02)
            return operator.sample().cpu_seconds
        finally:
            operator.stop()


def _start(kube: FakeKube, code: str | None) -> OperatorProcess:
    os.environ.pop("PYTHONPATH", None)
    if code is not None:
        os.environ["PYTHONPATH"] = code  # the child's imports find this build first
    try:
        return OperatorProcess(kube).start()
    finally:
        os.environ.pop("PYTHONPATH", None)


def steady(stack: Stack, operator: OperatorProcess, seconds: float) -> dict[str, float]:
    """The operator's CPU per health check and share of a core over ``seconds``, one interval after it settled."""
    time.sleep(INTERVAL_SECONDS)  # every connection on its steady schedule
    mark, cpu, began = stack.bao.audit.mark(), operator.sample().cpu_seconds, time.monotonic()
    time.sleep(seconds)
    cpu, took = operator.sample().cpu_seconds - cpu, time.monotonic() - began
    lookups = stack.bao.audit.requests_since(mark, stack.bao.audit.mark())["auth/token/lookup-self"]
    return {"steady_ms_per_check": 1000 * cpu / max(lookups, 1), "steady_core_percent": 100 * cpu / took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", required=True, help="the commit to compare the working tree with")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="restarts of each build")
    parser.add_argument("--policies", type=int, default=0, help="VaultPolicies per connection")
    parser.add_argument("--steady", type=float, default=0.0, help="seconds of steady state after each restart")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        builds: dict[str, str | None] = {NEW: None, args.old: str(extract(args.old, Path(scratch)))}
        startup = {label: startup_cpu(code) for label, code in builds.items()}
        results: dict[str, list[dict[str, float]]] = {label: [] for label in builds}
        with Stack(access=args.policies > 0) as stack:
            watcher = StatusWatcher(stack.kube).start()
            statuses = PolicyStatuses(stack.kube).start() if args.policies else None
            operator = start_operator(stack, watcher, f"{INTERVAL_SECONDS}s")
            try:
                created = create(stack, names(args.connections), f"{INTERVAL_SECONDS}s")
                wait_active(watcher, set(created), operator, args.timeout)
                if statuses is not None:
                    sync(stack, operator, statuses, lambda: watcher.counters()[1], names(args.connections),
                         args.policies, args.timeout)
                for label in [label for _ in range(args.rounds) for label in builds]:
                    operator.stop()
                    quiesce(stack)
                    watcher.reset()
                    freeze_heap()
                    mark, writes, (served, _) = stack.bao.audit.mark(), watcher.counters()[1], kube_requests(stack)
                    operator = _start(stack.kube, builds[label])
                    spawned = time.monotonic()
                    last = wait_active(watcher, {*names(args.connections), WARMUP}, operator, args.timeout)
                    cpu_active = operator.sample().cpu_seconds
                    if statuses is not None:
                        settle_cpu(operator, args.timeout, share=0.25)
                    n = args.connections + 1
                    api = kube_requests(stack, served)[1]
                    memory = operator.sample()
                    results[label].append({
                        "rss_mb": memory.rss_mb,  # after the restart (settled, with policies): not per connection
                        "peak_rss_mb": memory.peak_rss_mb,
                        "seconds": last - spawned,
                        "cpu_ms": 1000 * (cpu_active - startup[label]) / n,
                        "cpu_settled_ms": 1000 * (operator.sample().cpu_seconds - startup[label]) / n,
                        "status_writes": (watcher.counters()[1] - writes) / n,
                        "kube_requests": sum(api.values()) / n,
                        "vault_requests": sum(vault_kinds(stack.bao.audit, mark).values()) / n,
                        **{f"api {k}": v / n for k, v in api.items()},
                    })
                    if args.steady:
                        results[label][-1].update(steady(stack, operator, args.steady))
            finally:
                watcher.stop()
                if statuses is not None:
                    statuses.stop()
                operator.stop()
    print(table(f"python -m bench.compare --old {args.old} --connections {args.connections} --rounds {args.rounds}"
                + (f" --policies {args.policies}" if args.policies else "")
                + (f" --steady {args.steady:g}" if args.steady else ""), _rows(results, startup)))
    print(f"took {time.monotonic() - began:.0f}s")


def _rows(results: dict[str, list[dict[str, float]]], startup: dict[str, float]) -> list[tuple[str, str, str]]:
    rows = []
    keys: Counter[str] = Counter(k for runs in results.values() for run in runs for k in run)
    for label, runs in results.items():
        rows.append((f"{label}: start-up CPU", f"{startup[label]:.2f}s", "an operator with no object, until idle"))
        for key in keys:
            values = [run.get(key, 0.0) for run in runs]
            if statistics.median(values) < 0.005:
                continue  # the start-up's few requests (discovery, listings): not per connection
            what = "MB, median of " if key.endswith("_mb") else "per connection, median of "
            rows.append((f"{label}: {key}", f"{statistics.median(values):.2f}",
                         what + ", ".join(f"{v:.2f}" for v in values)))
    return rows


if __name__ == "__main__":
    main()
