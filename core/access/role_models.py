"""pydantic models of VaultRole and VaultClusterRole: the source of their CRDs and API docs.

Field names, enums and defaults are the replaced operator's v1alpha1 API, so its manifests apply unchanged.
A role writer's own block (``jwt``, ``aws``...) is an extra field of the spec: the installed writers add it to
the CRD (core/crd_roles.py) and validate it with their own model when a pass needs it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, model_validator

from ..conditions import Condition, StatusModel
from ..durations import MAX_TEXT, VAULT_TTL_PATTERN, vault_ttl_seconds
from ..models import Namespace, ObjectName, SpecModel
from .policy_models import ConflictPolicy, DeletionPolicy, DriftMode, PolicyPhase

MAX_ACCOUNTS = 256
MAX_POLICIES = 64


def _vault_ttl(text: str) -> str:
    vault_ttl_seconds(text)  # raises ValueError naming what is wrong
    return text


#: A TTL in Vault's own grammar: 3600, 90s, 30m, 1h30m, 2d.
VaultTTL = Annotated[str, AfterValidator(_vault_ttl),
                     WithJsonSchema({"type": "string", "maxLength": MAX_TEXT, "pattern": VAULT_TTL_PATTERN})]


class PolicyReference(SpecModel):
    """A VaultPolicy or VaultClusterPolicy whose Vault policy the role grants (by its recorded status.vaultName)."""

    kind: Literal["VaultPolicy", "VaultClusterPolicy"] = Field(description="VaultPolicy or VaultClusterPolicy.")
    name: ObjectName = Field(description="The object's name.")
    namespace: Namespace | None = Field(
        default=None, description="A VaultPolicy's namespace. VaultRole: its own namespace (the default; another "
        "one is refused). VaultClusterRole: required for a VaultPolicy.")


class ServiceAccountReference(SpecModel):
    """A service account in a namespace (VaultClusterRole)."""

    name: ObjectName = Field(description="The service account's name.")
    namespace: Namespace = Field(description="Its namespace.")


class _RoleSpecBase(SpecModel):
    # Extra fields are the installed role writers' blocks (jwt, aws...): each writer validates its own.
    model_config = ConfigDict(extra="allow")

    connection_ref: ObjectName = Field(description="The VaultConnection whose token writes the role; it also "
                                       "decides the auth mount and the backend family (spec.defaults on it).")
    conflict_policy: ConflictPolicy = Field(
        default="Fail", description="A role already in Vault that is not ours: Fail reports a Conflict; Adopt takes "
        "it over (never one owned by another operator identity or object).")
    policies: list[PolicyReference] = Field(min_length=1, max_length=MAX_POLICIES,
                                            description="The policies the role grants, in this order.")
    token_ttl: VaultTTL | None = Field(
        default=None, alias="tokenTTL", description="token_ttl of the role, in Vault's grammar (3600, 30m, 1h, 2d). "
        "Left out: reset to the mount's default.")
    token_max_ttl: VaultTTL | None = Field(
        default=None, alias="tokenMaxTTL", description="token_max_ttl of the role (Vault's grammar). Left out: reset.")
    deletion_policy: DeletionPolicy = Field(
        default="Delete", description="On deletion: Delete removes the Vault role (only if ours); Retain keeps it.")
    drift_mode: DriftMode | None = Field(
        default=None, description="A role changed or deleted in Vault by hand: ignore, detect (report Drifted) or "
        "correct (rewrite it). Unset: the connection's spec.defaults.driftMode, else detect.")

    @model_validator(mode="after")
    def _ttl_order(self) -> _RoleSpecBase:
        if self.token_ttl and self.token_max_ttl:
            ttl, cap = vault_ttl_seconds(self.token_ttl), vault_ttl_seconds(self.token_max_ttl)
            if cap and ttl > cap:
                raise ValueError(f"tokenTTL {self.token_ttl} is longer than tokenMaxTTL {self.token_max_ttl}: "
                                 "Vault refuses such a role; shorten tokenTTL or raise tokenMaxTTL")
        return self

    @property
    def writer_blocks(self) -> dict[str, object]:
        """The blocks this spec carries for role writers (``jwt``, ``aws``...), by their spec key."""
        return dict(self.model_extra or {})


class VaultRoleSpec(_RoleSpecBase):
    """A Vault auth role owned by a namespace: who logs in, with which policies."""

    service_accounts: list[ObjectName] | None = Field(
        default=None, max_length=MAX_ACCOUNTS, description="Service account names in the role's own namespace.")


class VaultClusterRoleSpec(_RoleSpecBase):
    """A cluster-wide Vault auth role: service accounts of any namespace, with which policies."""

    service_accounts: list[ServiceAccountReference] | None = Field(
        default=None, max_length=MAX_ACCOUNTS, description="Service accounts, each with its namespace.")


class PolicyBinding(StatusModel):
    """How one policy reference resolved."""

    # The replaced operator's name: to_camel would make it k8SRef.
    k8s_ref: str = Field(alias="k8sRef", description="VaultPolicy/<namespace>/<name> or VaultClusterPolicy/<name>.")
    vault_policy_path: str = Field(default="", description="sys/policies/acl/<vaultName>, empty when unresolved.")
    resolved: bool = False


class RoleVaultBinding(StatusModel):
    """Where the role lives in Vault."""

    vault_path: str = Field(description="auth/<mount>/role/<name>.")
    vault_resource_name: str = Field(description="The role's name in Vault.")
    auth_mount: str = Field(description="The auth mount, without auth/.")
    family: str | None = Field(default=None, description="The backend family whose writer wrote it.")


class RoleStatus(StatusModel):
    """Observed state of a VaultRole or VaultClusterRole."""

    phase: PolicyPhase | None = None
    vault_role_name: str | None = Field(default=None, description="The role's name in Vault.")
    bound_service_accounts: list[str] | None = Field(default=None, description="<namespace>/<name> of each "
                                                     "account bound.")
    unlisted_service_accounts: list[str] | None = Field(
        default=None, description="Accounts the Vault role also admits though the spec does not list them "
        "(a kubernetes role binds every listed name in every listed namespace); see UnlistedAccountsAdmitted.")
    resolved_policies: list[str] | None = Field(default=None, description="The Vault policy names granted.")
    policy_bindings: list[PolicyBinding] | None = Field(default=None, description="Each policy reference.")
    binding: RoleVaultBinding | None = None
    last_synced_at: str | None = Field(default=None, description="When the role was last written and read back.")
    last_applied_hash: str | None = Field(
        default=None, description="SHA-256 of the payload last written; equal hashes mean no write.")
    effective_drift_mode: DriftMode | None = Field(default=None, description="The drift mode in force.")
    message: str | None = Field(default=None, description="What went wrong or what is awaited, if anything.")
    conditions: list[Condition] = Field(default_factory=list)


CONDITION_TYPES = (
    ("Ready", "the role in Vault matches the spec and every policy reference resolved"),
    ("Synced", "the last sync attempt succeeded"),
    ("ConnectionReady", "the VaultConnection is Active"),
    ("PoliciesResolved", "every policy reference names a policy synced to Vault"),
    ("Drifted", "Vault's copy differs from the spec"),
    ("DryRun", "the dry-run annotation kept the operator from writing"),
    ("UnlistedAccountsAdmitted", "the Vault role admits service accounts the spec does not list"),
)
