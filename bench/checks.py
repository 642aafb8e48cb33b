"""Health checks side by side: the operator's CPU per check against the direct client's per token lookup.

A check is one ``GET auth/token/lookup-self`` per connection per interval (with the operator's bookkeeping around
it: status built and compared, metrics, the timer). The direct client (``bench.direct --lookups-for``, its own
process, asyncio + aiohttp or hvac threads, kept-alive sessions) holds as many tokens as there are connections and
looks each one up once per interval, spread over the interval the same way. Both run in the same window, so they
share the machine's speed of the moment: the ratio is measured in one run, the CPU of each from /proc or
``time.process_time`` (seconds of CPU per request, not wall time).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

from .report import seconds
from .runner import REPO, Snapshot
from .stack import OperatorProcess, Stack

LOOKUP = "auth/token/lookup-self"


@dataclasses.dataclass
class SideBySide:
    seconds: float
    operator_cpu: float  # CPU-seconds of the operator process over the window
    operator_checks: int  # its lookups in the audit log (all lookups minus the direct client's)
    direct_cpu: float  # CPU-seconds of the direct client's lookups
    direct_lookups: int
    threads: int
    other_requests: int  # audited requests that were not lookups (renewals, drift reads...)
    client: str = "threads"  # the direct client's kind (bench.direct --client)

    @property
    def operator_ms(self) -> float:
        return 1000 * self.operator_cpu / max(self.operator_checks, 1)

    @property
    def direct_ms(self) -> float:
        return 1000 * self.direct_cpu / max(self.direct_lookups, 1)


def side_by_side(stack: Stack, operator: OperatorProcess, tokens: int, interval: str, duration: float,
                 threads: int = 4, client: str = "threads") -> SideBySide:
    """The direct client (bench.direct's ``client``, ``threads`` workers) logs in ``tokens`` times, then both
    check for ``duration`` seconds at once."""
    command = [sys.executable, "-m", "bench.direct", "--vault", stack.bao.url, "--kube", stack.kube.url,
               "--logins", str(tokens), "--concurrency", str(threads), "--lookups-for", str(duration),
               "--interval", str(seconds(interval)), "--client", client]
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdin is not None and process.stdout is not None
        if not json.loads(process.stdout.readline() or "{}").get("ready"):
            raise RuntimeError("bench.direct --lookups-for did not get ready")
        mark, start = stack.bao.audit.mark(), Snapshot.take(stack, operator)
        process.stdin.write("go\n")
        process.stdin.flush()
        result = json.loads(process.stdout.readline())
        end_mark, end = stack.bao.audit.mark(), Snapshot.take(stack, operator)
        process.wait(timeout=120)  # it revokes its tokens after the window
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if result["errors"]:
        raise RuntimeError(f"direct lookups failed: {result}")
    requests = stack.bao.audit.requests_since(mark, end_mark)
    return SideBySide(end.at - start.at, end.operator.cpu_seconds - start.operator.cpu_seconds,
                      requests[LOOKUP] - result["lookups"], result["cpu_seconds"], result["lookups"], threads,
                      sum(requests.values()) - requests[LOOKUP], client)


def rows(run: SideBySide) -> list[tuple[str, str, str]]:
    return [
        ("checks: operator CPU per check", f"{run.operator_ms:.2f} ms", f"{run.operator_checks} lookups by the "
         f"operator in {run.seconds:.0f}s, all of its process's CPU ({run.operator_cpu:.2f}s) over them"),
        ("checks: direct CPU per lookup", f"{run.direct_ms:.2f} ms", f"{run.direct_lookups} lookups by "
         f"bench.direct ({run.client}, {run.threads} workers) in the same window ({run.direct_cpu:.2f}s CPU)"),
        ("checks: ratio operator/direct CPU", f"{run.operator_ms / run.direct_ms:.2f}" if run.direct_ms else "-",
         "CPU per check over the direct client's CPU per lookup, same window; target <= 1 (other audited "
         f"requests in the window: {run.other_requests})"),
    ]
