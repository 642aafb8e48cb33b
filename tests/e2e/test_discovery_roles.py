"""spec.discovery with autoCreateCRs for roles, through the real operator against real OpenBao: a hand-made
kubernetes role becomes a review-pending VaultRole that writes nothing, and, once a human fills in the real
service account and policy and removes discovery-pending, the role is adopted under its own name."""

from __future__ import annotations

from typing import Any

import hvac

from tests.e2e.helpers import k8s_spec
from tests.e2e.policy_helpers import vault_calls
from tests.e2e.role_helpers import OPERATOR_ROLE_POLICY, create, get, patch, ready, wait_object
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

TARGET = "vault-adopt"
ROLE_PATH = "auth/kubernetes/role/hand-role"
HAND_MADE = 'path "secret/data/team/*" {\n  capabilities = ["read", "list"]\n}\n'



def _discovered(kube: FakeKube) -> dict[tuple[str, str], dict[str, Any]]:
    status = ((kube.get_vaultconnection("vault") or {}).get("status") or {}).get("discoveryStatus") or {}
    return {(r["type"], r["name"]): r for r in status.get("discoveredResources") or []}


def _role(root: hvac.Client) -> dict[str, Any]:
    found: dict[str, Any] = root.read(ROLE_PATH)["data"]
    return found


def _writes(proxy: CountingProxy, path: str) -> int:
    calls = vault_calls(proxy, path)
    return calls["PUT"] + calls["POST"] + calls["DELETE"]


def test_a_discovered_role_waits_for_review_then_is_adopted_under_its_own_name(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, discovery_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root = vault_acl.client()
    vault_setup.write_policy(root, "operator-access", OPERATOR_ROLE_POLICY + '\npath "auth/kubernetes/role" '
                             '{ capabilities = ["list"] }')
    root.sys.create_or_update_acl_policy("team-app-read", HAND_MADE)
    vault_setup.create_kubernetes_role(root, "hand-role", ["legacy"], ["legacy-ns"], ttl="1h",
                                       policies=("team-app-read",))
    fake_kube.create_service_account(TARGET, "app")
    discovery = {"enabled": True, "interval": "1s", "policyPatterns": ["team-*"],
                 "autoCreateCRs": True, "targetNamespace": TARGET}
    fake_kube.create_vaultconnection("vault", {**k8s_spec(proxy.url, interval="30s"), "discovery": discovery})

    # A review-pending VaultRole: the role's Vault name, placeholders where Kubernetes cannot tell, and the
    # VaultPolicy discovery makes for the policy the role grants.
    status = wait_object(fake_kube, "VaultRole", "hand-role", lambda s: s.get("phase") == "Pending",
                         "waited for review", namespace=TARGET, timeout=30)
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["reason"] == "DiscoveryPending"
    assert status["vaultRoleName"] == "hand-role"
    body = get(fake_kube, "VaultRole", "hand-role", TARGET) or {}
    annotations = body["metadata"]["annotations"]
    assert annotations["vault.platform.io/vault-name"] == "hand-role"
    assert annotations["vault.platform.io/discovery-pending"] == "true"
    spec = body["spec"]
    assert spec["serviceAccounts"] == ["discovery-placeholder-replace-me"]
    assert spec["policies"] == [{"kind": "VaultPolicy", "name": "team-app-read"}]
    assert (spec["deletionPolicy"], spec["tokenTTL"]) == ("Retain", "3600")
    assert get(fake_kube, "VaultPolicy", "team-app-read", TARGET) is not None  # the policy's own review object

    # Nothing written while pending: a few more scans and passes, and the role is untouched.
    scans = discovery_operator.app.metrics.registry
    seen = scans.get_sample_value("vault_access_operator_discovery_scans_total",
                                  {"connection": "vault", "result": "success"}) or 0
    wait_for(lambda: (scans.get_sample_value("vault_access_operator_discovery_scans_total",
                                             {"connection": "vault", "result": "success"}) or 0) >= seen + 2,
             timeout=30, message="discovery stopped scanning")
    assert _writes(proxy, ROLE_PATH) == 0
    assert vault_calls(proxy, ROLE_PATH)["GET"] == 1  # read once, when the object was made
    assert _role(root)["bound_service_account_names"] == ["legacy"]
    # Awaiting review, the role is still unmanaged: listed, pending (its object records the name it will adopt).
    assert _discovered(fake_kube)[("role", "hand-role")]["adoptionStatus"] == "pending"
    # The role the operator logs in with is listed, but never offered for adoption.
    assert _discovered(fake_kube)[("role", "operator")]["adoptionStatus"] == "discovered"
    assert get(fake_kube, "VaultRole", "operator", TARGET) is None

    # A human makes the review: the real service account and a real policy object, then removes the hold.
    create(fake_kube, "VaultPolicy", "reader", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/team/*", "capabilities": ["read"]}]}, namespace=TARGET)
    wait_object(fake_kube, "VaultPolicy", "reader", ready, "synced", namespace=TARGET)
    patch(fake_kube, "VaultRole", "hand-role", {
        "metadata": {"annotations": {"vault.platform.io/discovery-pending": None}},
        "spec": {"serviceAccounts": ["app"], "policies": [{"kind": "VaultPolicy", "name": "reader"}]}},
        namespace=TARGET)
    status = wait_object(fake_kube, "VaultRole", "hand-role", ready, "adopted the role", namespace=TARGET)
    assert status["binding"]["vaultPath"] == ROLE_PATH and status["vaultRoleName"] == "hand-role"
    role = _role(root)
    assert role["bound_service_account_names"] == ["app"]
    assert role["bound_service_account_namespaces"] == [TARGET]
    assert role["token_policies"] == ["vao.e2e.vault-adopt.reader"] and role["token_ttl"] == 3600
    assert _writes(proxy, ROLE_PATH) == 1
    assert "vao.e2e.vault-adopt.hand-role" not in root.list("auth/kubernetes/role")["data"]["keys"]
    wait_for(lambda: ("role", "hand-role") not in _discovered(fake_kube), timeout=30,
             message="discovery still lists the adopted role")
