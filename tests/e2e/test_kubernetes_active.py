"""A VaultConnection with kubernetes auth, through the real operator, against real OpenBao."""

from __future__ import annotations

from tests.e2e.helpers import wait_phase
from vault_access_operator.testing.kube import FakeKube
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.operator import RunningOperator


def test_connection_becomes_active_with_every_status_field(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection(
        "vault-k8s",
        {
            "address": vault_k8s.url,
            "auth": {"kubernetes": {"role": "operator"}},
            "healthCheckInterval": "30s",
        },
    )
    status = wait_phase(fake_kube, "vault-k8s", "Active")
    assert status["healthy"] is True
    assert status["vaultVersion"]
    assert status["message"] == ""
    assert status["observedGeneration"] == 1
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True" and conditions["Ready"]["reason"] == "Connected"
    assert conditions["Authenticated"]["status"] == "True" and conditions["Authenticated"]["reason"] == "LoggedIn"
    auth = status["authStatus"]
    assert auth["authMethod"] == "kubernetes" and auth["authPath"] == "kubernetes"
    assert auth["tokenAccessor"] and auth["tokenExpiration"] and auth["lastLogin"]
    assert auth["tokenRenewalCount"] == 0 and auth["loginCount"] == 1
    assert auth["details"]["tokenSource"] == "TokenRequest"
    # The accessor on status is the real one: Vault knows it.
    looked_up = vault_k8s.client().auth.token.lookup_accessor(auth["tokenAccessor"])
    assert looked_up["data"]["meta"]["service_account_name"] == "vault-access-operator-controller-manager"
    # kopf's bookkeeping stays out of status, and our finalizer is on the object.
    obj = fake_kube.get_vaultconnection("vault-k8s")
    assert "kopf" not in obj["status"]
    assert "vault.platform.io/finalizer" in obj["metadata"]["finalizers"]
    events = fake_kube.list_events(involved_name="vault-k8s")
    assert any(e["reason"] == "LoggedIn" for e in events)
