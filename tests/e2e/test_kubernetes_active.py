"""A VaultConnection with kubernetes auth, through the real operator, against real OpenBao."""

from __future__ import annotations

import time
from collections import Counter

from tests.crd_status import assert_fits_crd
from tests.e2e.helpers import k8s_spec, wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator


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
    assert_fits_crd(status)  # what the operator wrote, as the real API server would keep it
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
    assert obj is not None
    assert "kopf" not in obj["status"]
    assert "vault.platform.io/finalizer" in obj["metadata"]["finalizers"]
    events = fake_kube.list_events(involved_name="vault-k8s")
    assert any(e["reason"] == "LoggedIn" for e in events)


def _writes_for(kube: FakeKube, name: str) -> Counter[str]:
    """Kubernetes API writes the operator made for ``name`` (the only connection): kopf's, status, events,
    TokenRequests."""
    assert kube.emulator is not None
    writes: Counter[str] = Counter()
    for request in list(kube.emulator):
        method = str(request.method).rsplit(".", 1)[-1]
        if method == "GET" or request.resource is None:
            continue
        path = request.url.path
        if request.resource.plural == "vaultconnections" and path.split("/")[-2 if request.subresource else -1] == name:
            writes[f"{method} vaultconnections{'/' + request.subresource if request.subresource else ''}"] += 1
        elif request.resource.plural == "events":
            writes[f"{method} events"] += 1
        elif request.resource.plural == "serviceaccounts" and request.subresource == "token":
            writes[f"{method} serviceaccounts/{request.subresource}"] += 1
    return writes


def test_a_quick_first_login_costs_one_status_write_and_one_event(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("cheap", k8s_spec(vault_k8s.url, interval="30s"))
    wait_phase(fake_kube, "cheap", "Active")
    time.sleep(1.0)  # anything written late would show up here
    # kopf's finalizer, one status write (no Pending before a quick login), one event, one TokenRequest;
    # kopf keeps no progress or diff-base annotations for a daemon.
    assert _writes_for(fake_kube, "cheap") == Counter({
        "PATCH vaultconnections": 1,
        "PATCH vaultconnections/status": 1,
        "POST events": 1,
        "POST serviceaccounts/token": 1,
    })
    obj = fake_kube.get_vaultconnection("cheap")
    assert obj is not None
    assert not any(key.startswith("vault.platform.io/") for key in obj["metadata"].get("annotations", {}))
    assert [e["reason"] for e in fake_kube.list_events(involved_name="cheap")] == ["LoggedIn"]
