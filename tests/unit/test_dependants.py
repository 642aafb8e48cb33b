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
async def test_a_start_listing_many_objects_writes_the_connection_status_a_few_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A start sees its objects one by one: the counts go onto the connection's status once the burst pauses
    (or every FLUSH_MAX_SECONDS), not once per new count; the finalizer keeper still hears of the first one at once."""
    written: list[int] = []

    async def publish(connections: ConnectionRegistry, name: str) -> None:
        slot = connections.slot(name)
        assert slot is not None and slot.obs.dependants is not None
        written.append(slot.obs.dependants.total)

    monkeypatch.setattr(dependants, "publish", publish)
    monkeypatch.setattr(dependants, "FLUSH_QUIET_SECONDS", 0.2)
    registry = ConnectionRegistry()
    registry.attach("vault", Observation(generation=1, method="kubernetes"), None)
    counter = DependantCounter(registry)
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    for n in range(1000):  # as kopf delivers a listing: an object now and then, the loop running in between
        counter.set(("VaultPolicy", f"ns-{n % 50}", f"p{n}"), "vault")
        await asyncio.sleep(0.01 if n == 0 else 0)
        if n == 0:
            assert told == [("vault", True)] and written == []
    await asyncio.sleep(0.5)
    assert written[-1] == 1000
    assert len(written) <= 2, written  # before: a write for about every other object
    counter.close()
