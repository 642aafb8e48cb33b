"""Restart rounds of bench.access's workload: sync N objects once, then restart the operator ``--rounds`` times.

Each round is bench.access's restart phase (a new process, until every object is confirmed, then until its CPU
settled), with the CPU of the benchmark process itself (it hosts the API emulator and the watcher) per object:
the figure that told the slow 10,000-object restarts of session 8 (0.9 of a core) from the fast ones.
``--py-spy PATH`` records the benchmark process during each round (raw folded stacks, one file per round).

    python -m bench.restart_rounds --objects 3000 --rounds 4 > out.json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from . import access_phases
from .access import sync
from .access_cpu import CORES
from .access_objects import Workload, grant_operator
from .access_watch import AccessWatcher
from .runner import kube_requests
from .stack import OperatorProcess, Stack


def own_cpu() -> float:
    """This process's CPU seconds (user + system, every thread): the emulator, the watcher, the harness."""
    times = os.times()
    return times.user + times.system


def round_figures(count: int, wall: float, bench_cpu: float, restart: dict[str, Any],
                  requests: Counter[str]) -> dict[str, Any]:
    """One round's figures: bench.access's restart ones, the benchmark process's CPU per object and share, and
    the Kubernetes requests the emulator served (by verb and resource; those under 1% of the objects left out)."""
    return {"confirmed_s": restart["confirmed_s"], "settle_s": restart["settle_s"],
            "operator_ms_per_object": restart["cpu_ms_per_object_at_confirmed"],
            "bench_ms_per_object": round(1000 * bench_cpu / count, 3),
            "bench_share_of_core": round(bench_cpu / wall, 3) if wall > 0 else 0.0,
            "vault_writes": restart["writes"], "vault_reads": restart["reads"],
            "status_writes": restart["status_writes"], "kube_writes": restart["kube_writes"],
            "kube_requests": {key: n for key, n in requests.most_common() if n >= count / 100}}


def _recorder(path: str | None, phase: int | str) -> subprocess.Popen[bytes] | None:
    if path is None:
        return None
    command = [os.environ.get("PY_SPY", "py-spy"), "record", "-p", str(os.getpid()), "-r", "100", "-f", "raw",
               "-o", f"{path}-{phase}.txt", "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(recorder: subprocess.Popen[bytes] | None) -> None:
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        recorder.wait(30)


def rounds(count: int, n_rounds: int, timeout: float, py_spy: str | None) -> dict[str, Any]:
    workload = Workload(count)
    figures: dict[str, Any] = {"objects": count, "cores": CORES, "rounds": []}
    with Stack() as stack:
        client = stack.bao.client()
        grant_operator(client)
        workload.create(stack.kube)
        watcher = AccessWatcher(stack.kube).start()
        operator: OperatorProcess | None = None
        try:
            recorder = _recorder(py_spy, "sync")
            operator, synced = sync(stack, watcher, count, timeout)
            _stop(recorder)
            figures["sync_s"] = synced["seconds"]
            for round_no in range(n_rounds):
                operator.stop()
                operator = None
                recorder = _recorder(py_spy, round_no)
                served = kube_requests(stack)[0]
                started, cpu = time.monotonic(), own_cpu()
                operator, restart = access_phases.restart(stack, watcher, count, timeout)
                wall, used = time.monotonic() - started, own_cpu() - cpu
                _stop(recorder)
                figures["rounds"].append(round_figures(count, wall, used, restart, kube_requests(stack, served)[1]))
                print(json.dumps(figures["rounds"][-1]), file=sys.stderr, flush=True)
        finally:
            if operator is not None:
                operator.stop()
            watcher.stop()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--py-spy", default=None, help="record the benchmark process during the sync and each round "
                        "(PATH-sync.txt, PATH-<n>.txt)")
    args = parser.parse_args(argv)
    print(json.dumps(rounds(args.objects, args.rounds, args.timeout, args.py_spy)), flush=True)


if __name__ == "__main__":
    main()
