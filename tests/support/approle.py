"""AppRole auth on a real OpenBao, for the appRole plugin's tests and the hostile-input table."""

from __future__ import annotations

from vault_access_operator.testing.openbao import OpenBaoServer


def enable_approle(server: OpenBaoServer, role: str = "operator", mount: str = "approle", **settings: object) -> str:
    """AppRole auth at ``mount`` (enabled once) with ``role`` (policy default, TTL 1h unless ``settings`` say
    otherwise); returns the role's role ID."""
    client = server.client()
    if f"{mount}/" not in client.sys.list_auth_methods()["data"]:
        client.sys.enable_auth_method("approle", path=mount)
    client.auth.approle.create_or_update_approle(
        role, mount_point=mount, **{"token_policies": ["default"], "token_ttl": "1h", **settings})
    role_id: str = client.auth.approle.read_role_id(role, mount_point=mount)["data"]["role_id"]
    return role_id


def new_secret_id(server: OpenBaoServer, role: str = "operator", mount: str = "approle") -> str:
    secret_id: str = server.client().auth.approle.generate_secret_id(role, mount_point=mount)["data"]["secret_id"]
    return secret_id
