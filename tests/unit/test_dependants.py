"""The dependants counter: counts per connection and kind, told to the finalizer keeper only on 0 <-> some."""

from __future__ import annotations

import asyncio

import pytest

from vault_access_operator.access import dependants
from vault_access_operator.access.dependants import DependantCounter
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.status import Observation


@pytest.mark.asyncio
async def test_counts_follow_the_objects_and_the_finalizer_is_told_only_on_the_edges() -> None:
    counter = DependantCounter(ConnectionRegistry())
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    counter.set(("VaultPolicy", "a", "p"), "vault")
    counter.set(("VaultKVSecret", "a", "s"), "vault")
    counter.set(("VaultClusterPolicy", None, "c"), "other")
    counter.set(("VaultConnection", None, "x"), "vault")  # not an access kind: not counted
    await asyncio.sleep(0.01)
    assert counter.of("vault").model_dump() == {"policies": 1, "roles": 0, "kv_secrets": 1, "message": None}
    assert sorted(told) == [("other", True), ("vault", True)]

    counter.set(("VaultPolicy", "a", "p"), "vault")  # unchanged: nothing to do
    counter.set(("VaultKVSecret", "a", "s"), "other")  # moved to another connection
    await asyncio.sleep(0.01)
    assert (counter.of("vault").total, counter.of("other").total) == (1, 2)
    assert len(told) == 2

    counter.set(("VaultPolicy", "a", "p"), None)
    await asyncio.sleep(0.01)
    assert counter.of("vault").total == 0 and told[-1] == ("vault", False)
    assert counter.all()["other"].describe() == "1 policy, 1 KV secret"
    counter.close()


@pytest.mark.asyncio
async def test_a_burst_of_dependants_is_one_status_write_per_interval_and_the_finalizer_is_told_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ConnectionRegistry()
    registry.attach("vault", Observation(generation=1, method="kubernetes"), None)
    published: list[int] = []
    second = asyncio.Event()

    async def publish(connections: ConnectionRegistry, name: str) -> None:
        slot = connections.slot(name)
        published.append(slot.obs.dependants.total if slot and slot.obs.dependants else -1)
        if len(published) > 1:
            second.set()
        await asyncio.sleep(0.001)  # the PATCH: more objects come in meanwhile

    monkeypatch.setattr(dependants, "publish", publish)
    counter = DependantCounter(registry)
    counter.publish_interval = 2.0  # ample for the burst below, even on a busy machine
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    # A start-up: each object comes with its own watch event, in a tick of its own.
    for i in range(300):
        counter.set(("VaultPolicy", "a", f"p{i}"), "vault")
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert told == [("vault", True)]  # the finalizer keeper at once, not after the interval
    assert len(published) == 1  # the first count at once, then nothing within the interval
    for i in range(300):  # all gone again, before the interval is over: the keeper hears of it at once
        counter.set(("VaultPolicy", "a", f"p{i}"), None)
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert told == [("vault", True), ("vault", False)] and len(published) == 1
    counter.set(("VaultKVSecret", "a", "s"), "vault")
    await asyncio.sleep(0.01)
    assert told[-1] == ("vault", True)
    async with asyncio.timeout(10):  # the interval after the first write
        await second.wait()
    assert len(published) == 2 and published[-1] == 1  # one more write for the whole burst: the count as it ended
    counter.close()

