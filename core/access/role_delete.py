"""Deleting a VaultRole or VaultClusterRole: what happens to its Vault role before the finalizer goes.

As for policies (policy_delete.py): the role recorded on status is deleted only when it is ours (its record
names this object, or it has none and this object wrote it); a 404 is success; a failure keeps the finalizer.
Retain and dry-run leave Vault alone; an object that never wrote anything deletes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..connection_handle import ConnectionHandle
from ..errors import VaultAccessError
from .outcome import DRY_RUN, flag
from .policy_delete import Deletion
from .role_object import RoleObject

OwnershipOf = Callable[[Mapping[str, Any]], Mapping[str, str] | None]


async def delete_role(obj: RoleObject, handle: ConnectionHandle | None, identity: str,
                      ownership_of: OwnershipOf) -> Deletion:
    """``ownership_of`` reads the record where the role's writer keeps it (its family's, recorded on status)."""
    recorded = obj.status.binding
    if obj.spec.deletion_policy == "Retain":
        where = recorded.vault_path if recorded else "(none)"
        return Deletion(True, "Retained", f"Vault role {where} kept (spec.deletionPolicy Retain)")
    if flag(obj.annotations, DRY_RUN) or recorded is None or obj.status.last_applied_hash is None:
        return Deletion(True, "Deleted", "nothing was written to Vault by this object; nothing deleted")
    path = recorded.vault_path
    if handle is None or not handle.active:
        why = handle.not_ready().message if handle else f"VaultConnection {obj.spec.connection_ref} does not exist"
        return Deletion(False, "DeleteWaiting", f"Vault role {path} not deleted yet: {why}", warning=True)
    client = handle.client()
    try:
        live = await client.read(path)
        if live is None:
            return Deletion(True, "Deleted", f"Vault role {path} was already gone")
        record = ownership_of(live) or {}
        owner = record.get("k8s-resource")
        other = owner != obj.resource or record.get("cluster", identity) != identity
        foreign = bool(record.get("managed-by")) and other
        if foreign:
            return Deletion(True, "ForeignRoleNotDeleted", f"Vault role {path} now belongs to {owner}: left in Vault",
                            warning=True)
        await client.delete(path)
    except VaultAccessError as error:
        return Deletion(False, "DeleteFailed", f"Vault role {path} not deleted: {error.message}", warning=True)
    return Deletion(True, "Deleted", f"Vault role {path} deleted from Vault")
