"""spec.tenancy of a VaultConnection: what namespaced access objects that use the connection may do.

Enforced by core/access/tenancy.py (policies and roles) and core/access/kv_tenancy.py (VaultKVSecret).
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import Field

from .spec_model import SpecModel

__all__ = ["Capability", "Confinement", "TenancySpec"]


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
