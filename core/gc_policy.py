"""The operator process's garbage-collector policy, and an opt-in measurement of what the collector costs.

CPython's cyclic collector walks every container object of a generation; the operator keeps thousands of
long-lived ones (modules, then the objects' records and workers), so full collections were the costly ones
(bench/README.md, sessions 4 and 9). What this module does, once, from the ``run`` command:

- ``gc.freeze()`` after start-up: modules, settings and plugins live for the whole process, so no collection
  walks them again (refcounting still frees any of them that dies).
- A young-generation threshold of 10,000 allocations instead of 700: the sync and a restart allocate many
  short-lived objects per object served, and collected far too often at 700.

``VAO_GC_TUNING=off`` keeps CPython's defaults (to compare, or should a workload fare worse).
``VAO_GC_YOUNG_THRESHOLD=N`` sets the young generation's threshold (with the tuning on).
``VAO_GC_STATS=PATH`` measures the collector: one line per collection is appended to PATH (time, generation,
CPU ms, wall ms, objects freed) and a summary per generation is logged when the process exits. Off by default;
only counts and durations are written.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

log = logging.getLogger(__name__)

TUNING_ENV = "VAO_GC_TUNING"
STATS_ENV = "VAO_GC_STATS"
YOUNG_THRESHOLD_ENV = "VAO_GC_YOUNG_THRESHOLD"

# Allocations between two young-generation collections (CPython's default is 700). A connection brought
# Active allocates a few thousand objects that die young, so at 700 the collector ran several times per
# connection in a restart. The older generations keep CPython's ratios (10, 10).
YOUNG_GENERATION_THRESHOLD = 10_000


@dataclass
class GenerationCost:
    """Collections of one generation: how many, their CPU time, their longest pause (wall), objects freed."""

    collections: int = 0
    cpu_seconds: float = 0.0
    longest: float = 0.0
    collected: int = 0


@dataclass
class CollectorStats:
    """Times every collection through ``gc.callbacks``; appends a line per collection to ``out`` if given."""

    out: IO[str] | None = None
    frozen: int = 0  # objects gc.freeze() put out of reach at start-up (0: not tuned)
    thresholds: tuple[int, int, int] = (0, 0, 0)
    generations: list[GenerationCost] = field(default_factory=lambda: [GenerationCost() for _ in range(3)])
    _started: tuple[float, float] = (0.0, 0.0)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        # CPU of the collecting thread (a collection runs in the thread whose allocation triggered it): the
        # collector's cost whatever else the host runs; wall time: how long the thread stood still.
        if phase == "start":
            self._started = (time.perf_counter(), time.thread_time())
            return
        wall, cpu = time.perf_counter() - self._started[0], time.thread_time() - self._started[1]
        generation = info["generation"]
        cost = self.generations[generation]
        cost.collections += 1
        cost.cpu_seconds += cpu
        cost.longest = max(cost.longest, wall)
        cost.collected += info["collected"]
        if self.out is not None:
            self.out.write(f"{time.time():.3f} {generation} {cpu * 1000:.3f} {wall * 1000:.3f} "
                           f"{info['collected']}\n")

    def summary(self) -> str:
        """One line: the start-up freeze and thresholds, then per generation collections, pauses, objects freed."""
        return f"{self.frozen} objects frozen at start-up, thresholds {self.thresholds}; " + "; ".join(
            f"generation {number}: {cost.collections} collections, {cost.cpu_seconds * 1000:.0f} ms of CPU "
            f"(longest pause {cost.longest * 1000:.1f} ms), {cost.collected} objects freed"
            for number, cost in enumerate(self.generations))

    def close(self) -> None:
        """Stop measuring; log the summary and close the file."""
        if self in gc.callbacks:
            gc.callbacks.remove(self)
        log.info("Garbage collector since start-up: %s", self.summary())
        if self.out is not None:
            self.out.close()


def tune_garbage_collector(environ: Mapping[str, str] = os.environ) -> CollectorStats | None:
    """Call once start-up has loaded what lives for the whole process (modules, settings, plugins).

    Applies the policy unless ``VAO_GC_TUNING=off``; starts the measurement if ``VAO_GC_STATS`` names a file
    (returned, and closed at exit).
    """
    setting = environ.get(TUNING_ENV, "on").strip().lower()
    if setting not in ("on", "off"):
        log.warning("%s=%r is neither on nor off: the garbage collector is tuned (on)", TUNING_ENV, setting)
    if setting != "off":
        gc.freeze()
        _, middle, old = gc.get_threshold()
        gc.set_threshold(_young_threshold(environ), middle, old)
    path = environ.get(STATS_ENV)
    if not path:
        return None
    try:
        out = open(path, "a", buffering=1 << 16)  # closed at exit (stats.close)
    except OSError as error:  # a measurement, not the operator's job: say so and serve anyway
        log.warning("%s=%r cannot be opened (%s): the garbage collector is not measured", STATS_ENV, path,
                    error.strerror or error)
        return None
    stats = CollectorStats(out, frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())
    gc.callbacks.append(stats)
    atexit.register(stats.close)
    return stats


def _young_threshold(environ: Mapping[str, str]) -> int:
    value = environ.get(YOUNG_THRESHOLD_ENV, "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    if value:
        log.warning("%s=%r is not a positive whole number: the young generation's threshold is %d",
                    YOUNG_THRESHOLD_ENV, value, YOUNG_GENERATION_THRESHOLD)
    return YOUNG_GENERATION_THRESHOLD
