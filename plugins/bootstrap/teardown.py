"""cleanupAuthMount: on deletion, disable the kubernetes auth mount, only if the bootstrap enabled it."""

from __future__ import annotations

from vault_access_operator.plugin import Reason, SetupVault, VaultAccessError

from .policy import MOUNT_DESCRIPTION


async def disable_own_mount(mount: str, vault: SetupVault, token: str) -> str:
    """cleanupAuthMount: disable ``auth/<mount>`` if the bootstrap enabled it (its description says so)."""
    try:
        mounted = await vault.read(f"sys/auth/{mount}", token=token)
    except VaultAccessError as error:
        if error.reason != Reason.VAULT_REQUEST_REJECTED:  # 400 "No auth engine at <mount>/"
            raise
        mounted = None
    if mounted is None:
        return f"cleanupAuthMount: no auth mount at auth/{mount}: nothing to disable"
    if mounted.get("description") != MOUNT_DESCRIPTION:
        return (f"cleanupAuthMount: auth/{mount} was not enabled by the bootstrap (its description differs): "
                "left enabled")
    await vault.request("DELETE", f"sys/auth/{mount}", token=token)
    return (f"cleanupAuthMount: disabled auth/{mount}, which the bootstrap enabled; every token issued through it "
            "is revoked")
