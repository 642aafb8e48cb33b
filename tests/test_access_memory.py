"""What the access controller keeps per object (issue 18: RSS with 10,000 objects): each thing once.

Real controller, real VaultPolicy adapter, the API emulator for the status writes; the objects point at a
connection that does not exist, so each pass writes "connection not ready" without Vault.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.policy_adapter import PolicyAdapter
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.clock import utc_now
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES

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
        assert gone() is None  # the object's worker lives on; the handler's context is not kept with it

    _run(kube, scenario)


def test_the_status_written_and_then_seen_on_the_watch_is_kept_once(kube: FakeKube) -> None:
    _create(kube, "p")
    path = VAULTPOLICIES.url("team", "p")

    async def scenario(controller: AccessController, adapter: PolicyAdapter) -> None:
        controller.observe(adapter, _as_watched(kube.call("GET", path)))
        key = ("VaultPolicy", "team", "p")
        await _until(lambda: (controller.view(key) or ({}, {}))[1].get("phase") == "Pending")  # written
        controller.observe(adapter, _as_watched(kube.call("GET", path)))  # the watch event of that write
        raw, status = controller.view(key) or ({}, {})
        assert raw["status"] is status  # one dict: the body carries no second copy of what was written

    _run(kube, scenario)


def test_bodies_of_different_objects_share_their_keys(kube: FakeKube) -> None:
    first, second = _as_watched(_create(kube, "a")), _as_watched(_create(kube, "b"))
    assert next(iter(first)) is not next(iter(second))  # parsed separately: a copy of each key per body

    async def scenario(controller: AccessController, adapter: PolicyAdapter) -> None:
        controller.observe(adapter, first)
        controller.observe(adapter, second)
        kept = [(controller.view(("VaultPolicy", "team", name)) or ({}, {}))[0] for name in ("a", "b")]
        assert kept[0] == first and kept[1] == second
        for outer, inner in (([], "metadata"), (["metadata"], "namespace"), (["spec", "rules", 0], "capabilities")):
            keys = []
            for body in kept:
                node: Any = body
                for step in outer:
                    node = node[step]
                keys.append(next(key for key in node if key == inner))
            assert keys[0] is keys[1], inner

    _run(kube, scenario)
