"""Bad input: each case gets a clear message on status and in an event, and others keep working."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crd_status import assert_fits_crd
from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial, make_ca_pem
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

NS = "vault-access-operator-system"
BAD_SPECS: list[tuple[str, dict[str, Any], str, str]] = [
    ("no-auth", {"address": "http://127.0.0.1:1"}, "InvalidSpec", "spec.auth is required"),
    ("two-auth", {"address": "http://127.0.0.1:1", "auth": {"kubernetes": {"role": "a"}, "aws": {"role": "b"}}},
     "InvalidSpec", "exactly one auth method block is required under spec.auth (found: aws, kubernetes)"),
    ("unknown-method", {"address": "http://127.0.0.1:1", "auth": {"ldap": {"role": "a"}}},
     "PluginUnavailable", "unknown auth method 'ldap' under spec.auth: installed methods are"),
    ("missing-role", {"address": "http://127.0.0.1:1", "auth": {"kubernetes": {}}},
     "InvalidSpec", "spec.auth.kubernetes.role is required"),
    ("not-a-url", {"address": "vault.example.com:8200", "auth": {"kubernetes": {"role": "a"}}},
     "InvalidSpec", "spec.address must be an http:// or https:// URL"),
    ("zero-interval", {"address": "http://127.0.0.1:1", "auth": {"kubernetes": {"role": "a"}},
                       "healthCheckInterval": "0s"}, "InvalidSpec", "spec.healthCheckInterval"),
    ("bad-duration", {"address": "http://127.0.0.1:1", "auth": {"kubernetes": {"role": "a", "tokenDuration": "1y"}}},
     "InvalidSpec", "spec.auth.kubernetes.tokenDuration"),
]


def wait_reason(kube: FakeKube, name: str, reason: str, timeout: float = 15.0) -> dict[str, Any]:
    status = wait_for(lambda: (s := status_of(kube, name)).get("phase") == "Error"
                      and condition(s, "Ready")["reason"] == reason and s,
                      timeout=timeout, message=f"{name}: expected {reason}, got {status_of(kube, name)}")
    assert status  # wait_for returns only a truthy value
    return status


def assert_reported(kube: FakeKube, name: str, reason: str, text: str) -> None:
    status = wait_reason(kube, name, reason)
    assert text in status["message"], status["message"]
    assert status["healthy"] is False
    assert condition(status, "Ready")["status"] == "False"
    assert_fits_crd(status)  # what the operator wrote, as the real API server would keep it
    events = kube.list_events(involved_name=name)
    assert any(e["type"] == "Warning" and e["reason"] == reason and text in e["message"] for e in events), events


def test_bad_specs_are_reported_and_others_keep_working(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    for name, spec, _, _ in BAD_SPECS:
        fake_kube.create_vaultconnection(name, spec)
    fake_kube.create_vaultconnection("good", k8s_spec(vault_k8s.url))
    for name, _, reason, text in BAD_SPECS:
        assert_reported(fake_kube, name, reason, text)
    wait_phase(fake_kube, "good", "Active")
    # Fixing a spec is picked up without a restart.
    fake_kube.patch_vaultconnection("missing-role", {"spec": k8s_spec(vault_k8s.url)})
    status = wait_phase(fake_kube, "missing-role", "Active")
    assert status["observedGeneration"] == 2


def test_wrong_role_at_vault_says_what_to_check(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("wrong-role", k8s_spec(vault_k8s.url, role="no-such-role"))
    status = wait_reason(fake_kube, "wrong-role", "LoginDenied")
    assert "Vault denied login for role 'no-such-role' at auth/kubernetes" in status["message"]
    assert 'invalid role name "no-such-role"' in status["message"]
    assert condition(status, "Authenticated")["status"] == "False"


@pytest.mark.parametrize(
    ("secret", "ref", "reason", "text"),
    [
        (None, {"name": "vault-ca", "namespace": NS, "key": "ca.crt"}, "SecretNotFound",
         f"Secret {NS}/vault-ca not found"),
        ({"other": "x"}, {"name": "vault-ca", "namespace": NS, "key": "ca.crt"}, "SecretNotFound",
         f"Secret {NS}/vault-ca has no key 'ca.crt' (keys: other)"),
        ({"ca.crt": "not a certificate"}, {"name": "vault-ca", "namespace": NS, "key": "ca.crt"}, "TLSConfigInvalid",
         "is not a PEM certificate"),
        ({"ca.crt": make_ca_pem("unrelated")}, {"name": "vault-ca", "namespace": NS, "key": "ca.crt"},
         "TLSVerifyFailed", "cannot verify Vault's TLS certificate"),
    ],
    ids=["missing-secret", "missing-key", "not-pem", "wrong-ca"],
)
def test_tls_problems_are_reported(
    fake_kube: FakeKube, openbao_tls: OpenBaoServer, operator_identity: OperatorIdentity, operator: RunningOperator,
    secret: dict[str, str] | None, ref: dict[str, str], reason: str, text: str,
) -> None:
    if secret is not None:
        fake_kube.create_secret(NS, "vault-ca", secret)
    spec = k8s_spec(openbao_tls.url)
    spec["tls"] = {"caSecretRef": ref}
    fake_kube.create_vaultconnection("tls", spec)
    assert_reported(fake_kube, "tls", reason, text)


def test_right_ca_verifies_vault(
    fake_kube: FakeKube, openbao_tls: OpenBaoServer, tls_material: TLSMaterial, operator_identity: OperatorIdentity,
    operator: RunningOperator,
) -> None:
    from tests.conftest import OPERATOR_SA
    from vault_access_operator_devkit import vault_setup

    client = openbao_tls.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [NS], ttl="1h")
    fake_kube.create_secret(NS, "vault-ca", {"ca.crt": tls_material.ca_pem})
    spec = k8s_spec(openbao_tls.url)
    spec["tls"] = {"caSecretRef": {"name": "vault-ca", "namespace": NS, "key": "ca.crt"}}
    fake_kube.create_vaultconnection("tls-ok", spec)
    status = wait_phase(fake_kube, "tls-ok", "Active")
    assert status["vaultVersion"]
    assert openbao_tls.url.startswith("https://")
