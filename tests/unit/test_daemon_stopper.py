"""How a connection's daemon waits for kopf to stop it (core/handlers.py ``_until_stopped``).

On the stopper's own event where kopf has it (a private attribute: ``stopped._setter.async_event``), else on
``stopped.wait()``, which costs a task per connection for the daemon's life (bench/README.md, session 11). The
first test fails loudly when a kopf upgrade drops the attribute; the second shows the fallback still stops.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from typing import Any, cast

import kopf
from kopf._core.intents.stoppers import DaemonStopper  # what kopf hands a daemon: DaemonStopper().async_waiter

from vault_access_operator.handlers import _until_stopped

#: kopf's name for the task behind ``stopped.wait()`` (kopf/_cogs/aiokits/aioenums.py AsyncFlagPromise).
KOPF_WAIT_TASK = "time-limited waiting for the daemon stopper"
TICKS = 20  # loop iterations a waiter gets to finish early (it must not)


class PublicOnlyStopped:
    """A DaemonStopped of a kopf without the private attribute: only what kopf documents (``wait``, ``reason``)."""

    def __init__(self, stopper: DaemonStopper) -> None:
        self._waiter = stopper.async_waiter

    @property
    def reason(self) -> kopf.DaemonStoppingReason | None:
        return self._waiter.reason

    def wait(self, timeout: float | None = None) -> Any:
        return self._waiter.wait(timeout)


async def _kopf_wait_tasks() -> int:
    return sum(1 for task in asyncio.all_tasks() if task.get_name().startswith(KOPF_WAIT_TASK))


async def _waits_until_stopped(stopped: kopf.DaemonStopped, stopper: DaemonStopper) -> int:
    """Runs ``_until_stopped`` until kopf stops the daemon; the kopf wait tasks it made meanwhile."""
    waiting = asyncio.ensure_future(_until_stopped(stopped))
    for _ in range(TICKS):
        await asyncio.sleep(0)
    made = await _kopf_wait_tasks()
    assert not waiting.done(), "the daemon's wait ended before kopf stopped it"
    stopper.set(reason=kopf.DaemonStoppingReason.RESOURCE_DELETED)
    await asyncio.wait_for(waiting, 5)  # a bound for a hang only: it ends within a few loop iterations
    return made


def test_kopfs_stopper_still_has_the_event_the_daemon_waits_on() -> None:
    async def scenario() -> int:
        stopper = DaemonStopper()
        stopped = stopper.async_waiter  # kopf's ``stopped`` kwarg of an async daemon (kopf/_core/intents/causes.py)
        event = getattr(getattr(stopped, "_setter", None), "async_event", None)
        assert isinstance(event, asyncio.Event), (
            f"kopf {importlib.metadata.version('kopf')} no longer has "
            "stopped._setter.async_event: core/handlers.py _until_stopped now falls back to stopped.wait(), one "
            "extra task per VaultConnection for its life (bench/README.md, session 11). Find the stopper's event "
            "in this kopf, or accept the task and update tests/e2e/test_connection_footprint.py")
        return await _waits_until_stopped(stopped, stopper)

    assert asyncio.run(scenario()) == 0  # no task of kopf's behind the wait


def test_without_the_private_attribute_the_daemon_still_stops_when_kopf_stops_it() -> None:
    async def scenario() -> tuple[int, kopf.DaemonStoppingReason | None, int]:
        stopper = DaemonStopper()
        stopped = PublicOnlyStopped(stopper)
        assert not hasattr(stopped, "_setter")
        made = await _waits_until_stopped(cast(kopf.DaemonStopped, stopped), stopper)
        await asyncio.sleep(0)
        return made, stopped.reason, await _kopf_wait_tasks()

    made, reason, left = asyncio.run(scenario())
    assert made == 1  # the fallback: kopf's own wait, a task of its own
    assert reason == kopf.DaemonStoppingReason.RESOURCE_DELETED and left == 0
