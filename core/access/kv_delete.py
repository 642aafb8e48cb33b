"""Deleting a VaultKVSecret: delete-if-untouched.

The secret goes only when this object seeded it, its custom_metadata still names this operator identity and
this object, and its current version is still the seeded one; otherwise it is kept, with a Warning event that
says why. ``Retain`` and dry-run never delete. A failure (Vault down) keeps the finalizer and retries.
"""

from __future__ import annotations

from ..connection_handle import ConnectionHandle
from ..errors import VaultAccessError
from .kv_sync import KVObject
from .kv_vault import NotKV2Error, locate, read_metadata
from .outcome import DRY_RUN, flag
from .policy_delete import Deletion


async def delete_kv_secret(obj: KVObject, handle: ConnectionHandle | None, identity: str) -> Deletion:
    status, path = obj.status, obj.status.vault_path or obj.spec.path
    if obj.spec.deletion_policy == "Retain":
        return Deletion(True, "Retained", f"{path} kept in Vault (spec.deletionPolicy Retain)")
    if flag(obj.annotations, DRY_RUN) or not status.seeded or status.mount is None:
        return Deletion(True, "Deleted", f"{path} was not seeded by this object: nothing deleted in Vault")
    if handle is None or not handle.active:
        why = handle.not_ready().message if handle else f"VaultConnection {obj.spec.connection_ref} is not served"
        return Deletion(False, "DeleteWaiting", f"{path} not deleted yet: {why}", warning=True)
    try:
        where = locate(path, status.mount)
    except NotKV2Error:  # a status not written by this operator: do not guess what to delete
        return Deletion(True, "Deleted", f"{path} does not lie in the recorded mount: nothing deleted in Vault")
    client = handle.client()
    try:
        live = await read_metadata(client, where)
        if live is None:
            return Deletion(True, "Deleted", f"{path} was already gone from Vault")
        if not live.owned_by(identity, obj.resource):
            owner = live.custom.get("k8s-resource") or "nobody"
            return Deletion(True, "KeptNotOurs", f"{path} kept in Vault: its custom_metadata names {owner}, "
                            f"not {obj.resource} of this operator identity", warning=True)
        seeded = status.seeded_version or live.seeded_version
        if live.current_version != seeded:
            return Deletion(True, "KeptModified", f"{path} kept in Vault: it was written since seeding (version "
                            f"{live.current_version}, seeded {seeded}); delete it by hand if it is no longer needed",
                            warning=True)
        await client.delete(where.metadata_path)  # every version and the metadata
    except VaultAccessError as error:
        return Deletion(False, "DeleteFailed", f"{path} not deleted: {error.message}", warning=True)
    return Deletion(True, "Deleted", f"{path} deleted from Vault (untouched since seeding, version {seeded})")
