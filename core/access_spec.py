"""The sections of a VaultConnection spec that its access objects use: spec.defaults and spec.discovery."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from .durations import Duration
from .fields import MountPath, Namespace
from .spec_model import SpecModel

__all__ = ["ConnectionDefaults", "DiscoverySpec"]


def _auth_path(path: str | None) -> str | None:
    # As the replaced operator: "auth/kubernetes-prod/" names the mount kubernetes-prod.
    if path is None:
        return None
    cleaned = path.removeprefix("auth/").strip("/")
    if not cleaned:
        raise ValueError(f"{path!r} names no auth mount: write the mount, such as kubernetes-prod")
    return cleaned


#: A role writer family (``kubernetes``, ``jwt``, ``aws``, or one a plugin adds).
AuthFamily = Annotated[str, Field(min_length=1, max_length=31, pattern=r"^[a-z][a-z0-9-]{0,30}$")]


class ConnectionDefaults(SpecModel):
    """spec.defaults: the replaced operator's platform-team knobs that access objects inherit."""

    auth_path: Annotated[MountPath | None, AfterValidator(_auth_path)] = Field(
        default=None,
        description="The auth mount VaultRole and VaultClusterRole objects write to (such as kubernetes-prod; an "
        "auth/ prefix and a trailing / are dropped). Unset: the mount the connection logs in at, when a role "
        "writer serves that login method.",
    )
    auth_type: AuthFamily | None = Field(
        default=None,
        description="The backend family of authPath (kubernetes, jwt, aws, or one a plugin adds), when its name "
        "does not say (a mount named kubernetes, jwt... or starting with one of them and - or _). Ignored "
        "without authPath.",
    )
    drift_mode: Literal["ignore", "detect", "correct"] = Field(
        default="detect",
        description="Drift mode of the access objects that set none: ignore, detect (report) or correct (rewrite).",
    )


MIN_DISCOVERY_SECONDS = 300.0  # the replaced operator's OPERATOR_MIN_SCAN_INTERVAL
MAX_DISCOVERY_PATTERNS = 64
#: A glob (``*``, ``?``, ``[...]``) over Vault policy or role names.
NameGlob = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\s]+$")]


def _check_globs(globs: list[str] | None) -> list[str] | None:
    for glob in globs or ():
        if glob.count("[") != glob.count("]"):
            raise ValueError(f"{glob!r} is not a valid glob: every [ needs its ]")
    return globs


NameGlobs = Annotated[list[NameGlob] | None, Field(max_length=MAX_DISCOVERY_PATTERNS), AfterValidator(_check_globs)]


class DiscoverySpec(SpecModel):
    """spec.discovery: report Vault policies and roles nobody manages (docs/access/kv-and-discovery.md)."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [{
        "rule": "!has(self.autoCreateCRs) || !self.autoCreateCRs || has(self.targetNamespace)",
        "message": "spec.discovery.targetNamespace is required when autoCreateCRs is true",
    }]})

    enabled: bool = Field(default=False, description="Scan at the interval.")
    interval: Duration = Field(
        default=3600.0, description="Time between scans; shorter values count as 5m (as the replaced operator's "
        "minimum). Each scan costs one LIST of policies and one of the role mount's roles.",
        json_schema_extra={"default": "1h"})
    policy_patterns: NameGlobs = Field(
        default=None, description="Globs of policy names to report; left out or empty: all.")
    role_patterns: NameGlobs = Field(default=None, description="Globs of role names to report; left out or empty: all.")
    exclude_system_policies: bool = Field(
        default=True, description="Leave out Vault's own policies (root, default, response-wrapping) and "
        "customSystemPolicies.")
    custom_system_policies: list[NameGlob] | None = Field(
        default=None, max_length=MAX_DISCOVERY_PATTERNS,
        description="More policy names to leave out while excludeSystemPolicies is true (the operator's own, say).")
    auto_create_crs: bool = Field(
        default=False, alias="autoCreateCRs",
        description="Create, in targetNamespace, a VaultPolicy per unmanaged policy, with its rules, and a VaultRole "
        "per unmanaged role, with a placeholder service account, both with the annotations adopt and "
        "discovery-pending: nothing is taken over until a human removes discovery-pending.")
    target_namespace: Namespace | None = Field(
        default=None, description="Namespace of the auto-created objects (required with autoCreateCRs); only "
        "objects there may name a Vault policy outside the vao.* scheme (the vault-name annotation).")

    @property
    def effective_interval(self) -> float:
        """The interval in force: at least 5 minutes."""
        return max(self.interval, MIN_DISCOVERY_SECONDS)

    @model_validator(mode="after")
    def _target_with_auto_create(self) -> DiscoverySpec:
        if self.auto_create_crs and not self.target_namespace:
            raise ValueError("spec.discovery.targetNamespace is required when autoCreateCRs is true")
        return self
