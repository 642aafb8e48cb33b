"""spec.auth.bootstrap + kubernetes, through the real operator, against real OpenBao and the emulator.

OpenBao starts bare (no kubernetes auth, no operator policy, no role): the bootstrap does what the
``vault_k8s`` fixture does by hand, with a token from a Secret.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA, LogLines
from tests.e2e.helpers import status_of, wait_phase, wait_status
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.plugins.bootstrap.cluster import CA_FILE_ENV
from vault_access_operator.plugins.bootstrap.policy import OPERATOR_POLICY, operator_policy
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import make_ca_pem
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

SECRET = "vault-bootstrap-token"
ALL_STEPS = ["AuthMountEnabled", "AuthMountConfigured", "OperatorPolicyCreated", "OperatorRoleCreated",
             "KubernetesLoginTested"]
#: What the replaced operator's bootstrap guide asks of the bootstrap token (docs/auth/bootstrap.md).
BOOTSTRAP_POLICY = """
path "sys/auth/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "auth/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/policies/acl" { capabilities = ["list"] }
"""
#: The same without the policy rights: the set-up stops at OperatorPolicyCreated (reading the policy is refused).
NO_POLICY_RIGHTS = """
path "sys/auth/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "auth/*" { capabilities = ["create", "read", "update", "delete", "list"] }
"""






@pytest.fixture
def kube_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The operator's setting for the API server's CA (in a pod: the mounted ca.crt)."""
    pem = make_ca_pem("emulator-ca")
    path = tmp_path / "ca.crt"
    path.write_text(pem)
    monkeypatch.setenv(CA_FILE_ENV, str(path))
    return pem


@pytest.fixture
def proxy(openbao: OpenBaoServer) -> Iterator[CountingProxy]:
    with CountingProxy(urllib.parse.urlsplit(openbao.url).port or 0) as counting:
        yield counting


def token_with(openbao: OpenBaoServer, rules: str | None, name: str) -> str:
    """A token for the Secret: root's rights (rules None) or a policy of ``rules``; never the root token itself."""
    client = openbao.client()
    if rules is None:
        return str(client.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"])
    client.sys.create_or_update_policy(name=name, policy=rules)
    return str(client.auth.token.create(policies=[name], ttl="1h")["auth"]["client_token"])


def bootstrap_spec(address: str, kube: FakeKube, **bootstrap: Any) -> dict[str, Any]:
    return {
        "address": address,
        "healthCheckInterval": "30s",
        "auth": {
            "bootstrap": {"secretRef": {"name": SECRET, "namespace": OPERATOR_NS, "key": "token"}, **bootstrap},
            "kubernetes": {"role": "vault-access-operator", "kubernetesHost": kube.url},
        },
    }


def condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions", []) if c["type"] == kind), {})


def is_revoked(openbao: OpenBaoServer, token: str) -> bool:
    try:
        hvac.Client(url=openbao.url, token=token).auth.token.lookup_self()
    except hvac.exceptions.Forbidden:
        return True
    return False


def writes(proxy: CountingProxy) -> Counter[str]:
    """The operator's writes to Vault, by request line (method and path)."""
    lines = proxy.requests_since(0)
    return Counter(line for line in lines if not line.startswith("GET"))


def assert_never_shown(secret: str, kube: FakeKube, name: str, logs: LogLines) -> None:
    assert secret not in str(status_of(kube, name))
    assert secret not in str(kube.list_events(involved_name=name))
    assert not [line for line in logs.lines if secret in line]


def test_a_root_token_in_a_secret_becomes_an_active_kubernetes_connection(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
    proxy: CountingProxy, logs: LogLines,
) -> None:
    token = token_with(openbao, None, "")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(proxy.url, fake_kube))
        status = wait_phase(fake_kube, "boot", "Active")
        # The connection's token is the operator's kubernetes login, with the operator's policy.
        client = openbao.client()
        looked_up = client.auth.token.lookup_accessor(status["authStatus"]["tokenAccessor"])["data"]
        assert OPERATOR_POLICY in looked_up["policies"] and looked_up["meta"]["service_account_name"] == OPERATOR_SA
        vault_writes = writes(proxy)
    auth = status["authStatus"]
    assert auth["authMethod"] == "kubernetes" and auth["authPath"] == "kubernetes" and auth["loginCount"] == 1
    setup = auth["setup"]
    assert setup["method"] == "bootstrap" and setup["complete"] is True and setup["completedAt"]
    assert setup["steps"] == {**dict.fromkeys(ALL_STEPS, "Done"), "BootstrapTokenRevoked": "Done"}
    booted = condition(status, "Bootstrapped")
    assert booted["status"] == "True" and booted["reason"] == "Completed"
    assert "bootstrap token revoked" in booted["message"]
    # Vault now holds what the bootstrap wrote, and the bootstrap token is gone.
    assert is_revoked(openbao, token)
    assert client.sys.read_policy(OPERATOR_POLICY)["data"]["rules"].strip() == operator_policy("kubernetes").strip()
    role = client.read("auth/kubernetes/role/vault-access-operator")["data"]
    assert role["bound_service_account_names"] == [OPERATOR_SA]
    assert role["bound_service_account_namespaces"] == [OPERATOR_NS]
    assert role["token_policies"] == [OPERATOR_POLICY] and role["audience"] == "vault"
    config = client.read("auth/kubernetes/config")["data"]
    assert config["kubernetes_host"] == fake_kube.url and config["kubernetes_ca_cert"].strip() == kube_ca.strip()
    # Each write once: the probe login, the mount, its config, the policy, the role, the test login, the revocation.
    assert vault_writes == Counter({
        "PUT /v1/auth/kubernetes/login": 2, "PUT /v1/sys/auth/kubernetes": 1, "PUT /v1/auth/kubernetes/config": 1,
        f"PUT /v1/sys/policies/acl/{OPERATOR_POLICY}": 1, "PUT /v1/auth/kubernetes/role/vault-access-operator": 1,
        "PUT /v1/auth/token/revoke-self": 1,
    })
    events = fake_kube.list_events(involved_name="boot")
    assert [e["reason"] for e in events if e["reason"] == "Bootstrapped"] == ["Bootstrapped"]
    assert_never_shown(token, fake_kube, "boot", logs)


def test_a_restart_does_not_bootstrap_again(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
    proxy: CountingProxy,
) -> None:
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token_with(openbao, None, "")})
    backoff = Backoff(base=0.2, cap=2.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=backoff):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(proxy.url, fake_kube))
        wait_phase(fake_kube, "boot", "Active")
    before = len(proxy.requests_since(0))  # the first operator's shutdown (its token's revocation) included
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=backoff):
        status = wait_status(fake_kube, "boot", lambda s: condition(s, "Bootstrapped").get("reason")
                             == "AlreadyConfigured" and s.get("phase") == "Active",
                             "found kubernetes auth in place after the restart")
        after = [line for line in proxy.requests_since(before) if not line.startswith("GET")]
    assert after == ["PUT /v1/auth/kubernetes/login"]  # one login; nothing written, no bootstrap token used
    assert status["authStatus"]["setup"]["steps"] == {}  # this process ran no step


def test_a_partial_failure_finishes_with_a_good_token_without_doing_a_step_twice(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
    proxy: CountingProxy, logs: LogLines,
) -> None:
    limited = token_with(openbao, NO_POLICY_RIGHTS, "bootstrap-limited")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": limited})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(proxy.url, fake_kube))
        failed = wait_status(fake_kube, "boot", lambda s: condition(s, "Bootstrapped").get("reason")
                             == "VaultPermissionDenied", "reported the refused policy write")
        assert failed["phase"] == "Error"
        assert failed["authStatus"]["setup"]["steps"] == {
            "AuthMountEnabled": "Done", "AuthMountConfigured": "Done", "OperatorPolicyCreated": "Failed"}
        message = condition(failed, "Bootstrapped")["message"]
        assert message.startswith("bootstrap step OperatorPolicyCreated failed: Vault at ")
        assert f"denied read of sys/policies/acl/{OPERATOR_POLICY} (HTTP 403)" in message  # read before write
        assert "the token's policies must grant 'read' on that path" in message
        assert failed["message"] == message
        # The administrator puts a token with the documented rights in the Secret; the retry finishes the job.
        good = token_with(openbao, BOOTSTRAP_POLICY, "bootstrap-operator")
        fake_kube.replace("secrets", SECRET, {"metadata": {"name": SECRET}, "stringData": {"token": good}},
                          namespace=OPERATOR_NS)
        status = wait_phase(fake_kube, "boot", "Active", timeout=40)
        counted = writes(proxy)  # before the operator's shutdown revokes its own token
    assert status["authStatus"]["setup"]["steps"] == {
        **dict.fromkeys(ALL_STEPS, "Done"), "BootstrapTokenRevoked": "Done"}
    assert is_revoked(openbao, good) and not is_revoked(openbao, limited)  # only the token that finished
    assert counted["PUT /v1/sys/auth/kubernetes"] == 1 and counted["PUT /v1/auth/kubernetes/config"] == 1
    assert counted[f"PUT /v1/sys/policies/acl/{OPERATOR_POLICY}"] == 1
    assert counted["PUT /v1/auth/kubernetes/role/vault-access-operator"] == 1
    assert counted["PUT /v1/auth/token/revoke-self"] == 1
    assert_never_shown(limited, fake_kube, "boot", logs)
    assert_never_shown(good, fake_kube, "boot", logs)


def test_auto_revoke_false_keeps_the_token(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
    proxy: CountingProxy,
) -> None:
    token = token_with(openbao, BOOTSTRAP_POLICY, "bootstrap-operator")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(proxy.url, fake_kube, autoRevoke=False))
        status = wait_phase(fake_kube, "boot", "Active")
        counted = writes(proxy)
    assert status["authStatus"]["setup"]["steps"] == dict.fromkeys(ALL_STEPS, "Done")  # no revocation step
    assert "bootstrap token kept (autoRevoke: false)" in condition(status, "Bootstrapped")["message"]
    assert not is_revoked(openbao, token)
    assert "PUT /v1/auth/token/revoke-self" not in counted


def test_a_mount_of_another_type_is_left_alone(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
) -> None:
    openbao.client().sys.enable_auth_method(method_type="jwt", path="k8s-prod")
    token = token_with(openbao, None, "")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token})
    spec = bootstrap_spec(openbao.url, fake_kube)
    spec["auth"]["kubernetes"]["authPath"] = "k8s-prod"
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", spec)
        status = wait_status(fake_kube, "boot", lambda s: s.get("phase") == "Error", "failed")
    assert status["message"] == (
        "bootstrap step AuthMountEnabled failed: auth/k8s-prod is a 'jwt' auth mount, not kubernetes: set "
        "spec.auth.kubernetes.authPath to a free path or to a kubernetes mount")
    booted = condition(status, "Bootstrapped")
    assert booted["status"] == "False" and booted["reason"] == "InvalidSpec"
    assert status["authStatus"]["setup"]["steps"] == {"AuthMountEnabled": "Failed"}
    assert not is_revoked(openbao, token)  # nothing done: the token is kept for the next try
    assert openbao.client().sys.list_auth_methods()["data"]["k8s-prod/"]["type"] == "jwt"


def test_a_login_that_still_fails_after_the_set_up_keeps_the_token_and_says_why(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
) -> None:
    token = token_with(openbao, None, "")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token})
    spec = bootstrap_spec(openbao.url, fake_kube)
    spec["auth"]["kubernetes"]["kubernetesHost"] = "http://127.0.0.1:9"  # Vault cannot reach this API server
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", spec)
        status = wait_status(fake_kube, "boot", lambda s: condition(s, "Bootstrapped").get("message", "").startswith(
            "bootstrap step KubernetesLoginTested failed"), "reported the failed test login")
    message = condition(status, "Bootstrapped")["message"]
    assert "the kubernetes login at auth/kubernetes still fails after the set-up: " in message
    assert message.endswith("Check that Vault reaches the Kubernetes API at the configured kubernetes_host with "
                            "that CA")
    steps = status["authStatus"]["setup"]["steps"]
    assert steps["KubernetesLoginTested"] == "Failed" and "BootstrapTokenRevoked" not in steps
    assert not is_revoked(openbao, token)  # kept: a retry (after fixing kubernetesHost) needs it


def test_a_refused_revocation_completes_with_a_warning(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
) -> None:
    client = openbao.client()
    client.sys.create_or_update_policy(name="bootstrap-operator", policy=BOOTSTRAP_POLICY)
    # Vault lets any token revoke itself; one whose uses run out just before is refused. Nine uses: the token's
    # lookup, then a read and a write for each of the mount, its config, the policy and the role.
    token = str(client.auth.token.create(policies=["bootstrap-operator"], num_uses=9, ttl="1h")["auth"]["client_token"])
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(openbao.url, fake_kube))
        status = wait_phase(fake_kube, "boot", "Active")
        wait_status(fake_kube, "boot", lambda s: fake_kube.list_events(involved_name="boot", reason="Bootstrapped"),
                    "posted the Bootstrapped event")
    booted = condition(status, "Bootstrapped")
    assert booted["status"] == "True" and booted["reason"] == "CompletedWithWarnings"
    assert "; the login works; bootstrap token NOT revoked (Vault at " in booted["message"]
    assert booted["message"].endswith("): revoke it by hand")
    assert status["authStatus"]["setup"]["steps"] == {
        **dict.fromkeys(ALL_STEPS, "Done"), "BootstrapTokenRevoked": "Failed"}
    events = fake_kube.list_events(involved_name="boot", reason="Bootstrapped")
    assert [e["type"] for e in events] == ["Warning"]


def test_no_ca_for_a_vault_outside_the_cluster_names_the_setting(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CA_FILE_ENV, str(tmp_path / "absent.crt"))
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token_with(openbao, None, "")})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(openbao.url, fake_kube))
        status = wait_status(fake_kube, "boot", lambda s: s.get("phase") == "Error", "failed")
    message = status["message"]
    assert message.startswith(f"bootstrap step AuthMountConfigured failed: Vault at {openbao.url} rejected write of "
                              "auth/kubernetes/config (HTTP 400): ")
    assert message.endswith(f"The operator found no CA of the Kubernetes API to send (no file at "
                            f"{tmp_path / 'absent.crt'}): set the operator's env {CA_FILE_ENV} to the CA bundle's path")
    assert condition(status, "Bootstrapped")["reason"] == "VaultRequestRejected"
    assert status["authStatus"]["setup"]["steps"] == {"AuthMountEnabled": "Done", "AuthMountConfigured": "Failed"}


def delete_and_wait(kube: FakeKube, name: str) -> None:
    kube.delete_vaultconnection(name)
    wait_for(lambda: kube.get_vaultconnection(name) is None, timeout=20, message=f"{name} was not deleted")


@pytest.mark.parametrize("mount_there_before", [False, True])
def test_cleanup_auth_mount_disables_only_a_mount_the_bootstrap_enabled(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
    mount_there_before: bool,
) -> None:
    client = openbao.client()
    if mount_there_before:  # enabled by an administrator: the bootstrap configures it, but never disables it
        client.sys.enable_auth_method(method_type="kubernetes", path="kubernetes", description="team-owned")
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token_with(openbao, BOOTSTRAP_POLICY, "bootstrap")})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(openbao.url, fake_kube, cleanupAuthMount=True))
        status = wait_phase(fake_kube, "boot", "Active")
        assert status["authStatus"]["setup"]["steps"]["AuthMountEnabled"] == (
            "AlreadyInPlace" if mount_there_before else "Done")
        policy = client.sys.read_policy(OPERATOR_POLICY)["data"]["rules"]
        assert 'path "sys/auth/kubernetes" { capabilities = ["read", "delete", "sudo"] }' in policy
        delete_and_wait(fake_kube, "boot")
        events = fake_kube.list_events(involved_name="boot", reason="SetUpUndone")
    mounts = client.sys.list_auth_methods()["data"]
    if mount_there_before:
        assert mounts["kubernetes/"]["description"] == "team-owned"
        assert [e["message"] for e in events] == [
            "cleanupAuthMount: auth/kubernetes was not enabled by the bootstrap (its description differs): left "
            "enabled"]
    else:
        assert "kubernetes/" not in mounts
        assert [e["message"] for e in events] == [
            "cleanupAuthMount: disabled auth/kubernetes, which the bootstrap enabled; every token issued through it "
            "is revoked"]


def test_without_cleanup_auth_mount_a_deletion_leaves_the_mount(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
) -> None:
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token_with(openbao, None, "")})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(openbao.url, fake_kube))
        wait_phase(fake_kube, "boot", "Active")
        delete_and_wait(fake_kube, "boot")
    assert "kubernetes/" in openbao.client().sys.list_auth_methods()["data"]
    assert 'path "sys/auth/' not in openbao.client().sys.read_policy(OPERATOR_POLICY)["data"]["rules"]
    assert not fake_kube.list_events(involved_name="boot", reason="SetUpUndone")


def test_cleanup_auth_mount_set_after_the_bootstrap_lacks_the_right_and_says_so(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, kube_ca: str,
) -> None:
    fake_kube.create_secret(OPERATOR_NS, SECRET, {"token": token_with(openbao, None, "")})
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("boot", bootstrap_spec(openbao.url, fake_kube))
        wait_phase(fake_kube, "boot", "Active")
        fake_kube.patch_vaultconnection("boot", {"spec": {"auth": {"bootstrap": {"cleanupAuthMount": True}}}})
        wait_status(fake_kube, "boot", lambda s: condition(s, "Bootstrapped").get("reason") == "AlreadyConfigured",
                    "found the kubernetes login working after the edit")
        delete_and_wait(fake_kube, "boot")
        [event] = fake_kube.list_events(involved_name="boot", reason="TearDownFailed")
    assert event["type"] == "Warning"
    assert event["message"].startswith(
        f"spec.auth.bootstrap: could not undo the set-up: Vault at {openbao.url} denied read of sys/auth/kubernetes "
        "(HTTP 403)")
    assert "kubernetes/" in openbao.client().sys.list_auth_methods()["data"]
