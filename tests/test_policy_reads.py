"""Roles whose policies the watch has not shown yet read them from the API server: one LIST for a burst.

At a start kopf lists the kinds side by side, and the roles may come first: each role's pass then read its
policy with a GET (1,486 GETs for 1,500 roles in one bench.access_sync run). Counted here against the API
emulator: the requests for a burst of such reads in one namespace, a lone read, and names a LIST does not show.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from vault_access_operator.app import OperatorApp, OperatorConfig
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES

ROLES = 10


def _policy(name: str) -> dict[str, Any]:
    return {"apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy", "metadata": {"name": name},
            "spec": {"connectionRef": "vault", "rules": [{"path": "secret/x", "capabilities": ["read"]}]}}


def test_a_burst_of_unseen_policies_costs_one_get_and_one_list(fake_kube: FakeKube, monkeypatch: Any) -> None:
    fake_kube.create_namespace("team")
    for i in range(ROLES):
        fake_kube.create(VAULTPOLICIES, _policy(f"p{i}"), "team")
    synced = {"phase": "Active", "vaultName": "vao.default.team.p1", "rulesCount": 1}
    fake_kube.patch(VAULTPOLICIES, "p1", {"status": synced}, "team", subresource="status")
    sent: Counter[str] = Counter()
    plain = KubeClient.request

    async def counting(self: KubeClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        sent["LIST" if path.endswith(f"{VAULTPOLICIES.plural}?limit=500") else method] += 1
        return await plain(self, method, path, **kwargs)

    monkeypatch.setattr(KubeClient, "request", counting)

    async def scenario() -> None:
        app = OperatorApp(OperatorConfig(kube_connection=fake_kube.connection_info(), events_namespace="default"))
        try:
            # A burst: every role of the namespace resolves its policy at once, none seen by the watch yet.
            views = await asyncio.gather(*(app._policy_view(("VaultPolicy", "team", f"p{i}")) for i in range(ROLES)))
            assert [(v.vault_name, v.phase, v.deleting) if v else None for v in views] == [
                (None, None, False) if i != 1 else ("vao.default.team.p1", "Active", False) for i in range(ROLES)]
            assert sent == {"GET": 1, "LIST": 1}, sent  # the first ask alone, then one LIST for the rest
            # Within the window the LIST answers for a name it showed; a name it did not show is read.
            assert await app._policy_view(("VaultPolicy", "team", "p3")) is not None
            assert await app._policy_view(("VaultPolicy", "team", "missing")) is None
            assert sent == {"GET": 2, "LIST": 1}, sent
            # Another namespace, one role: a lone read is one GET, no LIST.
            assert await app._policy_view(("VaultPolicy", "other", "p0")) is None
            assert sent == {"GET": 3, "LIST": 1}, sent
        finally:
            await app.shutdown()

    asyncio.run(scenario())
