"""Counts Vault requests from an OpenBao file audit device: independent of the operator's own metrics.

One JSON object per line; ``type`` is "request" or "response". Unauthenticated endpoints such as
sys/health are not audited by OpenBao, so they do not appear here.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class Entry:
    at: datetime.datetime
    path: str
    accessor: str  # HMAC of the token's accessor: the same token gives the same value


def _time(text: str) -> datetime.datetime:
    head, _, fraction = text.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{head}.{(fraction or '0')[:6]}+00:00")


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        """A position in the log: count what is written after it with :meth:`requests_since`."""
        return self.path.stat().st_size if self.path.exists() else 0

    def entries(self, start: int, end: int | None = None) -> Iterator[Entry]:
        """Request entries between two marks."""
        for entry in self.raw_requests(start, end):
            yield Entry(_time(entry["time"]), entry.get("request", {}).get("path", "?"),
                        (entry.get("auth") or {}).get("accessor", ""))

    def raw_requests(self, start: int, end: int | None = None) -> Iterator[dict[str, Any]]:
        """The audit device's request records between two marks, as written."""
        with self.path.open("rb") as handle:
            handle.seek(start)
            data = handle.read() if end is None else handle.read(end - start)
        for line in data.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # an empty line, or one cut by the end mark
                continue
            if entry.get("type") == "request":
                yield entry

    def requests_since(self, start: int, end: int | None = None) -> Counter[str]:
        """Request entries between two marks, by path (e.g. ``auth/token/lookup-self``)."""
        return Counter(entry.path for entry in self.entries(start, end))
