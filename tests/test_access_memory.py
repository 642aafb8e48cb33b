"""What the access controller keeps per object (issue 18: RSS with 10,000 objects): each thing once.

Real controller, real VaultPolicy adapter, the API emulator for the status writes; the objects point at a
connection that does not exist, so each pass writes "connection not ready" without Vault.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import sys
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.e2e.policy_helpers import create_policy, wait_policy
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_adapter import PolicyAdapter
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.clock import utc_now
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

#: Stands for kopf's per-handler context variables (its cause: the event's body, patch and logger).
HANDLER_CAUSE: contextvars.ContextVar[object] = contextvars.ContextVar("handler_cause")


class Cause:
    """Something a kopf handler's context holds while the handler runs."""


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as kube:
        kube.ensure_namespace("team")
        yield kube


def _create(kube: FakeKube, name: str) -> dict[str, Any]:
    created: dict[str, Any] = kube.call("POST", VAULTPOLICIES.url("team"), json={
        "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy", "metadata": {"name": name, "namespace": "team"},
        "spec": {"connectionRef": "missing", "rules": [{"path": f"secret/data/{name}/*", "capabilities": ["read"]}]}})
    return created


def _as_watched(body: dict[str, Any]) -> dict[str, Any]:
    """A body as a watch event carries it: parsed from JSON of its own."""
    parsed: dict[str, Any] = json.loads(json.dumps(body))
    return parsed


def _run(kube: FakeKube, scenario: Callable[[AccessController, PolicyAdapter], Awaitable[None]]) -> None:
    async def main() -> None:
        client = KubeClient(kube.connection_info())

        async def post(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
            await client.post_event(involved, kind, reason, message, involved["namespace"])

        controller = AccessController(ConnectionRegistry(), client, post, AccessSettings(), utc_now)
        try:
            await scenario(controller, PolicyAdapter(VAULT_POLICY, AccessSettings()))
        finally:
            await controller.close()
            await client.close()

    asyncio.run(main())


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached within 5 s")


def test_a_worker_does_not_keep_the_handler_context_it_was_started_from(kube: FakeKube) -> None:
    body = _as_watched(_create(kube, "p"))

    async def scenario(controller: AccessController, adapter: PolicyAdapter) -> None:
        cause = Cause()
        gone = weakref.ref(cause)
        handler_context = contextvars.copy_context()
        handler_context.run(HANDLER_CAUSE.set, cause)
        handler_context.run(controller.observe, adapter, body)  # as kopf runs the handler that saw the object
        del handler_context, cause
        key = ("VaultPolicy", "team", "p")
        await _until(lambda: (controller.view(key) or ({}, {}))[1].get("phase") == "Pending")
        gc.collect()
        assert gone() is None  # the object lives on; the handler's context is not kept with it

    _run(kube, scenario)


def test_the_status_written_and_then_seen_on_the_watch_is_kept_once(kube: FakeKube) -> None:
    _create(kube, "p")
    path = VAULTPOLICIES.url("team", "p")

    async def scenario(controller: AccessController, adapter: PolicyAdapter) -> None:
        controller.observe(adapter, _as_watched(kube.call("GET", path)))
        key = ("VaultPolicy", "team", "p")
        await _until(lambda: (controller.view(key) or ({}, {}))[1].get("phase") == "Pending")  # written
        watched = _as_watched(kube.call("GET", path))  # the watch event of that write
        controller.observe(adapter, watched)
        raw, status = controller.view(key) or ({}, {})
        assert raw == watched and raw["status"] == status
        # The body keeps no second copy of what was written: its JSON and the status's, once each.
        body = {k: v for k, v in watched.items() if k != "status"}
        once = len(json.dumps(body, separators=(",", ":"))) + len(json.dumps(status, separators=(",", ":")))
        assert controller._objects[key].kept_bytes == once

    _run(kube, scenario)


def test_the_controller_keeps_each_body_as_a_few_allocations(kube: FakeKube) -> None:
    conditions = [{"type": kind, "status": "True", "reason": "Succeeded", "message": "", "observedGeneration": 1,
                   "lastTransitionTime": "2026-11-30T13:46:21Z"} for kind in ("Ready", "Synced", "ConnectionReady")]
    bodies = [_as_watched({**_create(kube, f"p{i}"), "status": {  # as a restart finds them: synced before
        "phase": "Active", "vaultName": f"vao.default.team.p{i}", "conditions": conditions}}) for i in range(100)]

    async def scenario(controller: AccessController, adapter: PolicyAdapter) -> None:
        controller.released.add("missing")  # the passes wait: only what the controller keeps is measured
        gc.collect()
        before = sys.getallocatedblocks()
        for body in bodies:
            controller.observe(adapter, body)
        await asyncio.sleep(0.1)  # each object's first pass is done: it waits
        gc.collect()
        per_object = (sys.getallocatedblocks() - before) / len(bodies)
        kept = [(controller.view(("VaultPolicy", "team", f"p{i}")) or ({}, {}))[0] for i in range(len(bodies))]
        assert kept == bodies
        # The record, its index and metrics entries: 14. With a worker task per object (task, coroutines, wait) it
        # was 33; with the body parsed too, 53.
        assert per_object <= 20, f"{per_object:.1f} allocations per object"

    _run(kube, scenario)


class _RememberingAdapter:
    """A pass that ends well; it remembers its outcomes weakly, to see whether anything else keeps them."""

    kind = VAULT_POLICY

    def __init__(self) -> None:
        self.outcomes: list[weakref.ref[Outcome]] = []

    async def run_pass(self, raw: dict[str, Any], handle: object, drift_check: bool) -> Outcome:
        outcome = Outcome("Active", (True, "Succeeded", "Policy synced to Vault"), "resync",
                          fields={"vault_name": "vao.default.team.p"})
        self.outcomes.append(weakref.ref(outcome))
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: object) -> Deletion:
        return Deletion(True, "Deleted", "")


def test_a_waiting_worker_keeps_no_outcome_of_its_last_pass(kube: FakeKube) -> None:
    body = _as_watched(_create(kube, "p"))

    async def scenario(controller: AccessController, _: PolicyAdapter) -> None:
        adapter = _RememberingAdapter()
        controller.observe(adapter, body)
        await _until(lambda: (controller.view(("VaultPolicy", "team", "p")) or ({}, {}))[1].get("phase") == "Active")
        await asyncio.sleep(0.05)  # the worker waits for its next drift check
        gc.collect()
        assert len(adapter.outcomes) == 1 and adapter.outcomes[0]() is None

    _run(kube, scenario)


def _kopf_workers(running: RunningOperator) -> int:
    """kopf's per-object workers alive in the operator's loop (each holds its object's last event while idle)."""
    async def count() -> int:
        return sum(task.get_name().startswith("worker for ") for task in asyncio.all_tasks())

    assert running.loop is not None
    return asyncio.run_coroutine_threadsafe(count(), running.loop).result(timeout=10)


def test_kopf_lets_go_of_an_idle_object_within_a_second(fake_kube: FakeKube, operator: RunningOperator) -> None:
    names = [f"p{i}" for i in range(20)]
    for name in names:
        create_policy(fake_kube, name, {"connectionRef": "missing", "rules": [{"path": "secret/*",
                                                                               "capabilities": ["read"]}]})
    for name in names:
        wait_policy(fake_kube, name, lambda status: status.get("phase"), "showed a phase")
    assert _kopf_workers(operator) > 0  # the objects' last events were just processed
    # Idle workers exit after WORKER_IDLE_SECONDS (0.5 s; kopf's default 5 s kept every object's worker, its
    # queue and its last parsed event that long: a third of the memory peak of a sync).
    wait_for(lambda: _kopf_workers(operator) == 0, timeout=3.5,
             message=f"kopf still runs {_kopf_workers(operator)} workers for idle objects")
