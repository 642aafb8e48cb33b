"""``spec.auth.token``: use an existing Vault token from a Kubernetes Secret (no login).

The token is handed to the core as a :class:`~vault_access_operator.plugin.SuppliedToken`: the core looks
it up (TTL, renewable, policies), checks and renews it like a token from a login, and never revokes it,
since the operator did not create it. When it expires or is revoked the connection is an Error that names
the Secret; a new value there is read at the next retry, without a spec change.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vault_access_operator.plugin import (
    AuthContext,
    AuthProvider,
    CredentialsError,
    SecretKeySelector,
    SpecModel,
    SuppliedToken,
    hookimpl,
)

__all__ = ["TokenAuthConfig", "TokenAuthProvider", "vao_auth_providers"]


class TokenAuthConfig(SpecModel):
    """Fields of ``spec.auth.token`` (the replaced operator's)."""

    secret_ref: SecretKeySelector = Field(
        description="The Secret key holding the Vault token. Read again whenever Vault rejects the token the "
        "operator holds, so replacing it there needs no spec change. Namespace defaults to the operator's."
    )


class TokenAuthProvider(AuthProvider[TokenAuthConfig]):
    key = "token"
    config_model = TokenAuthConfig
    login_request_timeout = 30.0  # one Secret read; anything slower is a hung API server

    def mount(self, config: TokenAuthConfig) -> str:
        return "token"  # the token auth method, which every Vault token belongs to

    async def login_request(self, config: TokenAuthConfig, ctx: AuthContext) -> SuppliedToken:
        ref = config.secret_ref
        namespace = ref.namespace or ctx.operator_namespace
        source = f"key {ref.key!r} of Secret {namespace}/{ref.name} (spec.auth.token.secretRef)"
        token = (await ctx.read_secret(namespace, ref.name, ref.key)).strip()  # SecretNotFoundError: retried
        ctx.remember_secret(token)
        if not token:
            raise CredentialsError(f"{source} is empty: store a Vault token there")
        details = {"secretRef": f"{namespace}/{ref.name} (key {ref.key})"}
        return SuppliedToken(token=token, source=source, details=details)


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [TokenAuthProvider]
