"""Vault's answer to a failed AppRole login, turned into what to fix.

Matched on Vault's and OpenBao's own texts (builtin/credential/approle/path_login.go); the text is
always quoted too, so nothing Vault said is lost. Vault answers a wrong role ID and a wrong secret ID
alike ("invalid role or secret ID"), on purpose, so the message names both.
"""

from __future__ import annotations


def explain(role_id: str, mount: str, secret_ref: str, status: int, errors: str) -> str:
    said = f'Vault said: "{errors}"'
    lower = errors.lower()
    denied = f"Vault denied the AppRole login at auth/{mount} with role ID {role_id!r} ({said})"
    if "invalid role or secret id" in lower or "invalid secret id" in lower or "invalid role id" in lower:
        return (
            f"{denied}: either spec.auth.appRole.roleId is not the role's role ID (vault read "
            f"auth/{mount}/role/<role>/role-id), or the secret ID in {secret_ref} is not valid for it: expired "
            f"(secret_id_ttl), used up (secret_id_num_uses), destroyed, or of another role. Store a new one "
            f"there (vault write -f auth/{mount}/role/<role>/secret-id); the next login reads it"
        )
    if "cidr" in lower or "source address" in lower:
        return (
            f"{denied}: the operator's address is outside the CIDRs the role or secret ID allows: check "
            f"secret_id_bound_cidrs and token_bound_cidrs of the role (vault read auth/{mount}/role/<role>)"
        )
    if ("failed to find" in lower and "role" in lower) or "role not found" in lower:
        return (
            f"{denied}: the role behind spec.auth.appRole.roleId no longer exists at auth/{mount}: "
            f"recreate it, then set roleId to its role ID and store a new secret ID in {secret_ref}"
        )
    if lower.startswith("missing ") and "role_id" not in lower and "secret_id" not in lower:
        return (
            f"{denied}: auth/{mount} asks for a field AppRole logins do not send, so it is not an AppRole mount: "
            "set spec.auth.appRole.mountPath to the path AppRole auth is enabled at (vault auth list)"
        )
    if status in (403, 404) or "permission denied" in lower or "no handler for route" in lower:
        return (
            f"{denied}: check that AppRole auth is enabled at {mount!r} (vault auth list; the path goes in "
            "spec.auth.appRole.mountPath, default approle)"
        )
    return f"{denied}: check spec.auth.appRole.roleId and the secret ID in {secret_ref}"
