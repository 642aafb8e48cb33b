"""docs/migration.md, rehearsed: the replaced operator's policies, taken over in place with its identity.

The Vault side is what the guides set up: the operator's Vault policy is the one docs/auth/kubernetes.md
writes (only `sys/policies/acl/vao.*`), so the test also shows that it grants what the operator uses (write,
read back, take over, delete). The manifests are the rehearsal block of docs/migration.md.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.docs.markdown import ROOT
from tests.e2e.helpers import wait_phase
from tests.e2e.policy_helpers import create_policy, delete_policy, get_policy, policy_text, wait_policy
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator
from vault_access_operator_devkit.waiting import wait_for

OLD_IDENTITY = "kubernetes"  # no --cluster-name: the replaced operator used the login mount


def guide_policy() -> str:
    """The operator's Vault policy, as docs/auth/kubernetes.md writes it."""
    text = (ROOT / "docs/auth/kubernetes.md").read_text()
    found = re.search(r"vault policy write vault-access-operator - <<'POLICY'\n(.*?)\nPOLICY", text, flags=re.S)
    assert found, "docs/auth/kubernetes.md no longer writes the operator's policy"
    return found[1]


def rehearsal_manifests() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs/migration.md").read_text(), flags=re.S)
    return [doc for doc in yaml.safe_load_all(blocks[-1]) if doc]


def old_record(resource: str, kind: str, rules: str) -> str:
    """An ACL policy as the replaced operator wrote it: its record names the login mount, not a cluster."""
    return (f"# managed-by: vault-access-operator\n# auth-mount: {OLD_IDENTITY}\n# k8s-resource: {resource}\n"
            f"# k8s-kind: {kind}\n\n{rules}")


def test_the_replaced_operators_policies_are_taken_over_under_their_names(
        openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> None:
    root = openbao.client()
    vault_setup.enable_kubernetes_auth(root, fake_kube.url)
    vault_setup.write_policy(root, "vault-access-operator", guide_policy())
    vault_setup.create_kubernetes_role(root, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "vault-access-operator"))
    read = 'path "secret/data/{}/*" {{\n  capabilities = ["read"]\n}}\n'
    old = {"vao.kubernetes.team-a.app-read": old_record("team-a/app-read", "VaultPolicy", read.format("team-a")),
           "vao.kubernetes._.shared-read": old_record("shared-read", "VaultClusterPolicy", read.format("shared"))}
    for name, text in old.items():
        root.sys.create_or_update_acl_policy(name=name, policy=text)

    connection, policy, cluster_policy = rehearsal_manifests()
    spec = connection["spec"]
    spec["address"], spec["auth"]["kubernetes"]["role"] = openbao.url, "operator"
    spec.pop("tls")  # the test's OpenBao speaks http
    fake_kube.ensure_namespace("team-a")
    access = AccessSettings(cluster_name=OLD_IDENTITY, resync_seconds=60)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)):
        fake_kube.create_vaultconnection(connection["metadata"]["name"], spec)
        wait_phase(fake_kube, connection["metadata"]["name"], "Active")
        create_policy(fake_kube, "app-read", policy["spec"], namespace="team-a")
        create_policy(fake_kube, "shared-read", cluster_policy["spec"], namespace=None)
        for name, namespace in (("app-read", "team-a"), ("shared-read", None)):
            status = wait_policy(fake_kube, name, lambda s: s.get("phase") == "Active", "took over", namespace)
            assert status["vaultName"] in old

        names = [n for n in root.sys.list_acl_policies()["data"]["keys"] if n.startswith("vao.")]
        assert sorted(names) == sorted(old)  # the same names: no new policy beside them
        taken = policy_text(root, "vao.kubernetes.team-a.app-read") or ""
        assert "# cluster: kubernetes\n# k8s-resource: team-a/app-read\n" in taken
        assert 'path "secret/data/team-a/app-read/*"' in taken  # the object's rules, written once

        delete_policy(fake_kube, "app-read", namespace="team-a")  # deletionPolicy Delete: the guide's policy may
        wait_for(lambda: get_policy(fake_kube, "app-read", "team-a") is None, timeout=20, message="not deleted")
        assert policy_text(root, "vao.kubernetes.team-a.app-read") is None
        assert policy_text(root, "vao.kubernetes._.shared-read")  # deletionPolicy Retain: kept
