"""Deleting a role object deletes its Vault role only when the record (read by the writer) says it is ours."""

from __future__ import annotations

import asyncio
from typing import Any

from vault_access_operator.access.role_delete import delete_role
from vault_access_operator.access.role_models import RoleStatus
from vault_access_operator.access.role_object import parse_role
from vault_access_operator.plugin import RoleWriter

PATH = "auth/kubernetes/role/vao.x.team-a.app"


class _Client:
    def __init__(self, live: dict[str, Any] | None) -> None:
        self.live = live
        self.deleted: list[str] = []

    async def read(self, path: str) -> dict[str, Any] | None:
        return self.live

    async def delete(self, path: str) -> None:
        self.deleted.append(path)


class _Handle:
    active = True

    def __init__(self, client: _Client) -> None:
        self._client = client

    def client(self) -> _Client:
        return self._client


def _run(live: dict[str, Any] | None, retain: bool = False) -> tuple[Any, list[str]]:
    status = RoleStatus.model_validate({"lastAppliedHash": "h", "binding": {
        "vaultPath": PATH, "vaultResourceName": "vao.x.team-a.app", "authMount": "kubernetes"}})
    spec = {"connectionRef": "v", "serviceAccounts": ["app"], "policies": [{"kind": "VaultPolicy", "name": "p"}],
            **({"deletionPolicy": "Retain"} if retain else {})}
    obj = parse_role("VaultRole", {"metadata": {"name": "app", "namespace": "team-a"}, "spec": spec}, status)
    client = _Client(live)
    result = asyncio.run(delete_role(obj, _Handle(client), "x", RoleWriter().ownership_of))  # type: ignore[arg-type]
    return result, client.deleted


def _record(resource: str, cluster: str = "x") -> dict[str, Any]:
    return {"alias_metadata": {"managed-by": "vault-access-operator", "cluster": cluster, "k8s-resource": resource}}


def test_ours_or_without_a_record_is_deleted() -> None:
    assert _run(_record("team-a/app"))[1] == [PATH]
    assert _run({"token_ttl": 0})[1] == [PATH]  # OpenBao keeps no record: this object wrote it (lastAppliedHash)
    assert _run(None)[0].message == f"Vault role {PATH} was already gone"


def test_another_objects_or_identitys_role_is_left() -> None:
    for live in (_record("team-b/app"), _record("team-a/app", cluster="other")):
        result, deleted = _run(live)
        assert deleted == [] and result.reason == "ForeignRoleNotDeleted" and result.warning
    result, deleted = _run(_record("team-a/app"), retain=True)
    assert deleted == [] and result.reason == "Retained"
