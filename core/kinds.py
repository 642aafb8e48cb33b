"""The custom resource kinds the operator serves: their API identity, models and CRD presentation.

One :class:`KindDefinition` per kind is the single source for the CRD (core/crd.py), the API reference
(core/apidocs.py), the kopf resource the handlers watch, and the ``involvedObject`` of its events.
A new kind adds an entry to :data:`KINDS`.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import BaseModel

from .access.kv_models import CONDITION_TYPES as KV_CONDITIONS
from .access.kv_models import KVSecretStatus, VaultKVSecretSpec
from .access.policy_models import CONDITION_TYPES as POLICY_CONDITIONS
from .access.policy_models import PolicyStatus, VaultClusterPolicySpec, VaultPolicySpec
from .access.role_models import CONDITION_TYPES as ROLE_CONDITIONS
from .access.role_models import RoleStatus, VaultClusterRoleSpec, VaultRoleSpec
from .conditions import StatusModel
from .events import ObjectRef
from .models import VaultConnectionSpec
from .status import VaultConnectionStatus

GROUP, VERSION = "vault.platform.io", "v1alpha1"


@dataclasses.dataclass(frozen=True)
class PrinterColumn:
    """A column of ``kubectl get`` (``additionalPrinterColumns``)."""

    name: str
    type: Literal["string", "boolean", "integer", "number", "date"]
    json_path: str


@dataclasses.dataclass(frozen=True)
class KindDefinition:
    kind: str
    plural: str
    scope: Literal["Cluster", "Namespaced"]
    spec_model: type[BaseModel]
    status_model: type[StatusModel]
    printer_columns: tuple[PrinterColumn, ...] = ()
    short_names: tuple[str, ...] = ()
    #: (condition type, what True means), for the API reference.
    condition_types: tuple[tuple[str, str], ...] = ()
    group: str = GROUP
    version: str = VERSION

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"

    def path(self, name: str, namespace: str | None = None) -> str:
        """The object's API path (a namespaced kind's in ``namespace``)."""
        where = f"/namespaces/{namespace}" if self.scope == "Namespaced" and namespace else ""
        return f"/apis/{self.group}/{self.version}{where}/{self.plural}/{name}"

    def ref(self, name: str, namespace: str | None = None, uid: str | None = None) -> ObjectRef:
        """An object of this kind, as events name it."""
        return ObjectRef(self.api_version, self.kind, name, namespace if self.scope == "Namespaced" else None, uid)


VAULT_CONNECTION = KindDefinition(
    kind="VaultConnection",
    plural="vaultconnections",
    scope="Cluster",
    spec_model=VaultConnectionSpec,
    status_model=VaultConnectionStatus,
    printer_columns=(
        PrinterColumn("Address", "string", ".spec.address"),
        PrinterColumn("Phase", "string", ".status.phase"),
        PrinterColumn("Healthy", "boolean", ".status.healthy"),
        PrinterColumn("Version", "string", ".status.vaultVersion"),
        PrinterColumn("Age", "date", ".metadata.creationTimestamp"),
    ),
    condition_types=(
        ("Ready", "connected and logged in"),
        ("Authenticated", "holds a token Vault accepted"),
        ("Bootstrapped", "with spec.auth.bootstrap only: the kubernetes login it sets up works"),
    ),
)

#: The replaced operator's columns for both policy kinds.
_POLICY_COLUMNS = (
    PrinterColumn("Vault Name", "string", ".status.vaultName"),
    PrinterColumn("Phase", "string", ".status.phase"),
    PrinterColumn("Rules", "integer", ".status.rulesCount"),
    PrinterColumn("Age", "date", ".metadata.creationTimestamp"),
)

VAULT_POLICY = KindDefinition(
    kind="VaultPolicy",
    plural="vaultpolicies",
    scope="Namespaced",
    spec_model=VaultPolicySpec,
    status_model=PolicyStatus,
    printer_columns=_POLICY_COLUMNS,
    short_names=("vp",),
    condition_types=POLICY_CONDITIONS,
)

VAULT_CLUSTER_POLICY = KindDefinition(
    kind="VaultClusterPolicy",
    plural="vaultclusterpolicies",
    scope="Cluster",
    spec_model=VaultClusterPolicySpec,
    status_model=PolicyStatus,
    printer_columns=_POLICY_COLUMNS,
    short_names=("vcp",),
    condition_types=POLICY_CONDITIONS,
)

#: The replaced operator's columns for both role kinds.
_ROLE_COLUMNS = (
    PrinterColumn("Vault Role", "string", ".status.vaultRoleName"),
    PrinterColumn("Phase", "string", ".status.phase"),
    PrinterColumn("Policies", "string", ".status.resolvedPolicies"),
    PrinterColumn("Age", "date", ".metadata.creationTimestamp"),
)

VAULT_ROLE = KindDefinition(
    kind="VaultRole",
    plural="vaultroles",
    scope="Namespaced",
    spec_model=VaultRoleSpec,
    status_model=RoleStatus,
    printer_columns=_ROLE_COLUMNS,
    short_names=("vr",),
    condition_types=ROLE_CONDITIONS,
)

VAULT_CLUSTER_ROLE = KindDefinition(
    kind="VaultClusterRole",
    plural="vaultclusterroles",
    scope="Cluster",
    spec_model=VaultClusterRoleSpec,
    status_model=RoleStatus,
    printer_columns=_ROLE_COLUMNS,
    short_names=("vcr",),
    condition_types=ROLE_CONDITIONS,
)

VAULT_KV_SECRET = KindDefinition(
    kind="VaultKVSecret",
    plural="vaultkvsecrets",
    scope="Namespaced",
    spec_model=VaultKVSecretSpec,
    status_model=KVSecretStatus,
    printer_columns=(  # the replaced operator's
        PrinterColumn("Path", "string", ".status.vaultPath"),
        PrinterColumn("Phase", "string", ".status.phase"),
        PrinterColumn("Seeded", "boolean", ".status.seeded"),
        PrinterColumn("Age", "date", ".metadata.creationTimestamp"),
    ),
    short_names=("vks",),
    condition_types=KV_CONDITIONS,
)

#: Every kind the operator serves; ``vault-access-operator crds`` prints a CRD for each.
KINDS: tuple[KindDefinition, ...] = (VAULT_CONNECTION, VAULT_POLICY, VAULT_CLUSTER_POLICY, VAULT_ROLE,
                                     VAULT_CLUSTER_ROLE, VAULT_KV_SECRET)
