"""VaultRole and VaultClusterRole through the real operator, against real OpenBao: a workload logs in and
gets exactly the access it was given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import hvac
import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import held_token, k8s_spec, wait_phase
from tests.e2e.policy_helpers import vault_calls
from tests.e2e.role_helpers import (
    OPERATOR_ROLE_POLICY,
    can_read,
    create,
    delete,
    get,
    patch,
    ready,
    status_writes,
    wait_object,
    workload_login,
)
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES, VAULTROLES
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

ROLE = "vao.e2e.team-a.app"
ROLE_PATH = f"auth/kubernetes/role/{ROLE}"


@pytest.fixture
def vault_roles(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> OpenBaoServer:
    """OpenBao whose role "operator" may manage ACL policies and kubernetes roles; secrets of three namespaces."""
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.write_policy(client, "operator-access", OPERATOR_ROLE_POLICY)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "operator-access"))
    vault_setup.enable_kv2(client)
    for path in ("team-a/db", "team-a/cache", "team-b/db", "shared/ca", "other/x"):
        client.secrets.kv.v2.create_or_update_secret(path=path, secret={"value": path}, mount_point="secret")
    for namespace, account in (("team-a", "app"), ("team-a", "worker"), ("team-b", "app"), ("team-b", "worker")):
        fake_kube.create_service_account(namespace, account)
    return openbao


def _operator(kube: FakeKube, identity: OperatorIdentity, resync: float) -> AbstractContextManager[RunningOperator]:
    access = AccessSettings(cluster_name="e2e", resync_seconds=resync, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    return run_operator(kube.connection_info(), identity=identity, access=access,
                        backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5))


@pytest.fixture
def role_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    with _operator(fake_kube, operator_identity, 0.5) as running:
        yield running


@pytest.fixture
def proxy(vault_roles: OpenBaoServer) -> Iterator[CountingProxy]:
    import urllib.parse

    with CountingProxy(urllib.parse.urlsplit(vault_roles.url).port or 0) as counting:
        yield counting


def _role(root: hvac.Client, path: str = ROLE_PATH) -> dict[str, object] | None:
    try:
        found: dict[str, object] = root.adapter.get(f"/v1/{path}")["data"]
    except hvac.exceptions.InvalidPath:
        return None
    return found


def _login_refused(kube: FakeKube, url: str, namespace: str, account: str, role: str) -> bool:
    try:
        workload_login(kube, url, namespace, account, role)
    except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden):
        return True
    return False


def test_a_workload_gets_exactly_what_its_role_grants(fake_kube: FakeKube, vault_roles: OpenBaoServer,
                                                      role_operator: RunningOperator, proxy: CountingProxy,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    root, url = vault_roles.client(), vault_roles.url
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    slot = role_operator.app.connections.slot("vault")
    assert slot is not None
    operator_token = held_token(slot.runtime)
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
    create(fake_kube, "VaultPolicy", "cache", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/cache", "capabilities": ["read"]}]}, "team-a")
    create(fake_kube, "VaultRole", "app", {
        "connectionRef": "vault", "serviceAccounts": ["app"], "tokenTTL": "10m", "driftMode": "correct",
        "policies": [{"kind": "VaultPolicy", "name": "read"}, {"kind": "VaultPolicy", "name": "cache"}]}, "team-a")
    status = wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready", "team-a")
    assert status["vaultRoleName"] == ROLE
    assert status["resolvedPolicies"] == ["vao.e2e.team-a.read", "vao.e2e.team-a.cache"]
    assert status["binding"] == {"vaultPath": ROLE_PATH, "vaultResourceName": ROLE, "authMount": "kubernetes",
                                 "family": "kubernetes"}
    written = root.adapter.get(f"/v1/{ROLE_PATH}")["data"]
    assert written["bound_service_account_names"] == ["app"]
    assert written["bound_service_account_namespaces"] == ["team-a"] and written["token_ttl"] == 600

    app = workload_login(fake_kube, url, "team-a", "app", ROLE)
    assert can_read(app, "team-a/db") and can_read(app, "team-a/cache")
    assert not can_read(app, "team-b/db") and not can_read(app, "other/x")
    assert _login_refused(fake_kube, url, "team-b", "app", ROLE)  # same name, another namespace
    assert _login_refused(fake_kube, url, "team-a", "worker", ROLE)

    # Steady state: drift checks read the role; nothing is written to Vault or to the status.
    writes, puts = status_writes(fake_kube, VAULTROLES, "app"), vault_calls(proxy, ROLE_PATH)["PUT"]
    start = vault_calls(proxy, ROLE_PATH)["GET"]
    wait_for(lambda: vault_calls(proxy, ROLE_PATH)["GET"] >= start + 3, timeout=20, message="no drift checks")
    assert status_writes(fake_kube, VAULTROLES, "app") == writes and vault_calls(proxy, ROLE_PATH)["PUT"] == puts

    # A policy and the TTL removed from the spec: one write; the next login lacks that access, the TTL is reset.
    patch(fake_kube, "VaultRole", "app", {"spec": {"tokenTTL": None, "policies": [
        {"kind": "VaultPolicy", "name": "cache"}]}}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", lambda s: s.get("resolvedPolicies") == ["vao.e2e.team-a.cache"]
                and ready(s), "dropped the policy", "team-a")
    assert vault_calls(proxy, ROLE_PATH)["PUT"] == puts + 1
    assert root.adapter.get(f"/v1/{ROLE_PATH}")["data"]["token_ttl"] == 0
    app = workload_login(fake_kube, url, "team-a", "app", ROLE)
    assert can_read(app, "team-a/cache") and not can_read(app, "team-a/db")

    # Deleted in Vault by hand: recreated (driftMode correct; nothing is overwritten, so no annotation needed).
    root.adapter.delete(f"/v1/{ROLE_PATH}")
    wait_for(lambda: _role(root) is not None, timeout=20, message="never recreated")
    assert can_read(workload_login(fake_kube, url, "team-a", "app", ROLE), "team-a/cache")

    # Its policy deleted in Vault by hand: the role says so at its next drift check, and is Ready again once the
    # policy is back (the policy object's phase and name never changed: the role looked again by itself).
    root.sys.delete_acl_policy("vao.e2e.team-a.cache")
    wait_object(fake_kube, "VaultRole", "app", lambda s: "policies not in Vault: vao.e2e.team-a.cache" in
                (s.get("message") or ""), "noticed the policy gone", "team-a")
    patch(fake_kube, "VaultPolicy", "cache", {"spec": {"driftMode": "correct"}}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready again", "team-a")

    # Deleting the object deletes the role: the login is refused.
    delete(fake_kube, "VaultRole", "app", "team-a")
    wait_for(lambda: get(fake_kube, "VaultRole", "app", "team-a") is None, timeout=20, message="object never went")
    assert _login_refused(fake_kube, url, "team-a", "app", ROLE)
    reasons = {e["reason"] for e in fake_kube.list_events(involved_name="app")}
    assert {"Synced", "DriftCorrected", "Deleted"} <= reasons
    # The operator's Vault token and the workload's credentials reach no event, status or log line.
    seen = repr(fake_kube.list_events(involved_name="app")) + repr(status) + caplog.text
    assert operator_token not in seen and app.token not in seen


@pytest.fixture
def slow_resync_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """No resync within a test: whatever converges, converges because something woke it."""
    with _operator(fake_kube, operator_identity, 3600.0) as running:
        yield running


def test_a_role_waits_for_its_policy_and_converges_by_itself(
        fake_kube: FakeKube, vault_roles: OpenBaoServer, slow_resync_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    root = vault_roles.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultRole", "app", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                           "policies": [{"kind": "VaultPolicy", "name": "read"}]}, "team-a")
    status = wait_object(fake_kube, "VaultRole", "app", lambda s: s.get("message"), "said why", "team-a")
    ready_condition = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready_condition["reason"] == "PolicyNotInVault" and status["phase"] == "Pending"
    assert "VaultPolicy team-a/read does not exist" in status["message"]
    assert _role(root) is None  # never written with a partial list

    # The policy exists but cannot sync (Error): the role says so, then nothing changes: no status write or event
    # on either side, no Vault call (the policy and role workers do not wake each other: no hot loop).
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "enforceNamespaceBoundary": True, "rules": [
        {"path": "secret/data/*", "capabilities": ["read"]}]}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", lambda s: "not synced to Vault yet (phase Error)" in
                s.get("message", ""), "saw the policy in Error", "team-a")
    writes, events = status_writes(fake_kube, VAULTROLES, "app"), len(fake_kube.list_events(involved_name="app"))
    policy_writes = status_writes(fake_kube, VAULTPOLICIES, "read")
    create(fake_kube, "VaultPolicy", "unrelated", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/x", "capabilities": ["read"]}]}, "team-a")
    wait_object(fake_kube, "VaultPolicy", "unrelated", ready, "turned Active", "team-a")  # time passed, counted
    assert status_writes(fake_kube, VAULTROLES, "app") == writes
    assert status_writes(fake_kube, VAULTPOLICIES, "read") == policy_writes
    assert len(fake_kube.list_events(involved_name="app")) == events
    assert vault_calls(proxy, ROLE_PATH) == {}

    # The policy is fixed: the role converges at once (no resync within this test), with one write.
    patch(fake_kube, "VaultPolicy", "read", {"spec": {"enforceNamespaceBoundary": False}}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", ready, "converged", "team-a")
    assert can_read(workload_login(fake_kube, vault_roles.url, "team-a", "app", ROLE), "team-a/db")
    assert vault_calls(proxy, ROLE_PATH)["PUT"] == 1
    settled = status_writes(fake_kube, VAULTROLES, "app")

    # The policy object goes: the role says so at once (being deleted, then gone: at most two status writes);
    # the role is not rewritten with fewer policies.
    delete(fake_kube, "VaultPolicy", "read", "team-a")
    wait_object(fake_kube, "VaultRole", "app", lambda s: "VaultPolicy team-a/read does not exist" in
                (s.get("message") or ""), "noticed", "team-a")
    assert vault_calls(proxy, ROLE_PATH)["PUT"] == 1
    assert settled < status_writes(fake_kube, VAULTROLES, "app") <= settled + 2


def test_a_cluster_role_across_namespaces_says_what_else_it_admits(
        fake_kube: FakeKube, vault_roles: OpenBaoServer, role_operator: RunningOperator) -> None:
    url = vault_roles.url
    fake_kube.create_vaultconnection("vault", k8s_spec(url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultClusterPolicy", "shared", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/shared/*", "capabilities": ["read"]}]})
    create(fake_kube, "VaultClusterRole", "agents", {
        "connectionRef": "vault", "tokenTTL": "1h", "tokenMaxTTL": "2d",
        "serviceAccounts": [{"name": "app", "namespace": "team-a"}, {"name": "worker", "namespace": "team-b"}],
        "policies": [{"kind": "VaultClusterPolicy", "name": "shared"}]})
    status = wait_object(fake_kube, "VaultClusterRole", "agents", ready, "turned Ready")
    role = "vao.e2e._.agents"
    assert status["vaultRoleName"] == role and status["boundServiceAccounts"] == ["team-a/app", "team-b/worker"]
    assert status["unlistedServiceAccounts"] == ["team-a/worker", "team-b/app"]
    admitted = next(c for c in status["conditions"] if c["type"] == "UnlistedAccountsAdmitted")
    assert admitted["status"] == "True" and "team-a/worker, team-b/app can log in too" in admitted["message"]
    # The event follows the status write: posted a moment after the status a poll may already see.
    wait_for(lambda: fake_kube.list_events(involved_name="agents", reason="UnlistedAccountsAdmitted"), timeout=10,
             message="no UnlistedAccountsAdmitted event")
    for namespace, account in (("team-a", "app"), ("team-b", "worker")):
        client = workload_login(fake_kube, url, namespace, account, role)
        assert can_read(client, "shared/ca") and not can_read(client, f"{namespace}/db")
    assert _role(vault_roles.client(), f"auth/kubernetes/role/{role}")["token_max_ttl"] == 172800  # type: ignore[index]


def test_tenancy_refuses_another_namespaces_policy_before_vault(
        fake_kube: FakeKube, vault_roles: OpenBaoServer, role_operator: RunningOperator) -> None:
    spec = k8s_spec(vault_roles.url, interval="30s")
    spec["tenancy"] = {"allowedClusterPolicies": ["shared-*"]}
    fake_kube.create_vaultconnection("vault", spec)
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-b")
    wait_object(fake_kube, "VaultPolicy", "read", ready, "turned Active", "team-b")
    create(fake_kube, "VaultRole", "steal", {"connectionRef": "vault", "serviceAccounts": ["app"], "policies": [
        {"kind": "VaultPolicy", "name": "read", "namespace": "team-b"}]}, "team-a")
    status = wait_object(fake_kube, "VaultRole", "steal", lambda s: s.get("message"), "refused", "team-a")
    assert "may grant only VaultPolicies of its own namespace 'team-a', not team-b/read" in status["message"]
    create(fake_kube, "VaultClusterPolicy", "root-ish", {"connectionRef": "vault", "rules": [
        {"path": "secret/*", "capabilities": ["read"]}]})
    create(fake_kube, "VaultRole", "wide", {"connectionRef": "vault", "serviceAccounts": ["app"], "policies": [
        {"kind": "VaultClusterPolicy", "name": "root-ish"}]}, "team-a")
    status = wait_object(fake_kube, "VaultRole", "wide", lambda s: s.get("message"), "refused", "team-a")
    assert "spec.tenancy.allowedClusterPolicies lists shared-*" in status["message"]
    listed = vault_roles.client().adapter.list("/v1/auth/kubernetes/role")["data"]["keys"]
    assert listed == ["operator"]  # nothing written
    assert fake_kube.list_events(involved_name="steal", reason="TenancyViolation")


def test_a_role_not_ours_is_a_conflict_until_adopted_and_dry_run_writes_nothing(
        fake_kube: FakeKube, vault_roles: OpenBaoServer, role_operator: RunningOperator) -> None:
    root = vault_roles.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_roles.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
    vault_setup.create_kubernetes_role(root, ROLE, ["someone"], ["elsewhere"])  # there first, not ours
    spec = {"connectionRef": "vault", "serviceAccounts": ["app"], "policies": [{"kind": "VaultPolicy", "name": "read"}]}
    create(fake_kube, "VaultRole", "app", spec, "team-a")
    status = wait_object(fake_kube, "VaultRole", "app", lambda s: s.get("phase") == "Conflict", "conflicted", "team-a")
    assert "already exists in Vault and is not managed by this operator: set spec.conflictPolicy: Adopt" in (
        status["message"])
    assert _role(root)["bound_service_account_names"] == ["someone"]  # type: ignore[index]

    # Dry run: says what it would do, writes nothing; once the annotation goes (and Adopt is set), it writes.
    patch(fake_kube, "VaultRole", "app", {"metadata": {"annotations": {"vault.platform.io/dry-run": "true"}},
                                          "spec": {"conflictPolicy": "Adopt"}}, "team-a")
    status = wait_object(fake_kube, "VaultRole", "app", lambda s: "dry run" in (s.get("message") or ""),
                         "dry-ran", "team-a")
    assert "would overwrite Vault role vao.e2e.team-a.app at auth/kubernetes; nothing written" in status["message"]
    assert _role(root)["bound_service_account_names"] == ["someone"]  # type: ignore[index]
    patch(fake_kube, "VaultRole", "app", {"metadata": {"annotations": {"vault.platform.io/dry-run": None}}}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", ready, "adopted", "team-a")
    assert _role(root)["bound_service_account_names"] == ["app"]  # type: ignore[index]
    assert can_read(workload_login(fake_kube, vault_roles.url, "team-a", "app", ROLE), "team-a/db")


def test_a_restart_rewrites_nothing_in_vault(fake_kube: FakeKube, vault_roles: OpenBaoServer,
                                    operator_identity: OperatorIdentity, proxy: CountingProxy) -> None:
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    with _operator(fake_kube, operator_identity, 3600.0):
        wait_phase(fake_kube, "vault", "Active")
        create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
            {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
        create(fake_kube, "VaultRole", "app", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                               "policies": [{"kind": "VaultPolicy", "name": "read"}]}, "team-a")
        wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready", "team-a")
    events = len(fake_kube.list_events(involved_name="app", reason="PolicyNotInVault"))
    with _operator(fake_kube, operator_identity, 3600.0):
        # Whichever of the role and its policy the new operator sees first, the role is not rewritten and never
        # says its policy is missing (one not seen yet is read from the API server).
        create(fake_kube, "VaultPolicy", "later", {"connectionRef": "vault", "rules": [
            {"path": "secret/data/{{namespace}}/x", "capabilities": ["read"]}]}, "team-a")
        wait_object(fake_kube, "VaultPolicy", "later", ready, "turned Active", "team-a")  # the new operator works
        wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready again", "team-a")
    assert len(fake_kube.list_events(involved_name="app", reason="PolicyNotInVault")) == events
    assert vault_calls(proxy, ROLE_PATH)["PUT"] == 1


def test_a_new_mount_on_the_connection_moves_the_role(fake_kube: FakeKube, vault_roles: OpenBaoServer,
                                                      role_operator: RunningOperator) -> None:
    root = vault_roles.client()
    vault_setup.enable_kubernetes_auth(root, fake_kube.url, mount="k8s-apps")
    vault_setup.write_policy(root, "operator-access", OPERATOR_ROLE_POLICY.replace("auth/kubernetes/", "auth/+/"))
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_roles.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
    create(fake_kube, "VaultRole", "app", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                           "policies": [{"kind": "VaultPolicy", "name": "read"}]}, "team-a")
    wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready", "team-a")
    fake_kube.patch_vaultconnection("vault", {"spec": {"defaults": {"authPath": "auth/k8s-apps/",
                                                                    "authType": "kubernetes"}}})
    moved = f"auth/k8s-apps/role/{ROLE}"
    status = wait_object(fake_kube, "VaultRole", "app", lambda s: ready(s) and s["binding"]["vaultPath"] == moved,
                         "moved", "team-a")
    assert status["binding"]["authMount"] == "k8s-apps"
    assert _role(root, moved) is not None and _role(root) is None  # the old one, ours, deleted
    client = workload_login(fake_kube, vault_roles.url, "team-a", "app", ROLE, mount="k8s-apps")
    assert can_read(client, "team-a/db")
    assert fake_kube.list_events(involved_name="app", reason="Moved")


def test_roles_created_with_their_policies_turn_active_without_a_detour(
        fake_kube: FakeKube, vault_roles: OpenBaoServer, slow_resync_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    """Policies and roles applied together (one `kubectl apply -f dir/`): a role whose policy's first pass is
    still to come waits for it quietly instead of showing PolicyNotInVault with a warning, then Active."""
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    pairs = 10
    for i in range(pairs):
        create(fake_kube, "VaultPolicy", f"read-{i}", {"connectionRef": "vault", "rules": [
            {"path": f"secret/data/{{{{namespace}}}}/app-{i}", "capabilities": ["read"]}]}, "team-a")
        create(fake_kube, "VaultRole", f"app-{i}", {"connectionRef": "vault", "serviceAccounts": [f"app-{i}"],
               "policies": [{"kind": "VaultPolicy", "name": f"read-{i}"}]}, "team-a")
    for i in range(pairs):
        wait_object(fake_kube, "VaultRole", f"app-{i}", ready, "turned Active", "team-a")
    detours = {f"app-{i}": status_writes(fake_kube, VAULTROLES, f"app-{i}") for i in range(pairs)}
    assert detours == {f"app-{i}": 1 for i in range(pairs)}, "a role showed a state before Active"
    warnings = [e for e in fake_kube.list_events("team-a") if e["type"] == "Warning"]
    assert warnings == []
