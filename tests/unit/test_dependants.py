"""The dependants counter: counts per connection and kind, told to the finalizer keeper only on 0 <-> some."""

from __future__ import annotations

import asyncio
import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from vault_access_operator.access.dependants import DependantCounter
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.redact import REDACTOR
from vault_access_operator.reporting import Reporter
from vault_access_operator.status import Observation


@pytest.mark.asyncio
async def test_counts_follow_the_objects_and_the_finalizer_is_told_only_on_the_edges() -> None:
    counter = DependantCounter(ConnectionRegistry())
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    counter.seen("vault", False, None)  # the watch showed both connections, without our finalizer
    counter.seen("other", False, None)
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


class _Sink:
    """A status sink that keeps what was written."""

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        self.written.append(status)
        return True


async def _no_event(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    pass


def _attached(registry: ConnectionRegistry) -> tuple[Reporter, _Sink]:
    obs = Observation(generation=1, method="kubernetes", mount="kubernetes")
    sink = _Sink()
    reporter = Reporter("vault", obs, sink, EventEmitter(lambda: VAULT_CONNECTION.ref("vault"), _no_event, REDACTOR),
                        lambda: datetime.datetime.now(datetime.UTC), REDACTOR)
    runtime = SimpleNamespace(reporter=reporter, session=SimpleNamespace(on_token=None, has_token=True))
    registry.attach("vault", obs, runtime)  # type: ignore[arg-type]
    return reporter, sink


@pytest.mark.asyncio
async def test_counts_ride_on_the_first_write_and_a_burst_of_changes_makes_one_write() -> None:
    """At an operator restart the objects are listed one by one, after or before the connection's login: the
    login's status write carries the counts known then, and what follows is written once, when it settles."""
    registry = ConnectionRegistry()
    counter = DependantCounter(registry, quiet=0.3)
    reporter, sink = _attached(registry)
    for i in range(10):  # listed before the login: nothing written, no Pending status before it
        counter.set(("VaultPolicy", "a", f"p{i}"), "vault")
        await asyncio.sleep(0)
    await asyncio.sleep(0.4)
    assert sink.written == []

    await reporter.publish()  # the login's outcome
    assert [w["dependants"]["policies"] for w in sink.written] == [10]

    for i in range(10, 15):  # five more, one by one, quicker than the quiet period
        counter.set(("VaultPolicy", "a", f"p{i}"), "vault")
        await asyncio.sleep(0)
        await reporter.publish()  # a health check in between writes nothing: its observation did not change
    assert len(sink.written) == 1
    await asyncio.sleep(0.6)
    assert [w["dependants"]["policies"] for w in sink.written] == [10, 15]
    counter.close()


class _SlowSink(_Sink):
    """Holds every write until released; counts how many were waiting at once."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__()
        self.release, self.waiting, self.most = release, 0, 0

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        await self.release.wait()
        self.waiting -= 1
        return await super().patch_status(name, status)


@pytest.mark.asyncio
async def test_many_connections_counts_are_written_side_by_side() -> None:
    """After a restart a thousand connections' counts settle together: written one after another, each waiting
    for the API, the last one took 30 s (bench/README.md, session 7)."""
    registry = ConnectionRegistry()
    counter = DependantCounter(registry, quiet=0.05)
    release = asyncio.Event()
    sinks = []
    for i in range(40):
        obs = Observation(generation=1, method="kubernetes", mount="kubernetes")
        release.set()
        sink = _SlowSink(release)
        reporter = Reporter(f"c{i}", obs, sink, EventEmitter(lambda: VAULT_CONNECTION.ref("c"), _no_event, REDACTOR),
                            lambda: datetime.datetime.now(datetime.UTC), REDACTOR)
        await reporter.publish()  # logged in: its own first write
        runtime = SimpleNamespace(reporter=reporter, session=SimpleNamespace(on_token=None, has_token=True))
        registry.attach(f"c{i}", obs, runtime)  # type: ignore[arg-type]
        sinks.append(sink)
    await asyncio.sleep(0.01)  # the registry tells of the attached connections
    release.clear()
    for i in range(40):
        counter.set(("VaultPolicy", "a", f"p{i}"), f"c{i}")
    await asyncio.sleep(0.3)
    assert sum(sink.waiting for sink in sinks) == 32  # WRITES_IN_FLIGHT at once, not one
    release.set()
    await asyncio.sleep(0.1)
    assert [len(sink.written) for sink in sinks] == [2] * 40
    counter.close()


@pytest.mark.asyncio
async def test_the_finalizer_follows_the_body_seen_and_a_start_reads_nothing_back() -> None:
    """An operator start sees each connection's body (with our finalizer) before or while it counts: no call
    for a connection whose finalizer is as wanted; one that is not (a stale body) is put right."""
    counter = DependantCounter(ConnectionRegistry())
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    counter.set(("VaultPolicy", "a", "p"), "vault")  # counted before the connection's watch event came
    await asyncio.sleep(0.01)
    counter.seen("vault", True, None)  # the start's listing: the finalizer is there
    counter.seen("plain", False, None)
    await asyncio.sleep(0.01)
    assert told == []

    counter.seen("vault", False, None)  # a body without it while a dependant exists: added again
    counter.set(("VaultPolicy", "a", "q"), "plain")  # a first dependant: added
    await asyncio.sleep(0.01)
    assert sorted(told) == [("plain", True), ("vault", True)]
    counter.close()


@pytest.mark.asyncio
async def test_a_start_keeps_the_counts_its_status_shows_and_writes_once_for_the_login() -> None:
    """An operator start sees each connection's status (10 policies), then lists the policies one by one
    around the login: the login's write shows the 10 it showed, and the listing writes nothing more."""
    registry = ConnectionRegistry()
    counter = DependantCounter(registry, quiet=0.05)
    counter.seen("vault", True, {"policies": 10})
    reporter, sink = _attached(registry)
    await asyncio.sleep(0.01)  # the registry tells of the attached connection
    for i in range(3):  # some listed before the login, the rest after
        counter.set(("VaultPolicy", "a", f"p{i}"), "vault")
    await asyncio.sleep(0.1)
    await reporter.publish()
    for i in range(3, 10):
        counter.set(("VaultPolicy", "a", f"p{i}"), "vault")
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    assert [w["dependants"]["policies"] for w in sink.written] == [10]
    counter.close()


@pytest.mark.asyncio
async def test_counts_shown_but_gone_while_the_operator_was_down_are_corrected_after_the_grace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vault_access_operator.access.dependants.SHOWN_GRACE_SECONDS", 0.2)
    registry = ConnectionRegistry()
    counter = DependantCounter(registry, quiet=0.05)
    counter.seen("vault", False, {"policies": 4})
    reporter, sink = _attached(registry)
    await asyncio.sleep(0.01)
    await reporter.publish()
    await asyncio.sleep(0.4)
    assert [w["dependants"]["policies"] for w in sink.written] == [4, 0]
    counter.close()


@pytest.mark.asyncio
async def test_counting_objects_one_by_one_builds_no_status_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # An operator start lists the objects one by one, and nearly each one's count ran a flush of its own that built
    # two status models to compare with the connection's status. The counts are compared as numbers now.
    from vault_access_operator.access import discovery_models

    built: list[object] = []
    plain_init, plain_copy = discovery_models.DependantsStatus.__init__, discovery_models.DependantsStatus.model_copy

    def init(model: Any, **values: Any) -> None:
        built.append(values)
        plain_init(model, **values)

    def copy(model: Any, **options: Any) -> Any:
        built.append(options)
        return plain_copy(model, **options)

    monkeypatch.setattr(discovery_models.DependantsStatus, "__init__", init)
    monkeypatch.setattr(discovery_models.DependantsStatus, "model_copy", copy)
    counter = DependantCounter(ConnectionRegistry())
    told: list[tuple[str, bool]] = []

    async def on_change(name: str, has: bool) -> None:
        told.append((name, has))

    counter.on_change = on_change
    counter.seen("vault", False, None)
    for i in range(200):
        counter.set(("VaultPolicy" if i % 2 else "VaultRole", "team", f"o{i}"), "vault")
        for _ in range(3):  # the flush runs between two objects, as when kopf hands them over one by one
            await asyncio.sleep(0)
    assert built == []  # before: 400 (two per flush)
    assert told == [("vault", True)]
    assert counter.of("vault").model_dump() == {"policies": 100, "roles": 100, "kv_secrets": 0, "message": None}
    counter.close()
