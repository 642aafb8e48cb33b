"""What the bootstrap writes to Vault for the operator: its policy, and the mark on a mount it enabled."""

from __future__ import annotations

OPERATOR_POLICY = "vault-access-operator"
#: Marks a mount the bootstrap enabled: cleanupAuthMount disables only such a mount, never one it found.
MOUNT_DESCRIPTION = "kubernetes auth set up by vault-access-operator's bootstrap"
ROLE_TTL = 3600  # seconds, as the replaced operator's role (ttl=1h); the operator renews it


def operator_policy(mount: str, cleanup_auth_mount: bool = False) -> str:
    """The operator's Vault policy: docs/auth/aws.md step 5 for ``mount``, plus its own token's lookup and renewal;
    with ``cleanupAuthMount``, reading and disabling that mount (Vault asks for sudo on sys/auth/<mount>)."""
    cleanup = [f'path "sys/auth/{mount}" {{ capabilities = ["read", "delete", "sudo"] }}'] if cleanup_auth_mount else []
    return "\n".join([
        'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
        'path "sys/policies/acl"   { capabilities = ["list"] }',
        f'path "auth/{mount}/role/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}',
        f'path "auth/{mount}/role"   {{ capabilities = ["list"] }}',
        'path "auth/token/lookup-self" { capabilities = ["read"] }',
        'path "auth/token/renew-self"  { capabilities = ["update"] }',
        'path "auth/token/revoke-self" { capabilities = ["update"] }',
        *cleanup,
        "",
    ])
