"""Deleting a VaultPolicy or VaultClusterPolicy: what happens to its Vault policy before the finalizer goes.

Delete removes the Vault policy only when it is ours (its record names this operator identity and this
object, or it has no record and this object wrote it); a 404 is success; a failure keeps the finalizer.
Retain and dry-run leave Vault alone. An object that never wrote anything deletes nothing.
"""

from __future__ import annotations

import dataclasses

from ..borrowed import BorrowedClient
from ..connection_handle import ConnectionHandle
from ..errors import VaultAccessError
from .hcl import read_ownership
from .outcome import DRY_RUN, flag
from .policy_object import PolicyObject, acl_path


@dataclasses.dataclass(frozen=True)
class Deletion:
    done: bool  # the finalizer may go
    reason: str
    message: str
    warning: bool = False


async def delete_policy(obj: PolicyObject, handle: ConnectionHandle | None, identity: str) -> Deletion:
    vault_name = obj.status.vault_name
    if obj.spec.deletion_policy == "Retain":
        return Deletion(True, "Retained", f"Vault policy {vault_name or '(none)'} kept (spec.deletionPolicy Retain)")
    if flag(obj.annotations, DRY_RUN) or vault_name is None or obj.status.last_applied_hash is None:
        return Deletion(True, "Deleted", "nothing was written to Vault by this object; nothing deleted")
    if handle is None or not handle.active:
        why = handle.not_ready().message if handle else f"VaultConnection {obj.spec.connection_ref} does not exist"
        return Deletion(False, "DeleteWaiting", f"Vault policy {vault_name} not deleted yet: {why}", warning=True)
    client = handle.client()
    try:
        live = await client.read(acl_path(vault_name))
        if live is None:
            return Deletion(True, "Deleted", f"Vault policy {vault_name} was already gone")
        owner = read_ownership(str(live.get("policy") or live.get("rules") or ""))
        if owner.managed and (owner.identity != identity or owner.k8s_resource != obj.resource):
            return Deletion(True, "ForeignPolicyNotDeleted", f"Vault policy {vault_name} now belongs to "
                            f"{owner.identity}/{owner.k8s_resource}: left in Vault", warning=True)
        await client.delete(acl_path(vault_name))
    except VaultAccessError as error:
        return Deletion(False, "DeleteFailed", f"Vault policy {vault_name} not deleted: {error.message}", warning=True)
    return Deletion(True, "Deleted", f"Vault policy {vault_name} deleted from Vault")


async def drop_stale_name(client: BorrowedClient, old_name: str, obj: PolicyObject) -> str | None:
    """After a rename (a new --cluster-name), delete the policy under the name recorded before, if it is this
    object's; None when done, else why it stayed (the sync itself succeeded)."""
    try:
        live = await client.read(acl_path(old_name))
        if live is None:
            return None
        owner = read_ownership(str(live.get("policy") or live.get("rules") or ""))
        if owner.managed and (owner.k8s_resource != obj.resource or (owner.k8s_kind or obj.kind) != obj.kind):
            return f"Vault policy {old_name} (the name recorded before) now belongs to {owner.k8s_resource}: left"
        await client.delete(acl_path(old_name))
    except VaultAccessError as error:
        return f"Vault policy {old_name} (the name recorded before) not deleted: {error.message}"
    return None
