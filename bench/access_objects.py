"""The workload of bench.access: N access objects, half VaultPolicies and half VaultRoles, 20 per namespace.

Namespace ``team-<k>`` holds policies ``p<i>`` and roles ``r<i>``; role ``r<i>`` binds service account
``app-<i>`` of its namespace to policy ``p<i>`` (on the connection's kubernetes login mount). The direct
client writes the same documents and payloads under names of its own (``direct-…``), so the two never meet.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES, VAULTROLES

from .stack import OPERATOR_NS, OPERATOR_SA, ROLE

PER_NAMESPACE = 20
CLUSTER = "default"  # the operator's --cluster-name when none is given: the <identity> in Vault names
MOUNT = "kubernetes"  # Stack enables kubernetes auth there; the connection logs in there, so roles go there

#: The operator's own Vault policy: ACL policies, and roles on the kubernetes mount (docs/access/roles.md).
OPERATOR_POLICY = (
    'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }\n'
    f'path "auth/{MOUNT}/role/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}\n'
)
#: The Vault policies the operator's login gets (the second one is OPERATOR_POLICY).
OPERATOR_VAULT_POLICIES = ("default", "operator-access")


def grant_operator(client: Any) -> None:
    """Let the operator's service account log in with OPERATOR_POLICY (``client``: an hvac client as root)."""
    vault_setup.write_policy(client, OPERATOR_VAULT_POLICIES[1], OPERATOR_POLICY)
    vault_setup.create_kubernetes_role(client, ROLE, [OPERATOR_SA], [OPERATOR_NS], policies=OPERATOR_VAULT_POLICIES)


def vault_name(namespace: str, name: str) -> str:
    """The operator's Vault name of a namespaced object (docs/access/roles.md, "The name in Vault")."""
    return f"vao.{CLUSTER}.{namespace}.{name}"


def policy_rules(i: int) -> list[dict[str, Any]]:
    return [{"path": f"secret/data/p{i}/*", "capabilities": ["read", "list"]}]


def policy_document(namespace: str, name: str, i: int) -> str:
    """The ACL document the operator writes for policy ``p<i>``: its ownership header and its one rule."""
    header = (f"# managed-by: vault-access-operator\n# cluster: {CLUSTER}\n# k8s-resource: {namespace}/{name}\n"
              "# k8s-kind: VaultPolicy\n\n")
    return f'{header}path "secret/data/p{i}/*" {{\n  capabilities = ["read", "list"]\n}}\n'


def role_payload(namespace: str, name: str, account: str, policy: str) -> dict[str, Any]:
    """What plugins/kubernetes/role.py writes for a VaultRole binding one account to one policy."""
    return {"bound_service_account_names": [account], "bound_service_account_namespaces": [namespace],
            "token_policies": [policy], "token_ttl": 0, "token_max_ttl": 0,
            "alias_metadata": {"managed-by": "vault-access-operator", "cluster": CLUSTER,
                               "k8s-resource": f"{namespace}/{name}", "k8s-kind": "VaultRole"}}


@dataclasses.dataclass(frozen=True)
class Workload:
    count: int  # objects in all: half policies, half roles

    def __post_init__(self) -> None:
        if self.count < 2 or self.count % 2:
            raise ValueError(f"--objects {self.count}: give an even number (half policies, half roles)")

    @property
    def pairs(self) -> int:
        return self.count // 2

    @property
    def namespaces(self) -> list[str]:
        return [f"team-{k}" for k in range(max(1, self.count // PER_NAMESPACE))]

    def namespace_of(self, i: int) -> str:
        return self.namespaces[i % len(self.namespaces)]

    def policies(self) -> list[tuple[str, str]]:
        """(namespace, name) of every VaultPolicy."""
        return [(self.namespace_of(i), f"p{i}") for i in range(self.pairs)]

    def roles(self) -> list[tuple[str, str]]:
        """(namespace, name) of every VaultRole."""
        return [(self.namespace_of(i), f"r{i}") for i in range(self.pairs)]

    def policy_manifest(self, i: int) -> dict[str, Any]:
        namespace, name = self.namespace_of(i), f"p{i}"
        return {"apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"connectionRef": "vault", "rules": policy_rules(i)}}

    def role_manifest(self, i: int) -> dict[str, Any]:
        namespace, name = self.namespace_of(i), f"r{i}"
        return {"apiVersion": VAULTROLES.api_version, "kind": "VaultRole",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"connectionRef": "vault", "serviceAccounts": [f"app-{i}"],
                         "policies": [{"kind": "VaultPolicy", "name": f"p{i}"}]}}

    def create(self, kube: FakeKube) -> None:
        """Every namespace and object, unsynced (no operator runs yet)."""
        for namespace in self.namespaces:
            kube.ensure_namespace(namespace)
        for i in range(self.pairs):
            kube.call("POST", VAULTPOLICIES.url(self.namespace_of(i)), json=self.policy_manifest(i))
        for i in range(self.pairs):
            kube.call("POST", VAULTROLES.url(self.namespace_of(i)), json=self.role_manifest(i))

    def direct_writes(self) -> list[tuple[str, dict[str, Any]]]:
        """(Vault path, body) of what the operator writes, under the direct client's own names."""
        writes: list[tuple[str, dict[str, Any]]] = []
        for i, (namespace, name) in enumerate(self.policies()):
            writes.append((f"sys/policies/acl/direct-{namespace}-{name}",
                           {"policy": policy_document(namespace, name, i)}))
        for i, (namespace, name) in enumerate(self.roles()):
            policy = f"direct-{namespace}-p{i}"
            writes.append((f"auth/{MOUNT}/role/direct-{namespace}-{name}",
                           role_payload(namespace, name, f"app-{i}", policy)))
        return writes


def direct_files(client: Any, workload: Workload, scratch: Path) -> tuple[Path, Path]:
    """Grant the operator its login (``client``: an hvac client as root), then write the direct client's files into
    ``scratch``: the work (``workload``'s Vault writes) and a token with the operator's Vault policies (OpenBao
    checks its ACL on every request, as for the operator)."""
    grant_operator(client)
    work_file, token_file = scratch / "work.json", scratch / "token"
    work_file.write_text(json.dumps(workload.direct_writes()))
    token_file.write_text(client.auth.token.create(policies=[*OPERATOR_VAULT_POLICIES], ttl="4h")["auth"]
                          ["client_token"])
    return work_file, token_file
