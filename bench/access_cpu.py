"""CPU seconds of the processes in a bench.access phase, and their share of the machine over its wall time."""

from __future__ import annotations

import os
import time

from .procstat import sample

CORES = os.cpu_count() or 1


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system  # this process: the API emulator and the watcher (and the bench's own loop)


class CpuMeter:
    """Started at a phase's beginning; :meth:`stop` gives each process's CPU seconds and share since then.

    ``pids`` names other processes (the operator, OpenBao); ``emulator`` is this process. A process that is
    gone at the end (an operator stopped within the phase) counts as what it had used when last seen.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.started = time.monotonic()
        self.before = {name: sample(pid).cpu_seconds for name, pid in pids.items()}
        self.before["emulator"] = _own_cpu()

    def stop(self, extra: dict[str, float] | None = None) -> dict[str, float]:
        """{name}_cpu_s and {name}_share (of all cores over the wall time) per process, and wall_s.

        ``extra``: CPU seconds measured elsewhere (the direct client reports its own) to report alike."""
        wall = time.monotonic() - self.started
        used = {name: sample(pid).cpu_seconds - self.before[name] for name, pid in self.pids.items()}
        used["emulator"] = _own_cpu() - self.before["emulator"]
        used.update(extra or {})
        figures = {"wall_s": round(wall, 2)}
        for name, seconds in used.items():
            figures[f"{name}_cpu_s"] = round(seconds, 2)
            figures[f"{name}_share"] = round(seconds / (wall * CORES), 3) if wall > 0 else 0.0
        return figures
