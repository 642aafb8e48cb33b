"""What a role pass needs of a VaultRole or VaultClusterRole object, and its ownership record."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..role_writer import BoundAccount
from .hcl import MANAGED_BY
from .role_models import RoleStatus, VaultClusterRoleSpec, VaultRoleSpec

RoleSpec = VaultRoleSpec | VaultClusterRoleSpec


@dataclasses.dataclass(frozen=True)
class RoleObject:
    kind: str  # VaultRole or VaultClusterRole
    name: str
    namespace: str | None
    spec: RoleSpec
    annotations: dict[str, str]
    status: RoleStatus

    @property
    def resource(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def accounts(self) -> tuple[BoundAccount, ...]:
        """The service accounts the spec lists, each with its namespace (a VaultRole's are in its own)."""
        found: list[BoundAccount] = []
        for account in self.spec.service_accounts or []:
            if not isinstance(account, str):
                found.append(BoundAccount(account.namespace, account.name))
            elif self.namespace is not None:
                found.append(BoundAccount(self.namespace, account))
        return tuple(dict.fromkeys(found))


def parse_role(kind: str, raw: dict[str, Any], status: RoleStatus) -> RoleObject:
    """The object from its raw body; pydantic.ValidationError for a spec that does not parse."""
    meta = raw.get("metadata") or {}
    namespaced = kind == "VaultRole"
    model = VaultRoleSpec if namespaced else VaultClusterRoleSpec
    return RoleObject(kind=kind, name=meta["name"], namespace=meta.get("namespace") if namespaced else None,
                      spec=model.model_validate(raw.get("spec") or {}), annotations=dict(meta.get("annotations") or {}),
                      status=status)


def role_owner(operator_identity: str, obj: RoleObject) -> dict[str, str]:
    """The ownership record written with the role (the replaced operator's vocabulary)."""
    return {"managed-by": MANAGED_BY, "cluster": operator_identity, "k8s-resource": obj.resource,
            "k8s-kind": obj.kind}
