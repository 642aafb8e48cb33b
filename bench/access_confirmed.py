"""When a restarted operator has confirmed every access object: each object's first pass done.

Counted from the operator's own /metrics: every object whose pass has run is in one phase of
``vault_access_operator_access_objects``, so the sum over phases is the objects confirmed so far (an object still
waiting for its connection, or not yet listed by kopf, is not in it).
"""

from __future__ import annotations

import time
import urllib.request

CONFIRMED_METRIC = "vault_access_operator_access_objects"


def confirmed(port: int) -> int:
    """Objects the operator serving /metrics on ``port`` has passed at least once (0 while it is not up yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    return count_confirmed(text)


def count_confirmed(exposition: str) -> int:
    """The sum of the metric's samples in a Prometheus text exposition."""
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in exposition.splitlines() if _is_sample(line)))


def _is_sample(line: str) -> bool:
    """A sample line of the metric (``name{labels} value`` or ``name value``); not a comment, another metric.

    Only these lines are read: a full parse of the exposition (prometheus_client's parser) every 0.2 s was the
    benchmark process's largest cost during a restart once the emulator's lists were cheap (session 9)."""
    return line.startswith(CONFIRMED_METRIC) and line[len(CONFIRMED_METRIC):len(CONFIRMED_METRIC) + 1] in ("{", " ")


def wait_confirmed(port: int, count: int, started: float, timeout: float, poll: float = 0.2) -> float:
    """Seconds from ``started`` (time.monotonic()) until ``count`` objects are confirmed."""
    while confirmed(port) < count:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{confirmed(port)} of {count} objects confirmed")
        time.sleep(poll)
    return time.monotonic() - started
