"""The API server fails the CA Secret read of a logged-in connection (the real operator, a TLS OpenBao):
the status names the Kubernetes API trouble, and the Authenticated condition is left as it was."""

from __future__ import annotations

import pytest

from tests.conftest import OPERATOR_NS, trust_the_operator
from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase, wait_status
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator


@pytest.mark.parametrize(("code", "headers", "reason", "text"), [
    (500, {}, "KubernetesAPIError",
     f"Kubernetes API error 500 while reading Secret {OPERATOR_NS}/vault-ca: injected failure (500)"),
    (429, {"Retry-After": "0"}, "KubernetesAPIThrottled",
     f"the Kubernetes API server throttled reading Secret {OPERATOR_NS}/vault-ca (429 Too Many Requests); "
     "retry after 0s"),
], ids=["500", "429"])
def test_a_failed_ca_secret_read_is_a_kubernetes_api_error_not_a_failed_login(
    fake_kube: FakeKube, openbao_tls: OpenBaoServer, tls_material: TLSMaterial, fault_operator: RunningOperator,
    code: int, headers: dict[str, str], reason: str, text: str,
) -> None:
    trust_the_operator(openbao_tls, fake_kube)
    fake_kube.create_secret(OPERATOR_NS, "vault-ca", {"ca.crt": tls_material.ca_pem})
    spec = k8s_spec(openbao_tls.url, interval="1s")
    spec["tls"] = {"caSecretRef": {"name": "vault-ca", "namespace": OPERATOR_NS, "key": "ca.crt"}}
    fake_kube.create_vaultconnection("ca", spec)
    before = condition(wait_phase(fake_kube, "ca", "Active"), "Authenticated")

    fake_kube.inject_failure("GET", rf"/namespaces/{OPERATOR_NS}/secrets/vault-ca$", code, times=10_000,
                             headers=headers)
    # A revoked token makes the operator log in again, which re-reads the CA Secret.
    openbao_tls.client().auth.token.revoke_accessor(status_of(fake_kube, "ca")["authStatus"]["tokenAccessor"])
    status = wait_status(fake_kube, "ca", lambda s: condition(s, "Ready")["reason"] == reason, f"showed {reason}")
    assert status["phase"] == "Error" and status["message"] == text
    assert condition(status, "Authenticated") == before  # still True/LoggedIn, same transition time

    fake_kube.clear_failures()
    status = wait_status(fake_kube, "ca", lambda s: s["phase"] == "Active" and s["authStatus"]["loginCount"] == 2,
                         "logged in again once the API server answered")
    assert fault_operator.error is None
