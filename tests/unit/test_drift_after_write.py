"""A drift check falling due right after the object's write is skipped: the write was read back moments ago.

An object's first drift check falls at a random point of the first interval (core/access/settings.py), so during
an initial sync of 10,000 objects thousands of them read Vault again within a minute of writing it (0.2 extra
reads per object in bench.access). Counted here: the passes that compare Vault's copy (one Vault read each).
"""

from __future__ import annotations

import asyncio
import datetime
import random
from typing import Any

import pytest

from tests.support.access_fakes import StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.pass_scheduler import RECENT_WRITE_SHARE
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.status_writer import written_within
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY

T0 = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


class EarliestChecks(random.Random):
    """Every first drift check due at once, every later one at the shortest interval: the checks come fast."""

    def random(self) -> float:
        return 0.0

    def uniform(self, a: float, b: float) -> float:
        return a


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


class DriftCounting:
    """Writes on the first pass, then records whether each pass was asked to compare Vault's copy."""

    kind = VAULT_POLICY

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.checks: list[bool] = []

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        self.checks.append(drift_check)
        outcome = Outcome("Active", (True, "Succeeded", "Policy synced to Vault"), "resync")
        if len(self.checks) == 1:
            outcome.wrote, outcome.fields = True, {"last_applied_hash": "h"}
        elif len(self.checks) == 2:
            self.clock.now = T0 + datetime.timedelta(hours=1)  # later checks: long after the write
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


@pytest.mark.asyncio
async def test_a_drift_check_right_after_the_write_reads_nothing() -> None:
    clock = Clock()
    settings = AccessSettings(resync_seconds=0.05)
    controller = AccessController(ConnectionRegistry(), StatusSink(), _no_event, settings,  # type: ignore[arg-type]
                                  clock, rng=EarliestChecks())
    adapter = DriftCounting(clock)
    controller.observe(adapter, {"metadata": {"name": "p", "namespace": "team", "uid": "u", "generation": 1},
                                 "spec": {"connectionRef": "vault"}})
    for _ in range(400):
        await asyncio.sleep(0.005)
        if len(adapter.checks) >= 4:
            break
    await controller.close()
    # The write; the first check, due at once, skipped (0 reads); the later ones compare Vault's copy again.
    assert adapter.checks[:4] == [False, False, True, True]


def test_written_within() -> None:
    status = {"lastSyncedAt": "2026-11-30T12:00:00Z"}
    assert written_within(status, T0 + datetime.timedelta(seconds=149), 300 * RECENT_WRITE_SHARE)
    assert not written_within(status, T0 + datetime.timedelta(seconds=151), 300 * RECENT_WRITE_SHARE)
    assert not written_within({}, T0, 30) and not written_within({"lastSyncedAt": "yesterday"}, T0, 30)
    assert not written_within(None, T0, 30)
