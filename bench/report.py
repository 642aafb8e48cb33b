"""Small helpers to compute and print figures."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def seconds(text: str) -> float:
    """"30s", "1m", "1h30m" -> seconds."""
    from vault_access_operator.durations import parse_duration

    return parse_duration(text)


def table(title: str, rows: list[tuple[str, str, str]]) -> str:
    """Rows of (figure, value, how to read it)."""
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [title, "=" * len(title)]
    lines += [f"{name:<{width}}  {value:>{value_width}}  {note}" for name, value, note in rows]
    return "\n".join(lines)
