"""The dependants counter: counts per connection and kind, told to the finalizer keeper only on 0 <-> some."""

from __future__ import annotations

import asyncio

import pytest

from vault_access_operator.access.dependants import DependantCounter
from vault_access_operator.connections import ConnectionRegistry


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
