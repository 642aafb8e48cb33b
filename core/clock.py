"""The operator's one clock: created by OperatorApp and handed to everything that stamps or compares times.

Fault tests move a fake clock; status, events, metrics and renewal plans then all see the same moment.
Durations measured for metrics use ``time.perf_counter`` (a timer, not a time of day).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

#: Returns the current time as an aware UTC datetime.
Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def rfc3339(moment: datetime.datetime | None) -> str | None:
    """Kubernetes' time format, to the second (``2026-01-01T12:00:00Z``)."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
