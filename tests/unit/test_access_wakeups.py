"""A connection's change wakes its own access objects, and looks at no other (core/access/dependency_graph.py).

At an operator restart every connection changes a few times (attached, Active, a new token); looking at
every access object on each change cost connections x objects checks (30 million at 1,000 connections
with 10,000 policies). Counted here: how many objects a change looks at, and whose passes run again.
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
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.tracked import Tracked
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.status import Observation

OTHERS = 300


class CountingAdapter:
    """Passes that only count; each waits for a change, as a pass whose connection is not Active does."""

    kind = VAULT_POLICY

    def __init__(self) -> None:
        self.passes: Counter[str] = Counter()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        self.passes[raw["metadata"]["name"]] += 1
        return Outcome("Pending", (False, "ConnectionNotReady", "waiting for the connection"), "wait")

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


def _policy(name: str, connection: str, generation: int = 1) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "generation": generation},
            "spec": {"connectionRef": connection}}


async def _settle(adapter: CountingAdapter, total: int) -> None:
    for _ in range(200):
        await asyncio.sleep(0.005)
        if sum(adapter.passes.values()) >= total:
            break
    await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_a_connection_change_looks_only_at_its_own_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ConnectionRegistry()
    controller = AccessController(registry, StatusSink(), _no_event,  # type: ignore[arg-type]
                                  AccessSettings(resync_seconds=QUIET_RESYNC_SECONDS),
                                  lambda: datetime.datetime.now(datetime.UTC))
    adapter = CountingAdapter()
    for i in range(OTHERS):
        controller.observe(adapter, _policy(f"busy-{i}", "busy"))
    for i in range(3):
        controller.observe(adapter, _policy(f"mine-{i}", "mine"))
    await _settle(adapter, OTHERS + 3)
    assert set(adapter.passes.values()) == {1}

    looked = Counter[str]()
    connection: property = Tracked.__dict__["connection"]  # the property itself, not its value on the class
    plain = connection.fget
    assert plain is not None
    monkeypatch.setattr(Tracked, "connection", property(lambda self: looked.update(["x"]) or plain(self)))
    registry.attach("mine", Observation(generation=1, method="kubernetes"), None)  # a change: Pending
    await _settle(adapter, OTHERS + 6)
    assert looked["x"] <= 3, f"one change of 'mine' looked at {looked['x']} objects"
    assert {name: count for name, count in adapter.passes.items() if count > 1} == {f"mine-{i}": 2 for i in range(3)}

    # An object moved to another connection (an edit of spec.connectionRef) is woken by that one's changes.
    controller.observe(adapter, _policy("busy-0", "mine", generation=2))
    await _settle(adapter, OTHERS + 7)
    before = Counter(adapter.passes)
    registry.detach("mine")  # a change: removed
    await _settle(adapter, OTHERS + 11)
    woken = {name for name in adapter.passes if adapter.passes[name] > before[name]}
    assert woken == {"busy-0", "mine-0", "mine-1", "mine-2"}

    await controller.forget(VAULT_POLICY, _policy("mine-0", "mine"))
    before = Counter(adapter.passes)
    registry.attach("mine", Observation(generation=1, method="kubernetes"), None)
    await _settle(adapter, OTHERS + 14)
    assert {name for name in adapter.passes if adapter.passes[name] > before[name]} == {"busy-0", "mine-1",
                                                                                         "mine-2"}
    await controller.close()
