"""The kubernetes role writer against real OpenBao: what it writes is what reads back (no false drift)."""

from __future__ import annotations

from typing import Any

import pytest

from vault_access_operator.plugin import BoundAccount, ConfigError, RoleBinding
from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup

WRITER = KubernetesRoleWriter()
OWNER = {"managed-by": "vault-access-operator", "k8s-resource": "team-a/app", "k8s-kind": "VaultRole"}


def _binding(accounts: tuple[BoundAccount, ...] = (BoundAccount("team-a", "app"),), ttl: int | None = 3600,
             policies: tuple[str, ...] = ("vao.e2e.team-a.read",)) -> RoleBinding:
    return RoleBinding(kind="VaultRole", namespace="team-a", name="app", vault_name="vao.e2e.team-a.app",
                       mount="kubernetes", service_accounts=accounts, policies=policies, token_ttl=ttl,
                       token_max_ttl=None, ownership=OWNER)


def _roundtrip(server: OpenBaoServer, binding: RoleBinding) -> tuple[dict[str, Any], dict[str, Any]]:
    client = server.client()
    desired = WRITER.payload(binding, None)
    client.adapter.post(f"/v1/{WRITER.role_path(binding)}", json=desired)
    return desired, client.adapter.get(f"/v1/{WRITER.role_path(binding)}")["data"]


def test_payload_reads_back_equal_and_a_removed_ttl_is_reset(openbao: OpenBaoServer) -> None:
    vault_setup.enable_kubernetes_auth(openbao.client(), "http://127.0.0.1:1")
    desired, actual = _roundtrip(openbao, _binding())
    assert actual["token_ttl"] == 3600 and actual["token_policies"] == ["vao.e2e.team-a.read"]
    assert WRITER.differences(desired, actual) == []
    # OpenBao keeps no alias_metadata on kubernetes roles: the record is not there to read.
    assert WRITER.ownership_of(actual) is None
    desired, actual = _roundtrip(openbao, _binding(ttl=None, policies=()))
    assert actual["token_ttl"] == 0 and actual["token_policies"] == []
    assert WRITER.differences(desired, actual) == []
    changed = {**actual, "bound_service_account_names": ["app", "intruder"], "token_max_ttl": 60}
    assert WRITER.differences(desired, changed) == ["bound_service_account_names", "token_max_ttl"]


def test_a_cluster_role_across_namespaces_admits_unlisted_pairs() -> None:
    accounts = (BoundAccount("ns1", "a"), BoundAccount("ns2", "b"))
    payload = WRITER.payload(_binding(accounts), None)
    assert payload["bound_service_account_names"] == ["a", "b"]
    assert payload["bound_service_account_namespaces"] == ["ns1", "ns2"]
    assert WRITER.widened(_binding(accounts)) == [BoundAccount("ns1", "b"), BoundAccount("ns2", "a")]
    assert WRITER.widened(_binding((BoundAccount("ns1", "a"), BoundAccount("ns2", "a")))) == []


def test_a_role_binding_no_account_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"spec\.serviceAccounts: a role on the kubernetes auth mount"):
        WRITER.payload(_binding(()), None)
