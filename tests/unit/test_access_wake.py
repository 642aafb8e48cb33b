"""The wake-up each tracked access object's worker waits on (core/access/wake.py): an Event for one waiter, small.

asyncio.Event keeps a deque of waiters and an instance dict, about 1.1 KB per object: 11 MB at 10,000 objects, for
a queue that only ever holds the object's own worker. Counted here: the bytes a record keeps (tracemalloc).
"""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from vault_access_operator.access.tracked import Tracked
from vault_access_operator.access.wake import Wake

RECORDS = 1000
#: Bytes a record keeps besides its body (about 270 with Wake; asyncio.Event alone is about 1,100).
RECORD_BYTES = 600


def test_a_record_with_its_wake_up_keeps_a_few_hundred_bytes() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        records = [Tracked(None, {"metadata": {"name": "p"}}) for _ in range(RECORDS)]  # type: ignore[arg-type]
        per_record = (tracemalloc.get_traced_memory()[0] - before) / RECORDS
    finally:
        tracemalloc.stop()
    assert len(records) == RECORDS
    assert per_record <= RECORD_BYTES, f"{per_record:.0f} bytes per record"


@pytest.mark.asyncio
async def test_it_wakes_its_waiter_as_an_event_would() -> None:
    wake = Wake()
    wake.set()
    await asyncio.wait_for(wake.wait(), 1)  # set before the wait: returns at once
    wake.clear()
    waiter = asyncio.ensure_future(wake.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    wake.set()
    await asyncio.wait_for(waiter, 1)
    assert wake.is_set()


@pytest.mark.asyncio
async def test_a_wait_that_times_out_leaves_nothing_behind() -> None:
    wake = Wake()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await wake.wait()
    assert wake._waiter is None  # the next wait starts clean
    waiter = asyncio.ensure_future(wake.wait())
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(waiter, 1)


@pytest.mark.asyncio
async def test_a_second_waiter_is_a_bug_said_at_once() -> None:
    wake = Wake()
    first = asyncio.ensure_future(wake.wait())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one worker"):
        await wake.wait()
    wake.set()
    await asyncio.wait_for(first, 1)
