"""VaultPolicy and VaultClusterPolicy through the real operator, against real OpenBao."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import (
    OPERATOR_POLICY,
    condition,
    create_policy,
    delete_policy,
    get_policy,
    patch_policy,
    policy_text,
    status_writes,
    vault_calls,
    wait_policy,
)
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

RESYNC = 0.5
RULES = [{"path": "secret/data/{{namespace}}/{{name}}/*", "capabilities": ["read", "list"]}]
CLUSTER_RULES = [{"path": "secret/data/shared/{{name}}/*", "capabilities": ["read", "list"]}]
EXPECTED = '''# managed-by: vault-access-operator
# cluster: e2e
# k8s-resource: default/app
# k8s-kind: VaultPolicy

path "secret/data/default/app/*" {
  capabilities = ["read", "list"]
}
'''
NAME = "vao.e2e.default.app"
ACL = f"sys/policies/acl/{NAME}"


@pytest.fixture
def policy_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="E2E", resync_seconds=RESYNC, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def _ready(status: dict[str, object]) -> bool:
    return status.get("phase") == "Active" and condition(status, "Ready").get("status") == "True"


def _resyncs(proxy: CountingProxy, reads: int) -> None:
    """Wait for ``reads`` more drift checks (reads of the policy) than now: time passing, counted."""
    start = vault_calls(proxy, ACL)["GET"]
    wait_for(lambda: vault_calls(proxy, ACL)["GET"] >= start + reads, timeout=20, message="no drift checks")


def test_create_update_drift_and_delete(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                        policy_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES, "driftMode": "detect"})
    status = wait_policy(fake_kube, "app", _ready, "turned Active")
    assert policy_text(root, NAME) == EXPECTED
    assert status["vaultName"] == NAME and status["rulesCount"] == 1 and status["lastAppliedHash"]
    assert condition(status, "Ready")["observedGeneration"] == 1
    assert vault_calls(proxy, ACL)["PUT"] == 1

    # Steady state: drift checks read, nothing is written to Vault or to the status.
    writes = status_writes(fake_kube, "vaultpolicies", "app")
    _resyncs(proxy, 3)
    assert vault_calls(proxy, ACL)["PUT"] == 1
    assert status_writes(fake_kube, "vaultpolicies", "app") == writes

    # A rules change: exactly one more write.
    patch_policy(fake_kube, "app", {"spec": {"rules": [*RULES, {"path": "auth/token/lookup-self",
                                                                "capabilities": ["read"]}]}})
    wait_policy(fake_kube, "app", lambda s: s.get("rulesCount") == 2 and _ready(s), "synced 2 rules")
    _resyncs(proxy, 2)
    assert vault_calls(proxy, ACL)["PUT"] == 2
    assert 'path "auth/token/lookup-self"' in (policy_text(root, NAME) or "")

    # Drift by hand, detect mode: reported, not corrected.
    root.sys.create_or_update_acl_policy(NAME, 'path "secret/*" { capabilities = ["sudo", "read"] }')
    wait_policy(fake_kube, "app", lambda s: condition(s, "Drifted").get("status") == "True", "reported drift")
    _resyncs(proxy, 2)
    assert "sudo" in (policy_text(root, NAME) or "")

    # correct mode: overwriting a hand edit is destructive: blocked (and stays blocked) until allowed.
    patch_policy(fake_kube, "app", {"spec": {"driftMode": "correct"}})
    wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Conflict", "blocked the correction")
    blocked = condition((get_policy(fake_kube, "app") or {})["status"], "Ready")
    assert blocked["reason"] == "DestructiveCorrectionBlocked"
    _resyncs(proxy, 3)
    assert "sudo" in (policy_text(root, NAME) or "")
    patch_policy(fake_kube, "app", {"metadata": {"annotations": {"vault.platform.io/allow-destructive": "true"}}})
    wait_policy(fake_kube, "app", _ready, "corrected the drift")
    assert "sudo" not in (policy_text(root, NAME) or "")
    wait_for(lambda: "vault.platform.io/allow-destructive" not in
             (get_policy(fake_kube, "app") or {})["metadata"].get("annotations", {}), message="annotation kept")

    # A policy deleted by hand is recreated in correct mode (no annotation needed: nothing is overwritten).
    root.sys.delete_acl_policy(NAME)
    wait_for(lambda: policy_text(root, NAME) is not None, timeout=20, message="never recreated")

    # Deletion removes it from Vault, then the object goes.
    delete_policy(fake_kube, "app")
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=20, message="object never went")
    assert policy_text(root, NAME) is None
    reasons = {e["reason"] for e in fake_kube.list_events(involved_name="app")}
    assert {"Synced", "DriftDetected", "DestructiveCorrectionBlocked", "DriftCorrected", "Deleted"} <= reasons


def test_dry_run_retain_and_a_cluster_policy(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                             policy_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    # {{namespace}} in a cluster-scoped policy: refused on status, naming the rule, before Vault is asked.
    create_policy(fake_kube, "shared", {"connectionRef": "vault", "rules": RULES, "deletionPolicy": "Retain"},
                  namespace=None, annotations={"vault.platform.io/dry-run": "true"})
    status = wait_policy(fake_kube, "shared", lambda s: s.get("phase") == "Error", "refused {{namespace}}",
                         namespace=None)
    assert condition(status, "Ready")["reason"] == "ValidationFailed"
    assert status["message"].startswith("spec.rules[0].path 'secret/data/{{namespace}}/{{name}}/*' uses {{namespace}}")
    wait_for(lambda: "ValidationFailed" in {e["reason"] for e in fake_kube.list_events(involved_name="shared")},
             timeout=10, message="no Warning event")
    assert sum(vault_calls(proxy, "sys/policies/acl/vao.e2e._.shared").values()) == 0
    patch_policy(fake_kube, "shared", {"spec": {"rules": CLUSTER_RULES}}, namespace=None)

    status = wait_policy(fake_kube, "shared", lambda s: condition(s, "DryRun").get("status") == "True",
                         "reported a dry run", namespace=None)
    assert "would create Vault policy vao.e2e._.shared" in condition(status, "Ready")["message"]
    assert "lastAppliedHash" not in status and policy_text(root, "vao.e2e._.shared") is None
    assert vault_calls(proxy, "sys/policies/acl/vao.e2e._.shared")["PUT"] == 0

    patch_policy(fake_kube, "shared", {"metadata": {"annotations": {"vault.platform.io/dry-run": None}}},
                 namespace=None)
    wait_policy(fake_kube, "shared", _ready, "synced", namespace=None)
    assert "# k8s-resource: shared\n" in (policy_text(root, "vao.e2e._.shared") or "")
    assert 'path "secret/data/shared/shared/*"' in (policy_text(root, "vao.e2e._.shared") or "")

    delete_policy(fake_kube, "shared", namespace=None)
    wait_for(lambda: get_policy(fake_kube, "shared", namespace=None) is None, timeout=20, message="never went")
    assert policy_text(root, "vao.e2e._.shared") is not None  # Retain


def test_conflicts_and_a_connection_that_comes_later(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                     policy_operator: RunningOperator) -> None:
    root = vault_acl.client()
    hand_made = 'path "secret/*" { capabilities = ["read"] }'
    root.sys.create_or_update_acl_policy(NAME, hand_made)
    foreign = "# managed-by: vault-access-operator\n# cluster: west\n# k8s-resource: default/other\n\n" + hand_made
    root.sys.create_or_update_acl_policy("vao.e2e.default.other", foreign)

    # No connection yet: the policies wait for it, and sync when it comes, without a touch.
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    create_policy(fake_kube, "other", {"connectionRef": "vault", "rules": RULES, "conflictPolicy": "Adopt"})
    status = wait_policy(fake_kube, "app", lambda s: condition(s, "ConnectionReady").get("status") == "False",
                         "waited for its connection")
    assert condition(status, "ConnectionReady")["reason"] == "ConnectionNotFound"
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))

    # Fail (the default): an unmanaged policy is never overwritten.
    wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Conflict", "reported the conflict")
    assert policy_text(root, NAME) == hand_made
    # Another identity's policy is never adopted, even under Adopt.
    wait_policy(fake_kube, "other", lambda s: s.get("phase") == "Conflict", "refused another identity's")
    assert policy_text(root, "vao.e2e.default.other") == foreign

    # The adopt annotation takes the unmanaged one over and records ownership.
    patch_policy(fake_kube, "app", {"metadata": {"annotations": {"vault.platform.io/adopt": "true"}}})
    wait_policy(fake_kube, "app", _ready, "adopted it")
    assert policy_text(root, NAME) == EXPECTED

    # The other identity's policy stays when its object is deleted.
    delete_policy(fake_kube, "other")
    wait_for(lambda: get_policy(fake_kube, "other") is None, timeout=20, message="never went")
    assert policy_text(root, "vao.e2e.default.other") == foreign


def _token_traffic(proxy: CountingProxy) -> tuple[int, int]:
    """(token lookups, logins) the operator sent to Vault through the proxy."""
    return sum(vault_calls(proxy, "auth/token/lookup-self").values()), sum(
        vault_calls(proxy, "auth/kubernetes/login").values())


def test_a_refused_write_or_delete_is_reported_and_retried_without_a_login_loop(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, policy_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root = vault_acl.client()
    # Health checks every 10 minutes: any token lookup during this test was asked for by a refused call.
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="10m"))
    wait_phase(fake_kube, "vault", "Active")
    assert _token_traffic(proxy) == (0, 1)
    vault_setup.write_policy(root, "operator-access", 'path "sys/policies/acl/*" { capabilities = ["read"] }')
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    status = wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Error", "reported the refusal")
    assert condition(status, "Ready")["reason"] == "VaultPermissionDenied"
    assert "sys/policies/acl" in condition(status, "Ready")["message"]
    # The 403 made the connection look its token up (report_token_rejected); the token is valid, so no new
    # login, however often the write is retried: at most one lookup per refused write, never a login.
    wait_for(lambda: _token_traffic(proxy)[0] >= 1, timeout=10, message="the refused write asked for no token check")
    lookups, logins = _token_traffic(proxy)
    assert logins == 1 and 1 <= lookups <= vault_calls(proxy, ACL)["PUT"]
    connection = fake_kube.get_vaultconnection("vault") or {}
    assert connection["status"]["authStatus"]["loginCount"] == 1

    vault_setup.write_policy(root, "operator-access", OPERATOR_POLICY)
    wait_policy(fake_kube, "app", _ready, "synced once allowed")

    # A delete Vault refuses keeps the finalizer, says why, and is retried until it succeeds.
    vault_setup.write_policy(root, "operator-access",
                             'path "sys/policies/acl/*" { capabilities = ["read", "update", "create"] }')
    delete_policy(fake_kube, "app")
    status = wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Deleting", "reported the failed delete")
    assert condition(status, "Ready")["reason"] == "DeleteFailed"
    assert policy_text(root, NAME) is not None
    vault_setup.write_policy(root, "operator-access", OPERATOR_POLICY)
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=30, message="object never went")
    assert policy_text(root, NAME) is None
    lookups, logins = _token_traffic(proxy)
    assert logins == 1 and lookups <= vault_calls(proxy, ACL)["PUT"] + vault_calls(proxy, ACL)["DELETE"]
    assert (fake_kube.get_vaultconnection("vault") or {})["status"]["authStatus"]["loginCount"] == 1


def test_a_revoked_token_found_by_a_refused_write_means_one_new_login(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, policy_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="10m"))
    wait_phase(fake_kube, "vault", "Active")
    for accessor in root.auth.token.list_accessors()["data"]["keys"]:  # every token but root's: the operator's
        if root.auth.token.lookup_accessor(accessor)["data"]["policies"] != ["root"]:
            root.auth.token.revoke_accessor(accessor)
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    wait_policy(fake_kube, "app", _ready, "synced after the operator logged in again")
    assert policy_text(root, NAME) == EXPECTED
    lookups, logins = _token_traffic(proxy)
    assert logins == 2 and lookups >= 1  # the 403, one lookup that Vault refused, one login, then the write
    assert (fake_kube.get_vaultconnection("vault") or {})["status"]["authStatus"]["loginCount"] == 2


def test_policies_sync_once_their_connection_recovers(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                      policy_operator: RunningOperator) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s", role="nobody"))
    wait_phase(fake_kube, "vault", "Error")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    create_policy(fake_kube, "shared", {"connectionRef": "vault", "rules": CLUSTER_RULES}, namespace=None)
    status = wait_policy(fake_kube, "app", lambda s: condition(s, "ConnectionReady").get("reason")
                         == "ConnectionNotReady", "waited for the connection")
    assert status.get("phase") == "Pending" and policy_text(root, NAME) is None
    fake_kube.patch_vaultconnection("vault", {"spec": {"auth": {"kubernetes": {"role": "operator"}}}})
    wait_policy(fake_kube, "app", _ready, "synced after the connection recovered")
    wait_policy(fake_kube, "shared", _ready, "synced after the connection recovered", namespace=None)
    assert policy_text(root, NAME) == EXPECTED


def test_a_new_cluster_name_moves_the_policy_to_its_new_name(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, operator_identity: OperatorIdentity) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    for cluster, expected in (("E2E", NAME), ("Blue", "vao.blue.default.app")):
        access = AccessSettings(cluster_name=cluster, resync_seconds=RESYNC)
        with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                          backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)):
            wait_policy(fake_kube, "app", lambda s, name=expected: _ready(s) and s.get("vaultName") == name,
                        f"synced as {expected}")
    assert "# cluster: blue\n" in (policy_text(root, "vao.blue.default.app") or "")
    assert policy_text(root, NAME) is None  # the name recorded before, deleted once the new one was written
    assert "Renamed" in {e["reason"] for e in fake_kube.list_events(involved_name="app")}
