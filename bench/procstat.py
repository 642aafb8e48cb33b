"""Memory and CPU of a process from /proc (no psutil needed)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class ProcSample:
    rss_mb: float  # resident now (VmRSS)
    peak_rss_mb: float  # high-water mark since the process started (VmHWM)
    cpu_seconds: float  # user + system, all threads


def sample(pid: int) -> ProcSample:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_name = stat[stat.rindex(")") + 2:].split()  # the name may contain spaces
    utime, stime = int(after_name[11]), int(after_name[12])  # fields 14 and 15 of stat(5)
    return ProcSample(
        rss_mb=_kb(fields.get("VmRSS", "0 kB")) / 1024,
        peak_rss_mb=_kb(fields.get("VmHWM", "0 kB")) / 1024,
        cpu_seconds=(utime + stime) / _TICKS,
    )


def _kb(text: str) -> float:
    return float(text.split()[0])


def children(pid: int) -> list[tuple[int, str]]:
    """Direct children of ``pid`` as (pid, command name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append((int(entry.name), name))
    return found
