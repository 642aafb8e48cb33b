"""Shared steps of the benchmarks: start the operator, create connections, wait, measure a steady window."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .observe import StatusWatcher
from .procstat import ProcSample, sample
from .stack import ROLE, OperatorProcess, Stack

REPO = Path(__file__).resolve().parent.parent
WARMUP = "bench-warmup"


def freeze_heap() -> None:
    """Take what this process holds so far out of its garbage collector's reach, before a timed phase.

    The Kubernetes API emulator keeps every request it served (kmock's history) and every object version:
    without this, full collections walk that ever-growing history, and a later phase (the restart) paid
    0.6 ms of the emulator's CPU per login that an earlier one (the direct baseline) did not.
    """
    gc.collect()
    gc.freeze()


def quiesce(stack: Stack, window: float = 0.5, busy: float = 0.1, timeout: float = 30.0) -> float:
    """Wait until OpenBao has finished what an earlier phase left it (its share of a core under ``busy`` over
    ``window`` seconds), up to ``timeout``; return how long that took.

    A guard, so that a phase never pays for work an earlier one left behind (a stopped operator's 1,000
    revocations, say). In session 4 OpenBao was already quiet in the first window every time (0.5 s).
    """
    assert stack.bao.proc is not None
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = sample(stack.bao.proc.pid).cpu_seconds
        time.sleep(window)
        if sample(stack.bao.proc.pid).cpu_seconds - before < busy * window:
            break
    return time.monotonic() - started


def exit_cleanly_on_sigterm() -> None:
    """``timeout``/``kill`` send SIGTERM: exit through the finally blocks so no child process is left behind."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def add_run_arguments(parser: argparse.ArgumentParser, *, connections: int, ttl: str, interval: str,
                      duration: float, timeout: float) -> None:
    """The options every benchmark of N connections takes, with that benchmark's defaults."""
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--interval", default=interval, help="healthCheckInterval of every connection")
    parser.add_argument("--ttl", default=ttl, help="token TTL of the Vault role")
    parser.add_argument("--duration", type=float, default=duration, help="seconds of steady state to measure")
    parser.add_argument("--timeout", type=float, default=timeout, help="give up if not all Active by then")


def spec(stack: Stack, interval: str) -> dict[str, object]:
    return {"address": stack.bao.url, "auth": {"kubernetes": {"role": ROLE}}, "healthCheckInterval": interval}


def names(count: int) -> list[str]:
    return [f"bench-{i:05d}" for i in range(count)]


@dataclasses.dataclass
class Snapshot:
    """CPU/RSS of the three processes at one moment."""

    at: float
    operator: ProcSample
    host: ProcSample  # this process: FakeKube, the status watcher and the object creation
    bao: ProcSample

    @classmethod
    def take(cls, stack: Stack, operator: OperatorProcess) -> Snapshot:
        assert stack.bao.proc is not None
        return cls(time.monotonic(), operator.sample(), sample(os.getpid()), sample(stack.bao.proc.pid))


def wait_active(watcher: StatusWatcher, wanted: set[str], operator: OperatorProcess, timeout: float) -> float:
    """Wait until every name in ``wanted`` turned Active; return when the last one did."""
    deadline = time.monotonic() + timeout
    while watcher.active_count(wanted) < len(wanted):
        if time.monotonic() > deadline or not operator.alive():
            raise RuntimeError(f"{watcher.active_count(wanted)}/{len(wanted)} Active after {timeout:.0f}s; "
                               f"operator log:\n{operator.log_tail()}")
        time.sleep(0.1)
    return max(watcher.activated[name] for name in wanted)


def start_operator(stack: Stack, watcher: StatusWatcher, interval: str, profile: Path | None = None,
                   what_if: str | None = None, timeout: float = 60.0, memtrace: Path | None = None) -> OperatorProcess:
    """Start the operator process and wait until it serves (a warm-up connection turns Active)."""
    operator = OperatorProcess(stack.kube, profile, what_if, memtrace=memtrace).start()
    stack.kube.create_vaultconnection(WARMUP, spec(stack, interval))
    wait_active(watcher, {WARMUP}, operator, timeout)
    return operator


def create(stack: Stack, wanted: list[str], interval: str, concurrency: int = 8) -> dict[str, float]:
    """Create the connections from a separate process (bench.apply), ``concurrency`` requests in flight, as
    fast as the API takes them; return when each was created (``time.monotonic()``, the same clock here)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(wanted))
        listing.flush()
        command = [sys.executable, "-m", "bench.apply", "--kube", stack.kube.url, "--names-from", listing.name,
                   "--spec", json.dumps(spec(stack, interval)), "--concurrency", str(concurrency)]
        out = subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                             text=True, timeout=600, check=True)
    created: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return created


def kube_requests(stack: Stack, since: int = 0) -> tuple[int, Counter[str]]:
    """Requests the fake API has served (kmock keeps them all) after index ``since``, by verb and resource."""
    assert stack.kube.emulator is not None
    served = list(stack.kube.emulator)
    counts: Counter[str] = Counter()
    for request in served[since:]:
        plural = request.resource.plural if request.resource is not None else request.url.path
        sub = f"/{request.subresource}" if request.subresource else ""
        counts[f"{str(request.method).rsplit('.', 1)[-1]} {plural}{sub}"] += 1
    return len(served), counts


@dataclasses.dataclass
class Window:
    seconds: float
    requests: Counter[str]  # Vault requests by path (audit log)
    status_writes: int
    start: Snapshot
    end: Snapshot
    marks: tuple[int, int] = (0, 0)  # the audit log's, at the start and the end


def steady_window(stack: Stack, operator: OperatorProcess, watcher: StatusWatcher, seconds: float) -> Window:
    mark, (_, writes), start = stack.bao.audit.mark(), watcher.counters(), Snapshot.take(stack, operator)
    time.sleep(seconds)
    end_mark, end = stack.bao.audit.mark(), Snapshot.take(stack, operator)
    return Window(end.at - start.at, stack.bao.audit.requests_since(mark, end_mark), watcher.counters()[1] - writes,
                  start, end, (mark, end_mark))


def direct_logins(stack: Stack, logins: int, concurrency: int, client: str = "threads") -> dict[str, Any]:
    """Run bench.direct as its own process (so its CPU does not share this process's GIL with FakeKube);
    ``client`` is its ``--client``."""
    command = [sys.executable, "-m", "bench.direct", "--vault", stack.bao.url, "--kube", stack.kube.url,
               "--logins", str(logins), "--concurrency", str(concurrency), "--client", client]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assert stack.bao.proc is not None
    quiesce(stack)
    freeze_heap()
    host, bao = sample(os.getpid()).cpu_seconds, sample(stack.bao.proc.pid).cpu_seconds
    out = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"direct logins failed: {result}")
    # What the same logins cost the other two processes (the Kubernetes API emulator and OpenBao).
    result["host_cpu_seconds"] = sample(os.getpid()).cpu_seconds - host
    result["bao_cpu_seconds"] = sample(stack.bao.proc.pid).cpu_seconds - bao
    return result
