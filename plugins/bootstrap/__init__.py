"""``spec.auth.bootstrap``: set up Vault's kubernetes auth once with a bootstrap token, then log in with kubernetes.

It sits beside ``spec.auth.kubernetes`` (the only pair ``spec.auth`` accepts). The core logs in with the
kubernetes block first; only when Vault refuses that login does it run :meth:`BootstrapProvider.set_up`:
enable the mount, configure it for this cluster, write the operator's policy and role, test the login,
revoke the bootstrap token (docs/auth/bootstrap.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vault_access_operator.plugin import (
    AuthContext,
    AuthProvider,
    ConfigError,
    LoginRequest,
    SecretKeySelector,
    SetupRun,
    SetupTarget,
    SetupVault,
    SpecModel,
    hookimpl,
)

from .steps import Bootstrap
from .teardown import disable_own_mount


class BootstrapConfig(SpecModel):
    """Fields of ``spec.auth.bootstrap`` (always beside ``spec.auth.kubernetes``)."""

    secret_ref: SecretKeySelector = Field(
        description="A Secret key holding the bootstrap Vault token: it may enable and configure the kubernetes "
        "auth mount, write the operator's policy and role (docs/auth/bootstrap.md lists the rights). Read only "
        "when the kubernetes login is refused, through the operator's trust policy like every Secret.",
    )
    auto_revoke: bool = Field(
        default=True,
        description="Revoke the bootstrap token once the kubernetes login works (default true).",
    )
    cleanup_auth_mount: bool = Field(
        default=False,
        description="When the VaultConnection is deleted, disable the kubernetes auth mount, which revokes every "
        "token issued through it. Only a mount the bootstrap enabled itself (never one it found); the operator's "
        "policy then also grants read, delete and sudo on sys/auth/<authPath>. Default false.",
    )


class BootstrapProvider(AuthProvider[BootstrapConfig]):
    key = "bootstrap"
    config_model = BootstrapConfig
    sets_up = frozenset({"kubernetes"})
    setup_condition = "Bootstrapped"

    def mount(self, config: BootstrapConfig) -> str:
        return "kubernetes"  # never logs in itself: the kubernetes block beside it says where

    async def login_request(self, config: BootstrapConfig, ctx: AuthContext) -> LoginRequest:
        raise ConfigError("spec.auth.bootstrap is not a login method: put spec.auth.kubernetes beside it")

    async def set_up(self, config: BootstrapConfig, target: SetupTarget, run: SetupRun, ctx: AuthContext) -> str:
        return await Bootstrap(config, target, run, ctx).run_all()

    async def tear_down(
        self, config: BootstrapConfig, target: SetupTarget, vault: SetupVault, token: str, ctx: AuthContext
    ) -> str | None:
        if not config.cleanup_auth_mount:
            return None
        return await disable_own_mount(target.mount, vault, token)


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [BootstrapProvider]
