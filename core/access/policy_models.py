"""pydantic models of VaultPolicy and VaultClusterPolicy: the source of their CRDs and API docs.

Field names, enums and defaults are the replaced operator's v1alpha1 API, so its manifests apply unchanged.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..conditions import Condition, StatusModel
from ..models import ObjectName, SpecModel

Capability = Literal["create", "read", "update", "delete", "list", "sudo", "deny"]
ConflictPolicy = Literal["Fail", "Adopt"]
DeletionPolicy = Literal["Delete", "Retain"]
DriftMode = Literal["ignore", "detect", "correct"]
PolicyPhase = Literal["Pending", "Syncing", "Active", "Conflict", "Error", "Deleting"]
#: The replaced operator's rule path pattern (its CRD's), plus a length cap it lacked.
RULE_PATH_PATTERN = r"^[a-zA-Z0-9/_*.{}+-]+$"
MAX_RULE_PATH = 1024
MAX_PARAMETER_VALUE = 1024


def _no_dot_segments(path: str) -> str:
    # The pattern allows `..`, which Vault never matches as a directory; refuse it rather than write a rule that lies.
    if ".." in path.split("/") or "/../" in f"/{path}/":
        raise ValueError(f"rules[].path {path!r} contains a '..' segment: write the path without it")
    return path


#: No control characters: a description is written to Vault as a comment line (the replaced operator's webhook
#: refused them too). Line and paragraph separators are refused by the validator, which names the field.
DESCRIPTION_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def _one_line(text: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):
        raise ValueError("rules[].description must be one line of text without control characters: it is written "
                         "to Vault as a comment above the rule")
    return text


RulePath = Annotated[
    str,
    Field(min_length=1, max_length=MAX_RULE_PATH, pattern=RULE_PATH_PATTERN),
    AfterValidator(_no_dot_segments),
]
ParameterValue = Annotated[str, Field(max_length=MAX_PARAMETER_VALUE)]
Description = Annotated[
    str, Field(max_length=256, json_schema_extra={"pattern": DESCRIPTION_PATTERN}), AfterValidator(_one_line)]


class PolicyParameters(SpecModel):
    """Parameter constraints, rendered as the replaced operator does (values apply to every parameter)."""

    allowed: list[ParameterValue] | None = Field(
        default=None, description='Values allowed for every parameter: allowed_parameters = { "*" = [...] }.')
    denied: list[ParameterValue] | None = Field(
        default=None, description='Values denied for every parameter: denied_parameters = { "*" = [...] }.')
    required: list[ParameterValue] | None = Field(
        default=None, description="Parameter names that must be given: required_parameters = [...].")


class PolicyRule(SpecModel):
    """One `path "..." { capabilities = [...] }` block of the ACL policy."""

    path: RulePath = Field(
        description="Vault path (globs * and + allowed); {{namespace}} and {{name}} are replaced with the "
        "object's namespace and name. Other {{...}} text (Vault ACL templating) is kept.")
    capabilities: list[Capability] = Field(min_length=1, description="Capabilities granted, in this order.")
    description: Description | None = Field(
        default=None, description="For people; written to Vault as a comment line above the rule's path block.")
    parameters: PolicyParameters | None = Field(default=None, description="Parameter constraints.")


class VaultClusterPolicySpec(SpecModel):
    """A cluster-wide Vault ACL policy, written through a VaultConnection."""

    connection_ref: ObjectName = Field(description="Name of the VaultConnection whose token writes the policy.")
    rules: list[PolicyRule] = Field(min_length=1, description="The policy's path rules, in order.")
    conflict_policy: ConflictPolicy = Field(
        default="Fail", description="An existing Vault policy that is not ours: Fail leaves it alone and reports a "
        "Conflict; Adopt takes it over (never one owned by another operator identity).")
    deletion_policy: DeletionPolicy = Field(
        default="Delete", description="On deletion: Delete removes the Vault policy (only if ours); Retain keeps it.")
    drift_mode: DriftMode | None = Field(
        default=None, description="A policy changed in Vault by hand: ignore, detect (report Drifted) or correct "
        "(rewrite it). Unset: the connection's spec.defaults.driftMode, else detect.")


class VaultPolicySpec(VaultClusterPolicySpec):
    """A Vault ACL policy owned by a namespace, written through a VaultConnection."""

    enforce_namespace_boundary: bool | None = Field(
        default=None, description="Every rule path must contain {{namespace}} with no glob before it (the platform "
        "team's tenancy settings on the VaultConnection can require more). Default false.")


class PolicyStatus(StatusModel):
    """Observed state of a VaultPolicy or VaultClusterPolicy."""

    phase: PolicyPhase | None = None
    vault_name: str | None = Field(default=None, description="The policy's name in Vault (sys/policies/acl/<name>).")
    rules_count: int | None = Field(default=None, description="Rules in the policy last written.")
    last_synced_at: str | None = Field(default=None, description="When the policy was last written and read back.")
    last_applied_hash: str | None = Field(
        default=None, description="SHA-256 of the document last written; equal hashes mean no write.")
    effective_drift_mode: DriftMode | None = Field(default=None, description="The drift mode in force.")
    message: str | None = Field(default=None, description="What went wrong or what is awaited, if anything.")
    conditions: list[Condition] = Field(default_factory=list)


CONDITION_TYPES = (
    ("Ready", "the policy in Vault matches the spec"),
    ("Synced", "the last sync attempt succeeded"),
    ("ConnectionReady", "the VaultConnection is Active"),
    ("Drifted", "Vault's copy differs from the spec"),
    ("DryRun", "the dry-run annotation kept the operator from writing"),
)
