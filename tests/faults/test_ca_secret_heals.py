"""A bad CA Secret is retried with backoff (the Secret is read again at each attempt), so fixing the Secret
heals the connection without a spec change or an operator restart."""

from __future__ import annotations

import base64
import time

import pytest

from tests.conftest import OPERATOR_NS, trust_the_operator
from tests.e2e.helpers import condition, k8s_spec, wait_status
from tests.faults.conftest import BACKOFF
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial, make_ca_pem
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator


@pytest.mark.parametrize(
    ("bad_ca", "reason"),
    [("not a certificate", "TLSConfigInvalid"), (make_ca_pem("unrelated"), "TLSVerifyFailed")],
    ids=["not-pem", "wrong-ca"],
)
def test_fixing_the_ca_secret_heals_the_connection(
    fake_kube: FakeKube, openbao_tls: OpenBaoServer, tls_material: TLSMaterial, fault_operator: RunningOperator,
    bad_ca: str, reason: str,
) -> None:
    trust_the_operator(openbao_tls, fake_kube)
    fake_kube.create_secret(OPERATOR_NS, "vault-ca", {"ca.crt": bad_ca})
    spec = k8s_spec(openbao_tls.url)
    spec["tls"] = {"caSecretRef": {"name": "vault-ca", "namespace": OPERATOR_NS, "key": "ca.crt"}}
    fake_kube.create_vaultconnection("ca", spec)
    status = wait_status(fake_kube, "ca", lambda s: s.get("phase") == "Error", "reported the bad CA")
    assert condition(status, "Ready")["reason"] == reason
    time.sleep(1.0)  # a few retries, all failing the same way: still one Warning
    warnings = [e for e in fake_kube.list_events(involved_name="ca") if e["type"] == "Warning"]
    assert [e["reason"] for e in warnings] == [reason], warnings
    assert status["consecutiveFailures"] >= 1

    fixed = base64.b64encode(tls_material.ca_pem.encode()).decode()
    fake_kube.patch("secrets", "vault-ca", {"data": {"ca.crt": fixed}}, OPERATOR_NS)
    healed = wait_status(fake_kube, "ca", lambda s: s.get("phase") == "Active", "healed after the Secret was fixed",
                         timeout=BACKOFF.cap + 10)
    assert healed["observedGeneration"] == 1
    assert (fake_kube.get_vaultconnection("ca") or {})["metadata"]["generation"] == 1
    assert healed["healthy"] is True and healed["consecutiveFailures"] == 0
    assert healed["authStatus"]["loginCount"] == 1
    assert len(fake_kube.list_events(involved_name="ca", reason="Active")) == 1
