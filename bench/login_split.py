"""Where a login's CPU goes in the other two processes: the direct client's logins against an operator restart's.

    python -m bench.login_split --connections 1000 --rounds 2 [--concurrency 16]

One stack (API emulator in this process, OpenBao, N connections brought Active by a first operator); then, in each
round: the operator stops, the direct client (bench.direct) logs in N times, a new operator starts and brings the N
connections Active again. For each, per login: the client's or the operator's CPU, the emulator's (this process)
and OpenBao's, and the TCP connections the emulator accepted (OpenBao's TokenReview client and the API clients
open them); for the restart, its start-up (process start to first Active) apart from its logins (first to last
Active), and the Kubernetes requests it made. bench/README.md, session 10.
"""

from __future__ import annotations

import argparse
import os
import time

import aiohttp.web_protocol

from .observe import StatusWatcher
from .procstat import sample
from .runner import (
    WARMUP,
    create,
    direct_logins,
    exit_cleanly_on_sigterm,
    freeze_heap,
    kube_requests,
    names,
    quiesce,
    start_operator,
    wait_active,
)
from .stack import OperatorProcess, Stack

_accepted = [0]
_connection_made = aiohttp.web_protocol.RequestHandler.connection_made


def _counting_connection_made(self: aiohttp.web_protocol.RequestHandler, transport: object) -> None:
    _accepted[0] += 1
    _connection_made(self, transport)  # type: ignore[arg-type]


def _restart(stack: Stack, watcher: StatusWatcher, n: int) -> OperatorProcess:
    assert stack.bao.proc is not None
    bao, here = stack.bao.proc.pid, os.getpid()
    watcher.reset()
    quiesce(stack)
    freeze_heap()
    accepted, (served, _) = _accepted[0], kube_requests(stack)
    bao_cpu, here_cpu = sample(bao).cpu_seconds, sample(here).cpu_seconds
    operator = OperatorProcess(stack.kube).start()
    spawned = time.monotonic()
    while not watcher.activated and operator.alive():
        time.sleep(0.01)
    first = time.monotonic()
    at_first = (sample(bao).cpu_seconds, sample(here).cpu_seconds, _accepted[0], operator.sample().cpu_seconds)
    last = wait_active(watcher, {*names(n), WARMUP}, operator, 600)
    op_cpu = operator.sample().cpu_seconds - at_first[3]
    bao_logins, here_logins = sample(bao).cpu_seconds - at_first[0], sample(here).cpu_seconds - at_first[1]
    print(f"restart: start-up {first - spawned:.2f} s (OpenBao {at_first[0] - bao_cpu:.3f} s, emulator "
          f"{at_first[1] - here_cpu:.3f} s of CPU, {at_first[2] - accepted} connections accepted); logins "
          f"{last - first:.2f} s: operator {op_cpu / n * 1000:.2f}, emulator {here_logins / n * 1000:.2f}, OpenBao "
          f"{bao_logins / n * 1000:.2f} ms per login, {_accepted[0] - at_first[2]} connections accepted", flush=True)
    print(f"  Kubernetes requests: {dict(kube_requests(stack, served)[1].most_common())}", flush=True)
    return operator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="the direct client's threads")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    aiohttp.web_protocol.RequestHandler.connection_made = _counting_connection_made  # type: ignore[method-assign]
    n = args.connections
    with Stack() as stack:
        watcher = StatusWatcher(stack.kube).start()
        operator = start_operator(stack, watcher, "30s")
        try:
            wait_active(watcher, set(create(stack, names(n), "30s")), operator, 600)
            for _ in range(args.rounds):
                operator.stop()
                quiesce(stack)
                accepted = _accepted[0]
                run = direct_logins(stack, n, args.concurrency)
                print(f"direct: {run['seconds']:.2f} s: client {run['cpu_seconds'] / n * 1000:.2f}, emulator "
                      f"{run['host_cpu_seconds'] / n * 1000:.2f}, OpenBao {run['bao_cpu_seconds'] / n * 1000:.2f} ms "
                      f"per login, {_accepted[0] - accepted} connections accepted", flush=True)
                operator = _restart(stack, watcher, n)
        finally:
            watcher.stop()
            operator.stop()


if __name__ == "__main__":
    main()
