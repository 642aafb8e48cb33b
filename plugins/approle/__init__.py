"""``spec.auth.appRole``: log in with a Vault AppRole (role ID in the spec, secret ID from a Kubernetes Secret).

The field names are the replaced operator's (``roleId``, ``secretIdRef``, ``mountPath``), so its YAML
applies unchanged. The secret ID is read from its Secret for every login, so a rotated one is used at
the next login without a spec change.
"""

from __future__ import annotations

from typing import Any

from vault_access_operator.plugin import AuthProvider, hookimpl

from .provider import AppRoleAuthConfig, AppRoleAuthProvider

__all__ = ["AppRoleAuthConfig", "AppRoleAuthProvider", "vao_auth_providers"]


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [AppRoleAuthProvider]
