"""When a restarted operator has confirmed every access object: each object's first pass done.

Counted from the operator's own /metrics: every object whose pass has run is in one phase of
``vault_access_operator_access_objects``, so the sum over phases is the objects confirmed so far (an object still
waiting for its connection, or not yet listed by kopf, is not in it).
"""

from __future__ import annotations

import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

CONFIRMED_METRIC = "vault_access_operator_access_objects"


def confirmed(port: int) -> int:
    """Objects the operator serving /metrics on ``port`` has passed at least once (0 while it is not up yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    return int(sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples if sample.name == CONFIRMED_METRIC))


def wait_confirmed(port: int, count: int, started: float, timeout: float, poll: float = 0.2) -> float:
    """Seconds from ``started`` (time.monotonic()) until ``count`` objects are confirmed."""
    while confirmed(port) < count:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{confirmed(port)} of {count} objects confirmed")
        time.sleep(poll)
    return time.monotonic() - started
