"""What a policy pass needs of a VaultPolicy or VaultClusterPolicy object, and where its policy lives in Vault."""

from __future__ import annotations

import dataclasses
from typing import Any

from .policy_models import PolicyStatus, VaultClusterPolicySpec, VaultPolicySpec


@dataclasses.dataclass(frozen=True)
class PolicyObject:
    """What a pass needs of the Kubernetes object."""

    kind: str  # VaultPolicy or VaultClusterPolicy
    name: str
    namespace: str | None
    spec: VaultClusterPolicySpec
    annotations: dict[str, str]
    status: PolicyStatus

    @property
    def resource(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def parse_spec(kind: str, spec: dict[str, Any]) -> VaultClusterPolicySpec:
    model = VaultPolicySpec if kind == "VaultPolicy" else VaultClusterPolicySpec
    return model.model_validate(spec)


#: Where Vault keeps ACL policies: ``LIST`` it for their names, ``acl_path`` for one.
ACL_FOLDER = "sys/policies/acl"


def acl_path(vault_name: str) -> str:
    return f"{ACL_FOLDER}/{vault_name}"
