"""spec.discovery through the real operator, against real OpenBao: unmanaged policies and roles, orphans, and
auto-created objects that take a hand-made policy over once a human allows it."""

from __future__ import annotations

from typing import Any

import prometheus_client

from tests.e2e.helpers import k8s_spec
from tests.e2e.policy_helpers import (
    OPERATOR_POLICY,
    condition,
    get_policy,
    patch_policy,
    policy_text,
    vault_calls,
    wait_policy,
)
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

HAND_MADE = 'path "secret/data/team/*" {\n  capabilities = ["read", "list"]\n}\n'
TARGET = "vault-adopt"



def _discovery(kube: FakeKube) -> dict[str, Any]:
    return ((kube.get_vaultconnection("vault") or {}).get("status") or {}).get("discoveryStatus") or {}


def _wait_discovery(kube: FakeKube, check: Any, what: str) -> dict[str, Any]:
    found = wait_for(lambda: _discovery(kube) if check(_discovery(kube)) else None, timeout=30,
                     message=f"discovery never {what}: {_discovery(kube)}")
    assert found is not None  # wait_for returns only a truthy value
    return found


def test_discovery_reports_and_auto_created_objects_take_over(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, discovery_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root = vault_acl.client()
    vault_setup.write_policy(root, "operator-access", OPERATOR_POLICY + '\npath "auth/kubernetes/role" '
                             '{ capabilities = ["list"] }')
    root.sys.create_or_update_acl_policy("team-app-read", HAND_MADE)
    root.sys.create_or_update_acl_policy("vao.e2e.default.gone", 'path "x/*" { capabilities = ["read"] }')
    root.sys.create_or_update_acl_policy("vao.west.default.theirs", 'path "x/*" { capabilities = ["read"] }')
    vault_setup.create_kubernetes_role(root, "hand-role", ["app"], ["default"], policies=("team-app-read",))
    fake_kube.ensure_namespace(TARGET)
    discovery = {"enabled": True, "interval": "1s", "customSystemPolicies": ["operator-*"],
                 "autoCreateCRs": True, "targetNamespace": TARGET}
    fake_kube.create_vaultconnection("vault", {**k8s_spec(proxy.url, interval="30s"), "discovery": discovery})

    found = _wait_discovery(fake_kube, lambda d: d.get("unmanagedPolicies") == 1, "listed the hand-made policy")
    listed = {(r["type"], r["name"]): r for r in found["discoveredResources"]}
    assert set(listed) == {("policy", "team-app-read"), ("role", "hand-role"), ("role", "operator")}
    assert found["unmanagedRoles"] == 2
    # Vault's own, the operator's own (customSystemPolicies) and vao.* names are not reported as unmanaged;
    # a vao.* name of this identity without its object is an orphan, another identity's is not.
    assert found["orphanedPolicies"] == 1
    assert found["orphanedResources"] == [{"type": "policy", "name": "vao.e2e.default.gone",
                                           "k8sResource": "default/gone"}]
    assert root.sys.read_acl_policy("vao.e2e.default.gone")  # reported, never deleted

    # autoCreateCRs: a review-pending VaultPolicy with the policy's own rules; nothing written to Vault yet.
    made = wait_policy(fake_kube, "team-app-read", lambda s: s.get("phase") == "Pending", "waited for review",
                       namespace=TARGET)
    assert condition(made, "Ready")["reason"] == "DiscoveryPending"
    body = get_policy(fake_kube, "team-app-read", TARGET) or {}
    assert body["spec"]["rules"] == [{"path": "secret/data/team/*", "capabilities": ["read", "list"]}]
    assert body["spec"]["deletionPolicy"] == "Retain"
    assert body["metadata"]["annotations"]["vault.platform.io/vault-name"] == "team-app-read"
    assert policy_text(root, "team-app-read") == HAND_MADE
    _wait_discovery(fake_kube, lambda d: any(r.get("adoptionStatus") == "pending"
                                             for r in d.get("discoveredResources", [])), "showed it pending")

    # A human removes discovery-pending: the policy is adopted under its own name, with the same rules.
    patch_policy(fake_kube, "team-app-read", {"metadata": {"annotations": {
        "vault.platform.io/discovery-pending": None}}}, namespace=TARGET)
    status = wait_policy(fake_kube, "team-app-read", lambda s: s.get("phase") == "Active", "took it over",
                         namespace=TARGET)
    assert status["vaultName"] == "team-app-read"
    text = policy_text(root, "team-app-read") or ""
    assert "# managed-by: vault-access-operator" in text and f"# k8s-resource: {TARGET}/team-app-read" in text
    assert 'path "secret/data/team/*"' in text
    _wait_discovery(fake_kube, lambda d: d.get("unmanagedPolicies") == 0, "stopped listing the adopted policy")

    # No VaultRole without read on the role (the operator's policy here lists roles only): reported as failed;
    # the role is untouched (tests/e2e/test_discovery_roles.py adopts one).
    assert root.read("auth/kubernetes/role/hand-role")["data"]["token_policies"] == ["team-app-read"]
    assert _discovery(fake_kube)["discoveredResources"][0] == {**listed[("role", "hand-role")],
                                                               "adoptionStatus": "failed"}

    # Cost: one LIST of policies per scan, nothing in between.
    registry = discovery_operator.app.metrics.registry
    scans = registry.get_sample_value("vault_access_operator_discovery_scans_total",
                                      {"connection": "vault", "result": "success"}) or 0
    lists = vault_calls(proxy, "sys/policies/acl")["GET"]
    assert scans >= 2 and lists in (scans, scans + 1)  # a scan may be between its LIST and its count
    gauge = registry.get_sample_value("vault_access_operator_discovery_unmanaged_resources",
                                      {"connection": "vault", "type": "role"})
    assert gauge == 2
    assert registry.get_sample_value("vault_access_operator_vault_orphaned_resources",
                                     {"connection": "vault", "type": "policy"}) == 1
    assert "DiscoveryScanComplete" in {e["reason"] for e in fake_kube.list_events(involved_name="vault")}
    assert b"vault_access_operator_connection_dependants" in prometheus_client.generate_latest(registry)
