"""An access object holds no task between its passes, only an alarm (core/access/pass_scheduler.py, schedule.py).

Issue 18 (RSS with 10,000 objects): a task per object waiting all the time cost about 2.7 KB each (the task, its
coroutines, a timeout and its timer). Counted here: the tasks and the bytes idle objects hold, and that the passes
still come when they did (a wake-up during a pass, the wait for the connection after a start, the alarms).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import gc
import math
import tracemalloc
import weakref
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.access_fakes import QUIET_RESYNC_SECONDS, StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome, Then
from vault_access_operator.access.pass_scheduler import SETTLE_TICK
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.schedule import Alarms
from vault_access_operator.access.settings import DRIFT_SLOTS, AccessSettings
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import VAULT_CONNECTION, VAULT_POLICY
from vault_access_operator.redact import REDACTOR
from vault_access_operator.reporting import Reporter
from vault_access_operator.status import Observation

OBJECTS = 1_000
#: What an idle synced object may hold besides its JSON (tracemalloc): the record, its index and metrics entries,
#: its alarm's slot. About 900 bytes; with a task per object waiting on a timeout it was about 2,700.
IDLE_BYTES = 1_400

#: Stands for kopf's per-handler context variables (its cause: the event's body, patch and logger).
HANDLER_CAUSE: contextvars.ContextVar[object] = contextvars.ContextVar("handler_cause")


class Passes:
    """Counts passes by name and drift check; each ends as ``then`` says, after ``gate`` opens if one is given."""

    kind = VAULT_POLICY

    def __init__(self, then: Then = "resync", gate: asyncio.Event | None = None) -> None:
        self.then, self.gate = then, gate
        self.passes: Counter[tuple[str, bool]] = Counter()

    @property
    def total(self) -> int:
        return self.passes.total()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        self.passes[raw["metadata"]["name"], drift_check] += 1
        if self.gate is not None:
            await self.gate.wait()
        return Outcome("Active", (True, "Succeeded", "synced"), self.then)

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


def _body(name: str, generation: int = 1, phase: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}",
                                         "generation": generation}, "spec": {"connectionRef": "vault"}}
    if phase is not None:
        body["status"] = {"phase": phase}
    return body


def _controller(registry: ConnectionRegistry | None = None, **settings: Any) -> AccessController:
    settings.setdefault("resync_seconds", QUIET_RESYNC_SECONDS)  # no drift check among the passes counted
    return AccessController(registry or ConnectionRegistry(), StatusSink(), _no_event,  # type: ignore[arg-type]
                            AccessSettings(**settings), lambda: datetime.datetime.now(datetime.UTC))


async def _ticks(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0.005)


async def _until(check: Any) -> None:
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached within 10 s")


@pytest.mark.asyncio
async def test_idle_synced_objects_hold_no_task_and_under_a_kilobyte_and_a_half_each() -> None:
    controller, adapter = _controller(), Passes()
    bodies = [_body(f"p{i}") for i in range(OBJECTS)]
    await asyncio.sleep(0)
    gc.collect()
    tasks = len(asyncio.all_tasks())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for body in bodies:
            controller.observe(adapter, body)
        await _until(lambda: adapter.total >= OBJECTS)
        await _ticks()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    try:
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("sync ")], "a task per idle object"
        assert len(asyncio.all_tasks()) <= tasks + 2, "tasks grow with the objects"  # + the dependants counter's
        json_bytes = sum(t.kept_bytes for t in controller._objects.values())
        per_object = (held - json_bytes) / OBJECTS
        assert per_object <= IDLE_BYTES, f"{per_object:.0f} bytes per idle object besides its JSON"
        assert len(controller._schedule.alarms.instants) <= DRIFT_SLOTS + 1  # the alarms share the drift slots' timers
    finally:
        await controller.close()


@pytest.mark.asyncio
async def test_alarms_at_one_instant_share_one_timer_and_ring_in_order() -> None:
    rung: list[tuple[str, float]] = []
    alarms: Alarms[str] = Alarms(lambda item, when: rung.append((item, when)))
    soon = asyncio.get_running_loop().time() + 0.02
    for item in ("a", "b", "c"):
        alarms.set(item, soon)
    alarms.set("d", soon + 60)
    assert alarms.instants == [soon, soon + 60] and len(alarms) == 4
    alarms.cancel("b", soon)
    alarms.cancel("d", soon + 60)  # the last of its instant: its timer goes too
    alarms.cancel("x", soon)  # never set: nothing
    assert alarms.instants == [soon] and len(alarms._timers) == 1
    await _ticks(10)
    assert rung == [("a", soon), ("c", soon)]
    assert alarms.instants == [] and len(alarms) == 0 and not alarms._timers


@pytest.mark.asyncio
async def test_wake_ups_during_a_pass_make_one_more_pass_in_the_same_task() -> None:
    controller, gate = _controller(), asyncio.Event()
    adapter = Passes(gate=gate)
    controller.observe(adapter, _body("p"))
    await _until(lambda: adapter.total == 1)
    task = controller._objects["VaultPolicy", "team", "p"].task
    for generation in (2, 3, 4):  # three edits while the pass waits for Vault
        controller.observe(adapter, _body("p", generation))
    gate.set()
    await _until(lambda: controller._objects["VaultPolicy", "team", "p"].task is None)
    assert task is not None and task.done()
    assert adapter.passes == {("p", False): 2}
    await controller.close()


@pytest.mark.asyncio
async def test_an_alarm_rings_a_drift_check_and_forget_silences_it() -> None:
    controller, adapter = _controller(resync_seconds=0.05), Passes()
    controller.observe(adapter, _body("p"))
    controller.observe(adapter, _body("q"))
    await _until(lambda: adapter.passes["p", True] >= 1 and adapter.passes["q", True] >= 1)
    await controller.forget(VAULT_POLICY, _body("p"))
    checks = adapter.passes["p", True]
    await _until(lambda: adapter.passes["q", True] >= 3)
    assert adapter.passes["p", True] == checks and len(controller._schedule.alarms) <= 1  # only q's
    await controller.close()
    assert len(controller._schedule.alarms) == 0 and not controller._schedule.alarms._timers


def _attached(registry: ConnectionRegistry) -> Observation:
    """The connection 'vault', logging in (Pending); make it Active with :func:`_active`."""
    obs = Observation(generation=1, method="kubernetes", mount="kubernetes")
    reporter = Reporter("vault", obs, StatusSink(), EventEmitter(lambda: VAULT_CONNECTION.ref("vault"), _no_event,
                        REDACTOR), lambda: datetime.datetime.now(datetime.UTC), REDACTOR)
    runtime = SimpleNamespace(reporter=reporter, session=SimpleNamespace(on_token=None, has_token=True))
    registry.attach("vault", obs, runtime)  # type: ignore[arg-type]
    return obs


@pytest.mark.asyncio
async def test_a_synced_object_waits_for_its_connection_after_a_start_and_passes_once_it_is_active() -> None:
    registry = ConnectionRegistry()
    obs = _attached(registry)
    controller, adapter = _controller(registry), Passes()
    controller.observe(adapter, _body("p", phase="Active"))  # as a restart finds it: synced before
    controller.observe(adapter, _body("fresh"))  # never synced: it waits too (its pass would be held for the login)
    await _ticks()
    assert adapter.passes == {}
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("sync ")]  # waiting holds no task either
    registry.phase_changed("vault")  # told again, unchanged: nothing
    controller.observe(adapter, {**_body("p", phase="Active"), "metadata": {
        **_body("p")["metadata"], "annotations": {"kopf.zalando.org/last-handled-configuration": "{}"}}})
    await _ticks()
    assert adapter.passes["p", False] == 0  # kopf's own annotation is no edit
    obs.phase = "Active"
    registry.phase_changed("vault")
    await _until(lambda: adapter.passes["p", False] == 1)
    await _ticks()
    assert adapter.passes == {("fresh", False): 1, ("p", False): 1}  # one pass each, once the login is done
    await controller.close()


@pytest.mark.asyncio
async def test_objects_waiting_for_their_connection_after_a_start_share_a_few_timers() -> None:
    """A start lists thousands of synced objects within a second or two; each waits for its connection up to the
    grace's end, with no task, on timers shared by the objects listed within one SETTLE_TICK."""
    registry = ConnectionRegistry()
    _attached(registry)  # logging in
    controller, adapter = _controller(registry), Passes()
    loop = asyncio.get_running_loop()
    began = loop.time()
    for i in range(OBJECTS):
        controller.observe(adapter, _body(f"p{i}", phase="Active"))
    ticks = math.ceil((loop.time() - began) / SETTLE_TICK) + 1  # the ticks the listing spanned (more when loaded)
    await _ticks()
    assert adapter.total == 0 and len(controller._schedule.alarms) == OBJECTS
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("sync ")]
    assert len(controller._schedule.alarms.instants) <= ticks, (len(controller._schedule.alarms.instants), ticks)
    assert ticks < OBJECTS / 10  # else the bound says nothing
    await controller.close()


@pytest.mark.asyncio
async def test_a_synced_object_passes_after_the_grace_or_at_once_when_edited() -> None:
    registry = ConnectionRegistry()
    _attached(registry)  # never Active
    controller, adapter = _controller(registry, connection_grace_seconds=0.1), Passes(then="wait")
    controller.observe(adapter, _body("waits", phase="Active"))
    controller.observe(adapter, _body("edited", phase="Active"))
    await _ticks(2)
    controller.observe(adapter, _body("edited", generation=2, phase="Active"))
    await _until(lambda: adapter.passes["edited", False] == 1)
    assert adapter.passes["waits", False] == 0
    await _until(lambda: adapter.passes["waits", False] == 1)  # the grace is over: it says what it found
    await _ticks()
    assert adapter.passes == {("edited", False): 1, ("waits", False): 1}
    await controller.close()


@pytest.mark.asyncio
async def test_a_waiting_object_does_not_keep_the_handler_context_it_was_seen_from() -> None:
    registry = ConnectionRegistry()
    _attached(registry)
    controller, adapter = _controller(registry), Passes()
    cause = Cause()
    gone = weakref.ref(cause)
    handler_context = contextvars.copy_context()
    handler_context.run(HANDLER_CAUSE.set, cause)
    # As kopf runs the handler that saw the object: it waits for its connection (an alarm at the grace's end).
    handler_context.run(controller.observe, adapter, _body("p", phase="Active"))
    del handler_context, cause
    await _ticks()
    gc.collect()
    assert gone() is None
    assert controller._objects["VaultPolicy", "team", "p"].alarm is not None
    await controller.close()


class Cause:
    """Something a kopf handler's context holds while the handler runs."""


def test_a_pass_decodes_the_kept_body_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pass's own copy (``for_pass``) gives what a later change is compared with: no second decode of the body
    per pass (1.2 to 1.5% of the operator's CPU in an initial sync, bench/README.md session 10)."""
    from vault_access_operator.access.tracked import Tracked

    decoded = Counter[str]()
    plain: property = Tracked.__dict__["raw"]  # the property itself, not its value on the class

    def counted(self: Tracked) -> dict[str, Any]:
        decoded["raw"] += 1
        assert plain.fget is not None
        raw: dict[str, Any] = plain.fget(self)
        return raw

    async def run() -> None:
        controller, passes = _controller(), Passes()
        controller.observe(passes, _body("app"))
        monkeypatch.setattr(Tracked, "raw", property(counted, plain.fset))
        for generation in (2, 3):
            await _until(lambda done=generation - 1: passes.total >= done)
            await _ticks()
            controller.observe(passes, _body("app", generation=generation))
        await _until(lambda: passes.total >= 3)
        await controller.close()

    asyncio.run(run())
    assert decoded["raw"] == 0


def test_a_failure_around_a_pass_is_retried_not_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error outside the adapter's pass (bookkeeping after it) must not leave the object with a finished task and
    no alarm: nothing would ever run it again."""

    async def run() -> None:
        controller, passes = _controller(retry_base_seconds=0.01), Passes()
        done = controller.metrics.pass_done
        calls: list[int] = []

        def fails_once(*args: Any) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("a bug in the bookkeeping")
            done(*args)

        monkeypatch.setattr(controller.metrics, "pass_done", fails_once)
        controller.observe(passes, _body("app"))
        await _until(lambda: passes.total >= 2)
        await _until(lambda: controller._objects["VaultPolicy", "team", "app"].task is None)
        await controller.close()

    asyncio.run(run())
