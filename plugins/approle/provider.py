"""The ``appRole`` provider: reads the secret ID, builds ``PUT auth/<mountPath>/login {role_id, secret_id}``."""

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

from .explain import explain


class AppRoleAuthConfig(SpecModel):
    """Fields of ``spec.auth.appRole`` (the replaced operator's names: ``mountPath``, not ``authPath``)."""

    role_id: Text = Field(
        description="The AppRole's role ID (vault read auth/<mountPath>/role/<role>/role-id). Not a secret."
    )
    secret_id_ref: SecretKeySelector = Field(
        description="The Secret key holding a secret ID of the role, read at every login (rotate it there). "
        "Namespace defaults to the operator's."
    )
    mount_path: MountPath = Field(default="approle", description="The Vault auth mount of the AppRole method.")


class AppRoleAuthProvider(AuthProvider[AppRoleAuthConfig]):
    key = "appRole"
    config_model = AppRoleAuthConfig
    login_request_timeout = 30.0  # one Secret read; anything slower is a hung API server

    def mount(self, config: AppRoleAuthConfig) -> str:
        return config.mount_path.strip("/")

    async def login_request(self, config: AppRoleAuthConfig, ctx: AuthContext) -> LoginRequest:
        ref = config.secret_id_ref
        namespace = ref.namespace or ctx.operator_namespace
        where = f"key {ref.key!r} of Secret {namespace}/{ref.name} (spec.auth.appRole.secretIdRef)"
        raw = await ctx.read_secret(namespace, ref.name, ref.key)  # SecretNotFoundError: retried with backoff
        secret_id = raw.strip()  # `kubectl create secret --from-file` keeps a trailing newline
        ctx.remember_secret(secret_id)
        if not secret_id:
            raise CredentialsError(
                f"{where} is empty: store a secret ID there (vault write -f "
                f"auth/{self.mount(config)}/role/<role>/secret-id)"
            )
        return LoginRequest(
            mount=self.mount(config),
            body={"role_id": config.role_id, "secret_id": secret_id},
            details={"roleId": config.role_id, "secretIdRef": f"{namespace}/{ref.name} (key {ref.key})"},
            private={"secretIdRef": where},
        )

    def explain_login_error(self, config: AppRoleAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        return explain(config.role_id, request.mount, str(request.private.get("secretIdRef", "secretIdRef")), status,
                       errors)
