"""A burst of new VaultPolicies or VaultRoles on one connection: a LIST of the folder stands in for the read of
each new name before its write (core/access/name_snapshot.py), counted at the proxy in front of real OpenBao.
A name that is there (a foreign object) is still read: conflictPolicy Fail and Adopt behave as before; a LIST
the operator's Vault policy does not grant falls back to reads, said once in the log."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import held_token, k8s_spec
from tests.e2e.policy_helpers import vault_calls
from tests.e2e.role_helpers import OPERATOR_ROLE_POLICY, create, get, ready, wait_object
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

N = 12
NS = "team-a"
RULES = [{"path": "secret/data/{{namespace}}/{{name}}/*", "capabilities": ["read"]}]
FOREIGN = 'path "secret/data/foreign/*" { capabilities = ["read"] }'
ACL, ROLES = "sys/policies/acl", "auth/kubernetes/role"
NO_LIST = 'path "sys/policies/acl/vao.*" { capabilities = ["create", "read", "update", "delete"] }'  # the guides'
WITH_LIST = NO_LIST + '\npath "sys/policies/acl/" { capabilities = ["list"] }'  # as docs/access/policies.md adds


@pytest.fixture
def vault(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> OpenBaoServer:
    """OpenBao whose role "operator" may manage ACL policies and kubernetes roles (list included)."""
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.write_policy(client, "operator-access", OPERATOR_ROLE_POLICY)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "operator-access"))
    fake_kube.ensure_namespace(NS)
    fake_kube.create_service_account(NS, "app")
    return openbao


@pytest.fixture
def proxy(vault: OpenBaoServer) -> Iterator[CountingProxy]:
    with CountingProxy(urllib.parse.urlsplit(vault.url).port or 0) as counting:
        yield counting


@pytest.fixture
def quiet_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """No resync during the test: every Vault call counted is a first sync's."""
    access = AccessSettings(cluster_name="e2e", resync_seconds=600, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def _name_reads(proxy: CountingProxy, folder: str, names: list[str]) -> int:
    return sum(vault_calls(proxy, f"{folder}/{name}")["GET"] for name in names)


def _puts(proxy: CountingProxy, folder: str, names: list[str]) -> int:
    return sum(vault_calls(proxy, f"{folder}/{name}")["PUT"] for name in names)


def _phase(kube: FakeKube, kind: str, name: str, phase: str) -> None:
    wait_object(kube, kind, name, lambda s: s.get("phase") == phase and (phase != "Active" or ready(s)),
                f"turned {phase}", NS, timeout=60)


def test_new_policies_share_a_list_and_a_foreign_policy_still_conflicts(
        fake_kube: FakeKube, vault: OpenBaoServer, quiet_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault.client()
    vault_setup.write_policy(root, "operator-access", WITH_LIST)
    names = [f"vao.e2e.{NS}.p{i}" for i in range(N)]
    root.sys.create_or_update_acl_policy(names[3], FOREIGN)  # not ours, conflictPolicy Fail (the default)
    root.sys.create_or_update_acl_policy(names[4], FOREIGN)  # not ours, conflictPolicy Adopt
    for i in range(N):  # all there before the connection: its turning Active starts them together
        create(fake_kube, "VaultPolicy", f"p{i}", {"connectionRef": "vault", "rules": RULES,
                                                   **({"conflictPolicy": "Adopt"} if i == 4 else {})}, NS)
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    for i in range(N):
        _phase(fake_kube, "VaultPolicy", f"p{i}", "Conflict" if i == 3 else "Active")
    status = (get(fake_kube, "VaultPolicy", "p3", NS) or {}).get("status") or {}
    assert "already exists in Vault and is not managed by this operator" in status["message"]
    assert root.sys.read_acl_policy(names[3])["data"]["policy"] == FOREIGN
    assert "managed-by: vault-access-operator" in root.sys.read_acl_policy(names[4])["data"]["policy"]

    fresh = [name for i, name in enumerate(names) if i not in (3, 4)]
    lists, reads = vault_calls(proxy, ACL)["GET"], _name_reads(proxy, ACL, fresh)
    assert _puts(proxy, ACL, names) == N - 1  # the foreign one under Fail is left alone
    # Each new name read back once, plus at most one lone read per LIST window (the first ask of a burst reads
    # rather than LISTs). Without the LIST: two reads each. The foreign names were read (their verdicts above).
    assert reads <= len(fresh) + max(lists, 1), (reads, lists)
    # One LIST per 3 s window of the sync: a loaded machine stretches the sync over more windows, never one each.
    assert 1 <= lists <= len(fresh) // 2, lists


def test_a_denied_list_falls_back_to_reads_and_says_so_once(
        fake_kube: FakeKube, vault: OpenBaoServer, quiet_operator: RunningOperator, proxy: CountingProxy,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "vault_access_operator.access.name_snapshot")
    vault_setup.write_policy(vault.client(), "operator-access", NO_LIST)
    names = [f"vao.e2e.{NS}.p{i}" for i in range(N)]
    for i in range(N):
        create(fake_kube, "VaultPolicy", f"p{i}", {"connectionRef": "vault", "rules": RULES}, NS)
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    for i in range(N):
        _phase(fake_kube, "VaultPolicy", f"p{i}", "Active")
    assert _name_reads(proxy, ACL, names) == 2 * N and _puts(proxy, ACL, names) == N  # as without the LIST
    said = [r.getMessage() for r in caplog.records if "denied list of sys/policies/acl" in r.getMessage()]
    assert len(said) == 1, said
    assert said[0].startswith("VaultConnection vault: Vault at ") and "is read instead" in said[0]
    assert vault_calls(proxy, ACL)["GET"] == 1  # tried once, denied, not tried again per object
    slot = quiet_operator.app.connections.slot("vault")
    assert slot is not None
    assert held_token(slot.runtime) not in caplog.text  # the denial names the path, never the token
    connection = fake_kube.get_vaultconnection("vault") or {}
    assert connection["status"]["phase"] == "Active"  # a denied LIST is no reason to log in again


def test_new_roles_share_a_list_and_a_foreign_role_still_conflicts(
        fake_kube: FakeKube, vault: OpenBaoServer, quiet_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault.client()
    names = [f"vao.e2e.{NS}.r{i}" for i in range(N)]
    vault_setup.create_kubernetes_role(root, names[3], ["other"], ["elsewhere"])  # not ours: Conflict
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": RULES}, NS)
    for i in range(N):  # they wait for the policy; its turning Active wakes them together
        create(fake_kube, "VaultRole", f"r{i}", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                                 "policies": [{"kind": "VaultPolicy", "name": "read"}]}, NS)
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    for i in range(N):
        _phase(fake_kube, "VaultRole", f"r{i}", "Conflict" if i == 3 else "Active")
    status = (get(fake_kube, "VaultRole", "r3", NS) or {}).get("status") or {}
    assert "already exists in Vault and is not managed by this operator" in status["message"]
    assert root.adapter.get(f"/v1/{ROLES}/{names[3]}")["data"]["bound_service_account_names"] == ["other"]

    fresh = [name for i, name in enumerate(names) if i != 3]
    lists, reads = vault_calls(proxy, ROLES)["GET"], _name_reads(proxy, ROLES, fresh)
    assert _puts(proxy, ROLES, names) == N - 1
    assert reads <= len(fresh) + max(lists, 1), (reads, lists)  # without the LIST: two reads each
    # One LIST per 3 s window of the sync: a loaded machine stretches the sync over more windows, never one each.
    assert 1 <= lists <= len(fresh) // 2, lists


def _apply_policies_and_roles(fake_kube: FakeKube, proxy: CountingProxy) -> None:
    """N policies and N roles granting one each, applied before their connection; back when every role is Active."""
    for i in range(N):
        create(fake_kube, "VaultPolicy", f"p{i}", {"connectionRef": "vault", "rules": RULES}, NS)
        create(fake_kube, "VaultRole", f"r{i}", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                                 "policies": [{"kind": "VaultPolicy", "name": f"p{i}"}]}, NS)
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    for i in range(N):
        _phase(fake_kube, "VaultRole", f"r{i}", "Active")


def test_new_roles_ask_a_list_whether_their_new_policies_exist(
        fake_kube: FakeKube, vault: OpenBaoServer, quiet_operator: RunningOperator, proxy: CountingProxy) -> None:
    """Policies and roles applied together: whether each granted policy is in Vault (before a role's first write)
    is answered by the burst's LIST of policy names, not by a read of each policy per role."""
    _apply_policies_and_roles(fake_kube, proxy)
    policies = [f"vao.e2e.{NS}.p{i}" for i in range(N)]
    reads, lists = _name_reads(proxy, ACL, policies), vault_calls(proxy, ACL)["GET"]
    # Each policy read back once after its write, plus at most one lone read per LIST window. Without the LIST
    # standing in for the roles' checks: each role reads its policy too (about 2N).
    assert reads <= N + max(lists, 1) + 1, (reads, lists)


@pytest.fixture
def resyncing_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """Drift checks every 3 s: N roles make a steady stream of them, as 5,000 roles at 300 s do."""
    access = AccessSettings(cluster_name="e2e", resync_seconds=3, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def test_drift_checks_of_many_roles_ask_a_list_whether_their_policies_exist(
        fake_kube: FakeKube, vault: OpenBaoServer, resyncing_operator: RunningOperator, proxy: CountingProxy) -> None:
    """Issue 18: a role's drift check asks whether its policies exist; among a stream of checks a fresh LIST of
    the policy names answers that, so a drift round costs one read per policy and per role, not two per role."""
    _apply_policies_and_roles(fake_kube, proxy)
    policies, roles = [f"vao.e2e.{NS}.p{i}" for i in range(N)], [f"vao.e2e.{NS}.r{i}" for i in range(N)]
    role_reads, policy_reads = _name_reads(proxy, ROLES, roles), _name_reads(proxy, ACL, policies)
    lists = vault_calls(proxy, ACL)["GET"]
    wait_for(lambda: _name_reads(proxy, ROLES, roles) >= role_reads + 4 * N, timeout=60, message="no drift checks")
    checks = _name_reads(proxy, ROLES, roles) - role_reads  # one read per role check
    reads = _name_reads(proxy, ACL, policies) - policy_reads  # the policies' own checks, and any role's read
    lists = vault_calls(proxy, ACL)["GET"] - lists
    # The policies check as often as the roles (about ``checks`` reads); each role reading its policy too would
    # double that. A lone ask reads (at most one per LIST window).
    assert reads <= checks * 1.4 + lists, (reads, checks, lists)
    assert lists >= 1
    assert _puts(proxy, ACL, policies) == N and _puts(proxy, ROLES, roles) == N  # nothing written in steady state
