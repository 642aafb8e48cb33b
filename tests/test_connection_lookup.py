"""A new access object whose VaultConnection the registry does not show yet asks the API server whether it exists.

Real controller, real VaultPolicy adapter, the API emulator. kopf watches the kinds on separate streams, so an object
applied with its connection (or listed at a start) can run its first pass before the connection reaches the
registry; it waits silently then instead of saying ``ConnectionNotFound``, and a name that does not exist is still
reported at once. Counted: the emulator's GETs of VaultConnections (one per name, shared), statuses and events.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.policy_adapter import PolicyAdapter
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.clock import utc_now
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.kube import KubeClient
from vault_access_operator.status import Observation
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS, VAULTPOLICIES


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as kube:
        kube.ensure_namespace("team")
        kube.call("POST", VAULTCONNECTIONS.url(), json={
            "apiVersion": VAULTCONNECTIONS.api_version, "kind": "VaultConnection", "metadata": {"name": "late"},
            "spec": {"address": "http://127.0.0.1:8200", "auth": {"kubernetes": {"role": "operator"}}}})
        yield kube


def _policy(kube: FakeKube, name: str, connection: str) -> dict[str, Any]:
    created: dict[str, Any] = kube.call("POST", VAULTPOLICIES.url("team"), json={
        "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy", "metadata": {"name": name, "namespace": "team"},
        "spec": {"connectionRef": connection, "rules": [{"path": f"secret/data/{name}/*", "capabilities": ["read"]}]}})
    return created


def _connection_reads(kube: FakeKube) -> Counter[str]:
    assert kube.emulator is not None
    return Counter(str(r.name) for r in kube.emulator
                   if r.method == "GET" and r.resource is not None and r.resource.plural == "vaultconnections")


def _phase(kube: FakeKube, name: str) -> str | None:
    return (kube.call("GET", VAULTPOLICIES.url("team", name)).get("status") or {}).get("phase")


def _reasons(kube: FakeKube, name: str) -> list[str]:
    return [e["reason"] for e in kube.list_events(involved_name=name)]


def test_an_object_waits_for_a_connection_the_api_has_and_reports_a_typo_at_once(kube: FakeKube) -> None:
    bodies = [_policy(kube, "early-1", "late"), _policy(kube, "early-2", "late"), _policy(kube, "typo", "no-such")]

    async def main() -> None:
        client = KubeClient(kube.connection_info())

        async def post(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
            await client.post_event(involved, kind, reason, message, involved["namespace"])

        registry = ConnectionRegistry()
        controller = AccessController(registry, client, post, AccessSettings(), utc_now)
        adapter = PolicyAdapter(VAULT_POLICY, AccessSettings())
        try:
            for body in bodies:
                controller.observe(adapter, body)
            for _ in range(500):
                await asyncio.sleep(0.01)
                if _reasons(kube, "typo"):
                    break
            await asyncio.sleep(0.3)  # the held objects had as long to report, had they not been held
            assert _phase(kube, "typo") == "Pending" and _reasons(kube, "typo") == ["ConnectionNotFound"]
            assert _phase(kube, "early-1") is None and _phase(kube, "early-2") is None  # held: nothing untrue shown
            assert _reasons(kube, "early-1") == [] and _reasons(kube, "early-2") == []
            assert _connection_reads(kube) == {"late": 1, "no-such": 1}  # one read per name, shared

            # The connection reaches the registry (its first login failed here): the held objects say so now.
            registry.attach("late", Observation(generation=1, method="kubernetes", phase="Error",
                                                reason="LoginFailed", message="permission denied"), None)
            for _ in range(500):
                await asyncio.sleep(0.01)
                if _reasons(kube, "early-1") and _reasons(kube, "early-2"):
                    break
            assert _reasons(kube, "early-1") == ["ConnectionNotReady"] == _reasons(kube, "early-2")
        finally:
            await controller.close()
            await client.close()

    asyncio.run(main())
