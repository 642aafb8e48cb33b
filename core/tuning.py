"""Process-wide settings for a long-running operator: which event loop, and how often the GC runs.

Both were measured with ``bench.scale`` (an operator restart with many connections; figures in bench/README.md):
the cyclic garbage collector took a sizeable share of the operator's CPU, most of it in full collections
that walked every object loaded at start-up again and again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

# Allocations between two young-generation collections (CPython's default is 700). A connection brought
# Active allocates a few thousand objects that die young, so at 700 the collector ran several times per
# connection in a restart. The older generations keep CPython's ratios (10, 10).
YOUNG_GENERATION_THRESHOLD = 10_000


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop where uvloop is installed (as kopf's own CLI does), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # not on Windows, or installed without it: asyncio's loop works the same, slower
        log.debug("uvloop is not installed: running on asyncio's event loop")
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def tune_garbage_collector() -> None:
    """Call once start-up has loaded what lives for the whole process (modules, settings, plugins).

    ``gc.freeze`` moves everything allocated so far out of the collector's reach, so later full collections
    walk only what the operator allocated while serving; then young collections run less often.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
