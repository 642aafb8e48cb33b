"""Wakeup: the sleeper runs in the sleeping task (no helper task per sleep), and cancellation stays the task's own.

Each connection sleeps once per health check; a helper task and an ``asyncio.wait`` per sleep cost about a
twentieth of a steady operator's CPU per check (bench/README.md, session 8). Waking, merged requests and
the sleeper's own errors: tests/unit/test_connection_registry.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

import pytest

from vault_access_operator.wakeup import Wakeup


def _counting_tasks(loop: asyncio.AbstractEventLoop, created: list[int]) -> None:
    def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
                **kwargs: Any) -> asyncio.Task[Any]:
        created[0] += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)


def test_sleeps_start_no_task() -> None:
    async def scenario() -> int:
        created = [0]
        _counting_tasks(asyncio.get_running_loop(), created)
        wakeup = Wakeup()
        for _ in range(50):
            assert await wakeup.sleep(lambda: asyncio.sleep(0)) is False
        return created[0]

    assert asyncio.run(scenario()) == 0


def test_a_woken_sleep_leaves_the_task_uncancelled() -> None:
    async def scenario() -> None:
        wakeup = Wakeup()

        async def woken_then_timed() -> bool:
            woken = await wakeup.sleep(lambda: asyncio.sleep(3600))
            task = asyncio.current_task()
            assert task is not None and task.cancelling() == 0
            async with asyncio.timeout(5):  # the task's own cancellation machinery still works
                await asyncio.sleep(0)
            return woken

        sleeping = asyncio.create_task(woken_then_timed())
        await asyncio.sleep(0)
        wakeup.request()
        assert await asyncio.wait_for(sleeping, 5) is True

    asyncio.run(scenario())


@pytest.mark.parametrize("requested", [False, True])
def test_cancelling_the_sleeping_task_cancels_it_with_or_without_a_request(requested: bool) -> None:
    async def scenario() -> None:
        wakeup = Wakeup()
        sleeping = asyncio.create_task(wakeup.sleep(lambda: asyncio.sleep(3600)))
        await asyncio.sleep(0)
        if requested:
            wakeup.request()  # the request and the cancellation land before the task runs again
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        assert sleeping.cancelled()

    asyncio.run(scenario())


def test_a_request_after_the_sleep_ended_is_kept_for_the_next_sleep() -> None:
    async def scenario() -> list[bool]:
        wakeup, seen = Wakeup(), []
        seen.append(await wakeup.sleep(lambda: asyncio.sleep(0)))
        wakeup.request()  # nobody sleeps: nothing to cancel
        seen.append(await wakeup.sleep(lambda: asyncio.sleep(3600)))
        seen.append(await wakeup.sleep(lambda: asyncio.sleep(0)))
        return seen

    assert asyncio.run(scenario()) == [False, True, False]
