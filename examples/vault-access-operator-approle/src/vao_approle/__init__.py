"""``spec.auth.appRole``: log in with a Vault AppRole (role ID + secret ID from a Kubernetes Secret).

The entry point ``appRole = "vao_approle"`` (group ``vault_access_operator.auth``) names this
module; the operator calls its ``vao_auth_providers`` hook once at startup.
"""

from __future__ import annotations

from typing import Any

from vault_access_operator.plugin import AuthProvider, hookimpl

from .provider import AppRoleAuthConfig, AppRoleAuthProvider

__all__ = ["AppRoleAuthConfig", "AppRoleAuthProvider", "vao_auth_providers"]


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [AppRoleAuthProvider]
