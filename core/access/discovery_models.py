"""Status blocks a VaultConnection shows for the access kinds: discovery results and its dependants.

Kept on the connection's Observation (core/status.py) so that every status write of the connection carries
them; the discovery runner and the dependants counter set them and ask the connection's reporter to publish.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..conditions import StatusModel

#: Entries listed on status; the counts are always complete.
MAX_LISTED = 100
ResourceType = Literal["policy", "role"]


class DiscoveredResource(StatusModel):
    """A Vault policy or role that no object of this operator manages."""

    type: ResourceType
    name: str
    discovered_at: str = Field(description="When a scan first saw it unmanaged.")
    # The replaced operator's name: to_camel would make it suggestedCrName.
    suggested_cr_name: str = Field(alias="suggestedCRName", description="The name an object adopting it would get.")
    adoption_status: Literal["discovered", "pending", "adopted", "failed"] = Field(
        default="discovered", description="discovered; pending: an object awaits review (discovery-pending); "
        "failed: auto-creating that object failed.")


class OrphanedResource(StatusModel):
    """A Vault object whose name says this operator identity wrote it for an object that no longer exists."""

    type: ResourceType
    name: str
    k8s_resource: str = Field(alias="k8sResource",
                              description="<namespace>/<name> (or <name>) of the object that is gone.")


class DiscoveryStatus(StatusModel):
    """status.discoveryStatus: the last scan (spec.discovery)."""

    last_scan_at: str | None = None
    message: str | None = Field(default=None, description="Why the last scan failed, if it did.")
    unmanaged_policies: int = 0
    unmanaged_roles: int = 0
    discovered_resources: list[DiscoveredResource] = Field(
        default_factory=list, description=f"The first {MAX_LISTED} unmanaged policies and roles, by name.")
    orphaned_policies: int = 0
    orphaned_roles: int = 0
    orphaned_resources: list[OrphanedResource] = Field(
        default_factory=list, description=f"The first {MAX_LISTED} orphans: reported, never deleted.")


class DependantsStatus(StatusModel):
    """status.dependants: objects that use this connection (counted by the access controller)."""

    policies: int = 0
    roles: int = 0
    kv_secrets: int = 0
    message: str | None = Field(default=None, description="Why a deletion of the connection waits, if it does.")

    @property
    def total(self) -> int:
        return self.policies + self.roles + self.kv_secrets

    def describe(self) -> str:
        parts = [(self.policies, "policy", "policies"), (self.roles, "role", "roles"),
                 (self.kv_secrets, "KV secret", "KV secrets")]
        return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)
