"""pydantic models of the VaultConnection spec: the source of the CRD and the API docs.

Field names keep the replaced operator's v1alpha1 API (camelCase aliases), so existing
YAML validates unchanged. Models are strict: a wrong type is an error, never coerced.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .durations import Duration, at_least
from .fields import (
    MAX_AUDIENCES,
    Address,
    Audience,
    MountPath,
    Namespace,
    ObjectName,
    RoleName,
    SecretKey,
    ServiceAccountRef,
    Text,
    URLText,
)

__all__ = [
    "Address",
    "Audience",
    "Audiences",
    "Confinement",
    "DiscoverySpec",
    "MountPath",
    "Namespace",
    "ObjectName",
    "RoleName",
    "SecretKey",
    "SecretKeySelector",
    "ServiceAccountRef",
    "SpecModel",
    "TLSConfig",
    "TenancySpec",
    "Text",
    "URLText",
    "VaultConnectionSpec",
]

MIN_HEALTH_CHECK_SECONDS = 1.0
METHOD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")  # a spec.auth key: it is echoed in messages and status
TLS_WITH_HTTP = "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"
#: The one pair of blocks spec.auth may hold: a one-time set-up of Vault's kubernetes auth, then kubernetes logins.
SETUP_BLOCK = "bootstrap"
SETUP_PAIR = (SETUP_BLOCK, "kubernetes")
AUTH_BLOCKS_RULE = (
    "(self.size() == 1 && !has(self.bootstrap)) || (self.size() == 2 && has(self.bootstrap) && has(self.kubernetes))"
)


class SpecModel(BaseModel):
    """Base for spec models: strict, camelCase aliases, unknown fields rejected."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


def _check_audiences(audiences: list[str] | None) -> list[str] | None:
    if audiences is not None and (not audiences or any(not a for a in audiences)):
        raise ValueError("must list at least one non-empty audience, or be left out")
    return audiences


#: Token audiences a plugin requests: left out (the plugin's default) or a non-empty list.
Audiences = Annotated[
    list[Audience] | None, Field(max_length=MAX_AUDIENCES), AfterValidator(_check_audiences)
]


class SecretKeySelector(SpecModel):
    """A key in a Kubernetes Secret."""

    name: ObjectName = Field(description="Name of the Secret (a DNS-1123 subdomain).")
    namespace: Namespace | None = Field(
        default=None,
        description="Namespace of the Secret (a DNS-1123 label). Defaults to the operator's namespace.",
    )
    key: SecretKey = Field(description="Key inside the Secret's data (letters, digits, -, _ and .).")


class TLSConfig(SpecModel):
    """How the operator trusts Vault's TLS certificate."""

    ca_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="A Secret key holding the PEM CA bundle that signed Vault's certificate.",
    )
    skip_verify: bool = Field(
        default=False,
        description="Do not verify Vault's certificate. For testing only.",
    )


MAX_TENANCY_ITEMS = 64
NAMESPACE_GLOB_PATTERN = r"^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$"
#: A literal Vault path prefix: no glob, no ``+``, no template, no ``..`` (checked by tenancy.py too).
PATH_PREFIX_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]*)*$"
#: The replaced operator's Capability enum (no patch, no subscribe).
Capability = Literal["create", "read", "update", "delete", "list", "sudo", "deny"]


class Confinement(enum.StrEnum):
    """How far a namespaced object's Vault paths may reach."""

    NONE = "none"  # as the replaced operator: any path (its samples still apply)
    NAMESPACE = "namespace"  # only paths under the object's own namespace


NamespaceGlob = Annotated[str, Field(min_length=1, max_length=63, pattern=NAMESPACE_GLOB_PATTERN)]
PathPrefix = Annotated[str, Field(min_length=1, max_length=256, pattern=PATH_PREFIX_PATTERN)]
#: A VaultKVSecret path glob: path characters, * and ? globs, and {{namespace}}.
KVPathGlob = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_.@*?/{}-]+$")]


class TenancySpec(SpecModel):
    """spec.tenancy: what namespaced objects (VaultPolicy...) that use this connection may do. Cluster-scoped objects
    (VaultClusterPolicy) belong to the platform team and are not confined."""

    allowed_namespaces: list[NamespaceGlob] | None = Field(
        default=None,
        max_length=MAX_TENANCY_ITEMS,
        description="Namespaces whose objects may use this connection, as globs (team-*). Left out: every "
        "namespace; an empty list: none.",
    )
    confinement: Literal["none", "namespace"] = Field(  # Confinement's values (strict models take no enum)
        default="none",
        description="none (default, as the replaced operator): a namespaced policy may name any path. namespace: "
        "its paths must lie under <mount>/<namespace>/ or, for KV v2, <mount>/data|metadata|delete|undelete|"
        "destroy/<namespace>/. The operator flag --tenancy-confinement namespace forces namespace everywhere.",
    )
    allowed_capabilities: list[Capability] | None = Field(
        default=None,
        max_length=7,
        description="Capabilities a namespaced policy may grant (deny is always allowed). Left out: all; "
        "list them without sudo to refuse sudo.",
    )
    denied_path_prefixes: list[PathPrefix] | None = Field(
        default=None,
        max_length=MAX_TENANCY_ITEMS,
        description="Path prefixes no namespaced policy may reach, such as sys/, auth/, identity/. A rule is refused "
        "when any path it can match (+ and * included) starts with one of them.",
    )
    allowed_cluster_policies: list[NamespaceGlob] | None = Field(
        default=None,
        max_length=MAX_TENANCY_ITEMS,
        description="VaultClusterPolicies a namespaced VaultRole may grant, as name globs (shared-*). Left out: every "
        "one (as the replaced operator); an empty list: none.",
    )
    allow_foreign_identities: bool = Field(
        default=False,
        description="Under confinement namespace, a VaultRole's writer block (jwt claims or subject, ...) may still "
        "bind identities outside the role's namespace. Default false: refused.",
    )

    allowed_kv_paths: list[KVPathGlob] | None = Field(
        default=None,
        alias="allowedKVPaths",
        max_length=MAX_TENANCY_ITEMS,
        description="VaultKVSecret paths a namespace may seed, as globs over the full data path in which "
        "{{namespace}} is the object's namespace (secret/data/apps/{{namespace}}/*; * also matches /). Left out: "
        "any path, or with confinement namespace only <mount>/data/<namespace>/... of any KV v2 mount.",
    )


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

    @property
    def effective_interval(self) -> float:
        """The interval in force: at least 5 minutes."""
        return max(self.interval, MIN_DISCOVERY_SECONDS)
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

    @model_validator(mode="after")
    def _target_with_auto_create(self) -> DiscoverySpec:
        if self.auto_create_crs and not self.target_namespace:
            raise ValueError("spec.discovery.targetNamespace is required when autoCreateCRs is true")
        return self


def _auth_schema(schema: dict[str, Any]) -> None:
    # The auth block is a map so that third-party plugins add keys without a CRD change;
    # "exactly one method" is a CEL rule the API server checks.
    schema.clear()
    schema.update(
        {
            "type": "object",
            "description": (
                "How the operator logs in: exactly one block, named after the auth method "
                "(aws, kubernetes, oidc, jwt, or one a plugin adds); or bootstrap together with kubernetes "
                "(a one-time set-up of Vault's kubernetes auth, then kubernetes logins)."
            ),
            "additionalProperties": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "x-kubernetes-validations": [
                {
                    "rule": AUTH_BLOCKS_RULE,
                    "message": "spec.auth must contain exactly one auth method block, or the pair bootstrap and "
                    "kubernetes",
                }
            ],
        }
    )


class VaultConnectionSpec(SpecModel):
    """Where Vault is, how to trust it, and how the operator logs in."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "!has(self.tls) || self.address.startsWith('https://')", "message": TLS_WITH_HTTP}
            ]
        }
    )

    address: Address = Field(
        description="Vault's URL, such as https://vault.example.com:8200: http(s), a host, an optional port and "
        "path prefix; no user name, password, query or fragment.",
    )
    tls: TLSConfig | None = Field(default=None, description="TLS trust settings.")
    auth: dict[str, dict[str, Any]] = Field(
        description="How the operator logs in: exactly one block named after the method (see spec.auth.* below).",
        json_schema_extra=_auth_schema,
    )
    health_check_interval: Annotated[
        Duration, at_least(MIN_HEALTH_CHECK_SECONDS, "each check is a request to Vault")
    ] = Field(
        default=30.0,
        description="How often the operator checks Vault and its token (one request each time; at least 1s).",
        json_schema_extra={"default": "30s"},
    )
    defaults: ConnectionDefaults | None = Field(
        default=None,
        description="What the access objects (VaultPolicy, VaultRole...) that use this connection inherit.",
    )
    tenancy: TenancySpec | None = Field(
        default=None,
        description="Which namespaces may use this connection and how confined their objects' Vault paths are "
        "(docs/access/policies.md). Left out: every namespace, no confinement, as the replaced operator.",
    )
    discovery: DiscoverySpec | None = Field(
        default=None,
        description="Report Vault policies and roles that no object manages, and orphans (docs/access/"
        "kv-and-discovery.md). Left out: no scans.",
    )

    @field_validator("auth")
    @classmethod
    def _exactly_one_method(cls, auth: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if set(auth) == set(SETUP_PAIR):
            return auth
        if SETUP_BLOCK in auth:
            others = ", ".join(sorted(k for k in auth if k != SETUP_BLOCK)[:8]) or "no other block"
            raise ValueError(
                f"{SETUP_BLOCK} sets up kubernetes auth and must be paired with exactly one kubernetes block "
                f"(found {others}): add spec.auth.kubernetes (the login it sets up) and remove any other method"
            )
        if len(auth) != 1:
            found = ", ".join(sorted(auth)) or "none"
            raise ValueError(f"exactly one auth method block is required under spec.auth (found: {found})")
        if not METHOD_NAME.fullmatch(next(iter(auth))):
            raise ValueError("must be keyed by an auth method name: letters, digits, _ and - (at most 63 characters)")
        return auth

    @model_validator(mode="after")
    def _tls_needs_https(self) -> VaultConnectionSpec:
        if self.tls is not None and self.address.startswith("http://"):
            raise ValueError(TLS_WITH_HTTP)
        return self

    @property
    def auth_method(self) -> str:
        """The method the operator logs in with (kubernetes for the bootstrap pair)."""
        if self.setup_method is not None:
            return SETUP_PAIR[1]
        return next(iter(self.auth))

    @property
    def setup_method(self) -> str | None:
        """The set-up block beside the login method (``bootstrap``), or None."""
        return SETUP_BLOCK if SETUP_BLOCK in self.auth and len(self.auth) == len(SETUP_PAIR) else None

    @property
    def auth_config(self) -> dict[str, Any]:
        return self.auth[self.auth_method]
