"""Steady state with short token TTLs: are tokens renewed at about 2/3 of their TTL, with no extra logins?

    python -m bench.renewal --connections 100 --ttl 30s --interval 10s --duration 180

N connections log in (Vault role TTL --ttl, max TTL 32 days), then for --duration seconds OpenBao's audit
log counts logins, renewals and lookups. Expected: renewals at 2/3 of the TTL minus up to 10% jitter, so
1.5 to 1.67 renewals per connection per TTL (mean ~1.58), each 0.60 to 0.67 TTL after the previous one;
no logins and no revocations in the window; one token lookup per connection per health interval.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import defaultdict

from .audit import Entry
from .observe import StatusWatcher
from .report import percentile, seconds, table
from .runner import (
    add_run_arguments,
    create,
    exit_cleanly_on_sigterm,
    names,
    start_operator,
    steady_window,
    wait_active,
)
from .stack import Stack

RENEW, LOGIN, LOOKUP = "auth/token/renew-self", "auth/kubernetes/login", "auth/token/lookup-self"


def renewal_gaps(entries: list[Entry], ttl: float) -> list[float]:
    """Time between consecutive renewals of the same token, as a fraction of the TTL."""
    by_token: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        if entry.path == RENEW:
            by_token[entry.accessor].append(entry.at.timestamp())
    gaps = []
    for times in by_token.values():
        times.sort()
        gaps += [(b - a) / ttl for a, b in itertools.pairwise(times)]
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, connections=100, ttl="30s", interval="10s", duration=180.0, timeout=600.0)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    began, ttl, n = time.monotonic(), seconds(args.ttl), args.connections
    with Stack(ttl=args.ttl) as stack:
        watcher = StatusWatcher(stack.kube).start()
        operator = start_operator(stack, watcher, args.interval)
        try:
            wait_active(watcher, set(create(stack, names(n), args.interval)), operator, args.timeout)
            time.sleep(ttl)  # every token is past its first renewal point
            mark = stack.bao.audit.mark()
            window = steady_window(stack, operator, watcher, args.duration)
            entries = list(stack.bao.audit.entries(mark))
            statuses = [o.get("status") or {} for o in stack.kube.list_objects("vaultconnections")]
        finally:
            watcher.stop()
            operator.stop()
    total = n + 1  # + the warm-up connection
    ttls, intervals = window.seconds / ttl, window.seconds / seconds(args.interval)
    renewals, logins = window.requests[RENEW], window.requests[LOGIN]
    gaps = renewal_gaps(entries, ttl)
    cpu = window.end.operator.cpu_seconds - window.start.operator.cpu_seconds
    rows = [
        ("connections", f"{n}", f"token TTL {args.ttl}, health interval {args.interval}, window {window.seconds:.0f}s"),
        ("renewals/conn/TTL", f"{renewals / total / ttls:.2f}", "expected 1.50-1.67 (renew at 2/3 TTL, up to 10% "
         "earlier)"),
        ("renewal gap / TTL p1", f"{percentile(gaps, 0.01):.3f}" if gaps else "-",
         "time between two renewals of one token; expected 0.600-0.667"),
        ("renewal gap / TTL p50", f"{percentile(gaps, 0.5):.3f}" if gaps else "-", ""),
        ("renewal gap / TTL p99", f"{percentile(gaps, 0.99):.3f}" if gaps else "-", ""),
        ("logins in the window", f"{logins}", "target 0: renewals, never new logins"),
        ("lookups/conn/interval", f"{window.requests[LOOKUP] / total / intervals:.2f}", "health checks; target 1"),
        ("other Vault requests", f"{sum(window.requests.values()) - renewals - logins - window.requests[LOOKUP]}",
         "target 0"),
        ("status writes per renewal", f"{window.status_writes / max(renewals, 1):.2f}",
         "each renewal updates authStatus (expiry, last renewal, count): 1 expected"),
        ("loginCount on status", f"max {max(s['authStatus']['loginCount'] for s in statuses)}", "1 everywhere "
         "expected"),
        ("phases at the end", ", ".join(sorted({s.get('phase', '?') for s in statuses})), ""),
        ("operator CPU", f"{cpu / window.seconds * 100:.1f}%", "of one core"),
        ("operator peak RSS", f"{window.end.operator.peak_rss_mb:.0f} MB", ""),
        ("benchmark took", f"{time.monotonic() - began:.0f}s", ""),
    ]
    print(table(f"python -m bench.renewal --connections {n} --ttl {args.ttl} --interval {args.interval} "
                f"--duration {args.duration:g}", rows))
    print("Vault requests in the window, by path:", dict(window.requests.most_common()))


if __name__ == "__main__":
    main()
