"""``spec.auth.userpass``: log in with a Vault userpass user (the password from a Kubernetes Secret).

The entry point ``userpass = "vao_userpass"`` (group ``vault_access_operator.auth``) names this
module; the operator calls its ``vao_auth_providers`` hook once at startup.
"""

from __future__ import annotations

from typing import Any

from vault_access_operator.plugin import AuthProvider, hookimpl

from .provider import UserpassAuthConfig, UserpassAuthProvider

__all__ = ["UserpassAuthConfig", "UserpassAuthProvider", "vao_auth_providers"]


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [UserpassAuthProvider]
