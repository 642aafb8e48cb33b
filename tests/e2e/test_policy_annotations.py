"""reconcile-now and discovery-pending through the operator, against real OpenBao behind a counting proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import (
    condition,
    create_policy,
    get_policy,
    patch_policy,
    policy_text,
    vault_calls,
    wait_policy,
)
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

RULES = [{"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]
RECONCILE_NOW = "vault.platform.io/reconcile-now"


@pytest.fixture
def slow_resync_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """Drift checks only every 10 minutes: whatever Vault reads happen in a test were asked for."""
    access = AccessSettings(cluster_name="E2E", resync_seconds=600, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def _annotations(fake_kube: FakeKube, name: str) -> dict[str, str]:
    return dict(((get_policy(fake_kube, name) or {}).get("metadata") or {}).get("annotations") or {})


def test_reconcile_now_checks_vault_at_once_and_is_removed(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, slow_resync_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root, acl = vault_acl.client(), "sys/policies/acl/vao.e2e.default.app"
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES, "driftMode": "detect"})
    wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Active", "turned Active")
    reads = vault_calls(proxy, acl)["GET"]
    root.sys.delete_acl_policy("vao.e2e.default.app")  # by hand: nothing notices before the next resync
    patch_policy(fake_kube, "app", {"metadata": {"annotations": {RECONCILE_NOW: "2031-01-01T00:00:00Z"}}})
    status = wait_policy(fake_kube, "app", lambda s: condition(s, "Drifted").get("status") == "True",
                         "found the hand-deleted policy")
    assert "deleted in Vault by hand" in condition(status, "Drifted")["message"]
    wait_for(lambda: RECONCILE_NOW not in _annotations(fake_kube, "app"), timeout=10, message="annotation kept")
    # One read for the request, one in the pass its removal wakes (a drifted object is read on every pass).
    wait_for(lambda: vault_calls(proxy, acl)["GET"] == reads + 2, timeout=10, message="not two reads")
    assert vault_calls(proxy, acl)["PUT"] == 1  # detect: reported, not written


def test_discovery_pending_holds_the_write_until_the_rules_are_real(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, slow_resync_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root, name = vault_acl.client(), "vao.e2e.default.found"
    real = 'path "database/creds/readonly" { capabilities = ["read"] }'
    root.sys.create_or_update_acl_policy(name, real)  # what the replaced operator's discovery found
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    placeholder = [{"path": "placeholder/path", "capabilities": ["deny"],
                    "description": "Placeholder rule - replace with actual policy rules from Vault"}]
    create_policy(fake_kube, "found", {"connectionRef": "vault", "rules": placeholder}, annotations={
        "vault.platform.io/adopt": "true", "vault.platform.io/discovery-pending": "true",
        "vault.platform.io/discovered-at": "2031-01-01T00:00:00Z", "vault.platform.io/discovered-from": "vault"})
    status = wait_policy(fake_kube, "found", lambda s: condition(s, "Ready").get("reason") == "DiscoveryPending",
                         "held the placeholder")
    assert status["phase"] == "Pending" and "lastAppliedHash" not in status
    assert "vault.platform.io/discovery-pending" in status["message"]
    assert sum(vault_calls(proxy, f"sys/policies/acl/{name}").values()) == 0 and policy_text(root, name) == real

    patch_policy(fake_kube, "found", {"spec": {"rules": [{"path": "database/creds/readonly",
                                                          "capabilities": ["read"]}]},
                                      "metadata": {"annotations": {"vault.platform.io/discovery-pending": None}}})
    wait_policy(fake_kube, "found", lambda s: s.get("phase") == "Active", "adopted the policy")
    assert "# k8s-resource: default/found\n" in (policy_text(root, name) or "")
