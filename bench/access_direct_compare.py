"""Which direct client is faster for bench.access: the threads' (requests) or the asyncio one (aiohttp), in one
stack, alternating, so both meet the same load.

N objects' Vault writes (bench.access_objects.Workload.direct_writes, with a token holding the operator's Vault
policies) are written once to warm up (not counted); then for each round and each ``--concurrency``, each client
in turn (the first one alternating between rounds) writes all of them, then reads all of them. One JSON line per
run: client, mode, concurrency, seconds, errors, CPU seconds of the client, OpenBao and the emulator (idle here),
and per request in ms.

    python -m bench.access_direct_compare --objects 3000 --concurrency 16,32,64 --rounds 2 > out.json
    python -m bench.access_direct_compare --summary < out.json  # a markdown table: the best of each
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from .access import _direct
from .access_direct import CLIENTS
from .access_objects import Workload, direct_files
from .stack import Stack


def compare(count: int, concurrencies: list[int], rounds: int, out: Any = sys.stdout,
            stack: Stack | None = None) -> list[dict[str, Any]]:
    """The runs, printed as JSON lines to ``out`` as they end, and returned; on a fresh stack unless given one."""
    runs: list[dict[str, Any]] = []
    workload = Workload(count)
    with contextlib.ExitStack() as scope:
        stack = stack or scope.enter_context(Stack())
        scratch = scope.enter_context(tempfile.TemporaryDirectory(prefix="bench-direct-"))
        work_file, token_file = direct_files(stack.bao.client(), workload, Path(scratch))
        _direct(stack, str(work_file), "write", str(token_file), "threads", 32)  # creates them: later runs update
        for round_ in range(rounds):
            order = CLIENTS if round_ % 2 == 0 else tuple(reversed(CLIENTS))
            for concurrency in concurrencies:
                for kind in order:
                    for mode in ("write", "read"):
                        run = _direct(stack, str(work_file), mode, str(token_file), kind, concurrency)
                        run.update(mode=mode, objects=count, round=round_,
                                   client_ms=round(1000 * run["direct_cpu_s"] / count, 3),
                                   openbao_ms=round(1000 * run["openbao_cpu_s"] / count, 3))
                        runs.append(run)
                        print(json.dumps(run), file=out, flush=True)
    return runs


def summary(runs: list[dict[str, Any]]) -> str:
    """Per client, mode and concurrency: the fastest run, with its CPU per request (client, OpenBao)."""
    best: dict[tuple[str, str, int, int], dict[str, Any]] = {}
    for run in runs:
        key = (run["mode"], run["client"], run["concurrency"], run["objects"])
        if key not in best or run["seconds"] < best[key]["seconds"]:
            best[key] = run
    rows = ["| objects | mode | client | in flight | seconds (best of runs) | client CPU ms / request | "
            "OpenBao CPU ms / request | errors |", "|---|---|---|---|---|---|---|---|"]
    for (mode, kind, concurrency, objects), run in sorted(best.items(), key=lambda i: (i[0][3], i[0][0], i[0][1],
                                                                                      i[0][2])):
        runs_of = sum(1 for r in runs if (r["mode"], r["client"], r["concurrency"], r["objects"]) ==
                      (mode, kind, concurrency, objects))
        rows.append(f"| {objects} | {mode} | {kind} | {concurrency} | {run['seconds']:.2f} ({runs_of}) | "
                    f"{run['client_ms']:.3f} | {run['openbao_ms']:.3f} | {run['errors']} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--concurrency", default="16,32,64", help="requests in flight, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--summary", action="store_true", help="read JSON lines on stdin, print the table")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary([json.loads(line) for line in sys.stdin if line.startswith("{")]))
        return
    compare(args.objects, [int(c) for c in args.concurrency.split(",")], args.rounds)


if __name__ == "__main__":
    main()
