"""VaultRole and VaultClusterRole through the real operator, against real OpenBao: a workload logs in and
gets exactly the access it was given."""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
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
from vault_access_operator_devkit.kube_resources import VAULTROLES
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


def _operator(kube: FakeKube, identity: OperatorIdentity, resync: float) -> RunningOperator:
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
                                                      role_operator: RunningOperator, proxy: CountingProxy) -> None:
    root, url = vault_roles.client(), vault_roles.url
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
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

    # Deleting the object deletes the role: the login is refused.
    delete(fake_kube, "VaultRole", "app", "team-a")
    wait_for(lambda: get(fake_kube, "VaultRole", "app", "team-a") is None, timeout=20, message="object never went")
    assert _login_refused(fake_kube, url, "team-a", "app", ROLE)
    reasons = {e["reason"] for e in fake_kube.list_events(involved_name="app")}
    assert {"Synced", "DriftCorrected", "Deleted"} <= reasons
