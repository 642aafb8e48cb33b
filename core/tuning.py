"""Process-wide settings for a long-running operator: which event loop (the collector's: core/gc_policy.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop where uvloop is installed (as kopf's own CLI does), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # not on Windows, or installed without it: asyncio's loop works the same, slower
        log.debug("uvloop is not installed: running on asyncio's event loop")
        return asyncio.new_event_loop
    return uvloop.new_event_loop
