"""A tenant's boundary-bypass attempts, refused end to end: the operator against real OpenBao writes nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import condition, create_policy, policy_text, vault_calls, wait_policy
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.models import Confinement
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

TENANCY = {"confinement": "namespace", "allowedNamespaces": ["team-a", "team-b"],
           "allowedCapabilities": ["read", "list", "create", "update", "delete"],
           "deniedPathPrefixes": ["sys/", "secret/metadata/"]}
BY_CONFINEMENT = "(refused by the VaultConnection's spec.tenancy.confinement=namespace)"
# name: (the refused rule, the exact part of the refusal naming the rule, why, and (for two) the setting)
BYPASSES: dict[str, tuple[dict[str, Any], str]] = {
    "other-ns": ({"path": "secret/data/team-b/*", "capabilities": ["read"]},
                 "spec.rules[0].path 'secret/data/team-b/*': segment 3 is 'team-b', outside the namespace: "
                 "it must be 'team-a' ({{namespace}}); a confined path has the shape"),
    "plus": ({"path": "secret/data/+/*", "capabilities": ["read"]},
             "spec.rules[0].path 'secret/data/+/*': a + segment in the namespace's place matches every namespace"),
    "glob-after-ns": ({"path": "secret/data/{{namespace}}*", "capabilities": ["read"]},
                      "spec.rules[0].path 'secret/data/{{namespace}}*': a glob right after the namespace also "
                      "matches namespaces such as team-a-other"),
    "sys-path": ({"path": "sys/policies/acl/*", "capabilities": ["read"]},
                 "spec.rules[0].path 'sys/policies/acl/*': sys/ is Vault's own path, not a tenant's mount"),
    "denied-prefix": ({"path": "secret/metadata/{{namespace}}/*", "capabilities": ["list"]},
                      "spec.rules[0].path 'secret/metadata/{{namespace}}/*' can reach paths under "
                      "'secret/metadata/', which the VaultConnection's spec.tenancy.deniedPathPrefixes refuses"),
    "sudo": ({"path": "secret/data/{{namespace}}/*", "capabilities": ["read", "sudo"]},
             "spec.rules[0] (path 'secret/data/{{namespace}}/*') grants sudo, which the VaultConnection's "
             "spec.tenancy.allowedCapabilities does not list (create, delete, list, read, update); remove it"),
}
#: Refused by confinement: their message ends naming that setting.
CONFINED = frozenset({"other-ns", "plus", "glob-after-ns", "sys-path"})


def _operator(fake_kube: FakeKube, identity: OperatorIdentity, confinement: Confinement | None = None) -> Any:
    for namespace in ("team-a", "team-c"):
        fake_kube.ensure_namespace(namespace)
    access = AccessSettings(cluster_name="E2E", resync_seconds=0.5, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    return run_operator(fake_kube.connection_info(), identity=identity, access=access,
                        backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5), tenancy_confinement=confinement)


def _refused(fake_kube: FakeKube, proxy: CountingProxy, root: Any, name: str, namespace: str, text: str) -> str:
    """``name`` ends in Error / TenancyViolation naming ``text``, with a Warning event, and nothing in OpenBao."""
    status = wait_policy(fake_kube, name, lambda s: s.get("phase") == "Error", "was refused", namespace=namespace)
    ready = condition(status, "Ready")
    assert ready["status"] == "False" and ready["reason"] == "TenancyViolation"
    assert text in ready["message"] and text in status["message"]
    # The event may land a moment after the status: wait for it.
    wait_for(lambda: any(e.get("type") == "Warning" and e["reason"] == "TenancyViolation" and text in e["message"]
                         for e in fake_kube.list_events(involved_name=name)),
             timeout=10, message=f"no TenancyViolation warning for {name}")
    vault_name = f"vao.e2e.{namespace}.{name}"
    assert policy_text(root, vault_name) is None
    assert sum(vault_calls(proxy, f"sys/policies/acl/{vault_name}").values()) == 0
    return str(ready["message"])


def test_bypass_attempts_are_refused_and_the_own_share_syncs(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, proxy: CountingProxy,
        operator_identity: OperatorIdentity) -> None:
    root = vault_acl.client()
    with _operator(fake_kube, operator_identity):
        fake_kube.create_vaultconnection("vault", {**k8s_spec(proxy.url, interval="30s"), "tenancy": TENANCY})
        wait_phase(fake_kube, "vault", "Active")
        for name, (rule, _) in BYPASSES.items():
            create_policy(fake_kube, name, {"connectionRef": "vault", "rules": [rule]}, namespace="team-a")
        create_policy(fake_kube, "own", {"connectionRef": "vault", "rules": [
            {"path": "secret/data/{{namespace}}/*", "capabilities": ["read", "list"]}]}, namespace="team-a")
        create_policy(fake_kube, "outsider", {"connectionRef": "vault", "rules": [
            {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, namespace="team-c")

        wait_policy(fake_kube, "own", lambda s: s.get("phase") == "Active", "turned Active", namespace="team-a")
        assert 'path "secret/data/team-a/*"' in (policy_text(root, "vao.e2e.team-a.own") or "")
        for name, (_, text) in BYPASSES.items():
            message = _refused(fake_kube, proxy, root, name, "team-a", text)
            assert (BY_CONFINEMENT in message) == (name in CONFINED), message
        _refused(fake_kube, proxy, root, "outsider", "team-c",
                 "namespace 'team-c' may not use this VaultConnection: its spec.tenancy.allowedNamespaces "
                 "lists team-a, team-b")


def test_the_operator_wide_override_confines_a_connection_that_says_none(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, proxy: CountingProxy,
        operator_identity: OperatorIdentity) -> None:
    root = vault_acl.client()
    with _operator(fake_kube, operator_identity, Confinement.NAMESPACE):
        fake_kube.create_vaultconnection("vault", {**k8s_spec(proxy.url, interval="30s"),
                                                   "tenancy": {"confinement": "none"}})
        wait_phase(fake_kube, "vault", "Active")
        create_policy(fake_kube, "cross", {"connectionRef": "vault", "rules": [
            {"path": "secret/data/team-b/*", "capabilities": ["read"]}]}, namespace="team-a")
        message = _refused(fake_kube, proxy, root, "cross", "team-a",
                           "segment 3 is 'team-b', outside the namespace: it must be 'team-a' ({{namespace}}); "
                           "a confined path has the shape")
        assert "(refused by --tenancy-confinement (env VAO_TENANCY_CONFINEMENT)=namespace)" in message
