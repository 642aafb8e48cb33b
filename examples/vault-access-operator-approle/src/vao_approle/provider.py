"""The AppRole provider: reads the secret ID, builds ``PUT auth/<mountPath>/login {role_id, secret_id}``.

It does no Vault I/O: the operator sends the request, renews the token and reports status.
"""

from __future__ import annotations

from pydantic import Field
from vault_access_operator.plugin import (
    AuthContext,
    AuthProvider,
    CredentialsError,
    LoginRequest,
    MountPath,
    SecretKeySelector,
    SpecModel,
    Text,
)


class AppRoleAuthConfig(SpecModel):
    """Fields of ``spec.auth.appRole`` (the names of the replaced operator's API)."""

    role_id: Text = Field(
        description="The AppRole's role_id (vault read auth/<mountPath>/role/<role>/role-id)."
    )
    secret_id_ref: SecretKeySelector = Field(
        description="The Secret key holding a secret_id for the role. Namespace defaults to the operator's."
    )
    mount_path: MountPath = Field(default="approle", description="The Vault auth mount (not authPath).")


class AppRoleAuthProvider(AuthProvider[AppRoleAuthConfig]):
    key = "appRole"
    config_model = AppRoleAuthConfig
    login_request_timeout = 30.0  # one Secret read; anything slower is a hung API server

    def mount(self, config: AppRoleAuthConfig) -> str:
        return config.mount_path.strip("/")  # the replaced operator's name for the field

    def secret_ref(self, config: AppRoleAuthConfig, ctx: AuthContext) -> tuple[str, str, str]:
        ref = config.secret_id_ref
        return ref.namespace or ctx.operator_namespace, ref.name, ref.key

    async def login_request(self, config: AppRoleAuthConfig, ctx: AuthContext) -> LoginRequest:
        namespace, name, key = self.secret_ref(config, ctx)
        raw = await ctx.read_secret(namespace, name, key)  # SecretNotFoundError: the core retries
        secret_id = raw.strip()  # `kubectl create secret --from-file` keeps a trailing newline
        ctx.remember_secret(secret_id)  # so the redacting logger masks it wherever it appears
        if not secret_id:
            raise CredentialsError(
                f"key {key!r} of Secret {namespace}/{name} (spec.auth.appRole.secretIdRef) is empty: "
                "store a secret ID there (vault write -f auth/<mountPath>/role/<role>/secret-id)"
            )
        return LoginRequest(
            mount=self.mount(config),
            body={"role_id": config.role_id, "secret_id": secret_id},
            details={"roleId": config.role_id, "secretIdRef": f"{namespace}/{name} (key {key})"},
            private={"secretIdRef": f"{namespace}/{name} (key {key})"},
        )

    def explain_login_error(self, config: AppRoleAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        where = f"AppRole login at auth/{request.mount} with role ID {config.role_id!r}"
        ref = request.private.get("secretIdRef", "secretIdRef")
        text = errors.lower()
        if "invalid role or secret id" in text or "secret id is expired" in text:
            return (
                f"Vault denied {where}: {errors}. Check that roleId is the role's role_id "
                f"(vault read auth/{request.mount}/role/<role>/role-id) and that the secret ID in {ref} is current: "
                "not expired, used up (secret_id_num_uses) or destroyed; store a new one "
                f"(vault write -f auth/{request.mount}/role/<role>/secret-id)"
            )
        if status == 403 or "permission denied" in text:
            return (
                f"Vault denied {where}: {errors}. Check that AppRole auth is enabled at {request.mount!r} "
                "(vault auth list; set spec.auth.appRole.mountPath), and the role's secret_id_bound_cidrs / "
                "token_bound_cidrs allow the operator's address"
            )
        return f"Vault denied {where}: {errors}"
