"""Objects whose drift checks fall due in one slot wait for the same instant of the loop's clock, so one timer
tick of the loop runs all of them (core/access/pass_scheduler.py with AccessSettings.on_grid, core/access/schedule.py;
issue 18: each wake-up of an idle process costs about as much CPU as a check). Counted: the distinct instants the
loop's timers are set for while the objects wait.
"""

from __future__ import annotations

import asyncio
import datetime
from collections import Counter
from typing import Any

import pytest

from tests.support.access_fakes import QUIET_RESYNC_SECONDS, StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import DRIFT_SLOTS, AccessSettings
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY

OBJECTS = 2_000


class SyncedAdapter:
    """Every pass ends well and asks for the next drift check, as a synced object's does."""

    kind = VAULT_POLICY

    def __init__(self) -> None:
        self.passes = 0

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        self.passes += 1
        return Outcome("Active", (True, "Succeeded", "synced"), "resync")

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


@pytest.mark.asyncio
async def test_objects_synced_together_wait_for_at_most_one_instant_per_slot(
        monkeypatch: pytest.MonkeyPatch) -> None:
    timers: Counter[float] = Counter()
    loop = asyncio.get_running_loop()
    call_at = loop.call_at

    def counted(when: float, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        timers[when] += 1
        return call_at(when, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counted)
    controller = AccessController(ConnectionRegistry(), StatusSink(), _no_event,  # type: ignore[arg-type]
                                  AccessSettings(resync_seconds=QUIET_RESYNC_SECONDS),
                                  lambda: datetime.datetime.now(datetime.UTC))
    adapter = SyncedAdapter()
    try:
        for i in range(OBJECTS):
            controller.observe(adapter, {"metadata": {"name": f"p{i}", "namespace": "team", "uid": f"u{i}",
                                                      "generation": 1}, "spec": {"connectionRef": "vault"}})
        for _ in range(400):
            await asyncio.sleep(0.01)
            if adapter.passes >= OBJECTS and len(controller._schedule.alarms) >= OBJECTS:
                break
        assert adapter.passes == OBJECTS and len(controller._schedule.alarms) == OBJECTS  # each waits for its check
        # Spread over the interval, and on at most one instant per slot: about 13 objects per wake-up here.
        instants = {when for when in timers if when > loop.time() + 0.05}  # the sleeps above aside
        assert len(instants) <= DRIFT_SLOTS + 1, len(instants)
        assert len(controller._schedule.alarms.instants) <= DRIFT_SLOTS + 1
    finally:
        await controller.close()
