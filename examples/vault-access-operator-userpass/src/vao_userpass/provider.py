"""The userpass provider: reads the password, builds ``PUT auth/<mountPath>/login/<username> {password}``.

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
    RoleName,
    SecretKeySelector,
    SpecModel,
)


class UserpassAuthConfig(SpecModel):
    """Fields of ``spec.auth.userpass``."""

    # Vault's user names follow its role-name rules; the name goes into the login URL, so it is checked.
    username: RoleName = Field(description="The Vault user to log in as (auth/<mountPath>/users/<username>).")
    password_secret_ref: SecretKeySelector = Field(
        description="The Secret key holding the user's password. Namespace defaults to the operator's."
    )
    mount_path: MountPath = Field(default="userpass", description="The Vault auth mount of the userpass method.")


class UserpassAuthProvider(AuthProvider[UserpassAuthConfig]):
    key = "userpass"
    config_model = UserpassAuthConfig
    login_request_timeout = 30.0  # one Secret read; anything slower is a hung API server

    def mount(self, config: UserpassAuthConfig) -> str:
        return config.mount_path.strip("/")

    def secret_ref(self, config: UserpassAuthConfig, ctx: AuthContext) -> tuple[str, str, str]:
        ref = config.password_secret_ref
        return ref.namespace or ctx.operator_namespace, ref.name, ref.key

    async def login_request(self, config: UserpassAuthConfig, ctx: AuthContext) -> LoginRequest:
        namespace, name, key = self.secret_ref(config, ctx)
        raw = await ctx.read_secret(namespace, name, key)  # SecretNotFoundError: the core retries
        password = raw.rstrip("\r\n")  # `kubectl create secret --from-file` keeps a trailing newline
        ctx.remember_secret(password)  # so the redacting logger masks it wherever it appears
        if not password:
            raise CredentialsError(
                f"key {key!r} of Secret {namespace}/{name} (spec.auth.userpass.passwordSecretRef) is empty: "
                "store the user's password there"
            )
        where = f"{namespace}/{name} (key {key})"
        return LoginRequest(
            mount=self.mount(config),
            path=f"login/{config.username}",
            body={"password": password},
            details={"username": config.username, "passwordSecretRef": where},
            private={"passwordSecretRef": where},
        )

    def explain_login_error(self, config: UserpassAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        where = f"userpass login at auth/{request.mount} as {config.username!r}"
        ref = request.private.get("passwordSecretRef", "passwordSecretRef")
        text = errors.lower()
        if "invalid username or password" in text:
            return (
                f"Vault denied {where}: {errors}. Check that the user exists "
                f"(vault read auth/{request.mount}/users/{config.username}) and that the password in {ref} is "
                f"current (vault write auth/{request.mount}/users/{config.username}/password password=...)"
            )
        if status == 403 or "permission denied" in text or "no handler" in text:
            return (
                f"Vault denied {where}: {errors}. Check that userpass auth is enabled at {request.mount!r} "
                "(vault auth list; set spec.auth.userpass.mountPath) and that the user's token_bound_cidrs allow "
                "the operator's address"
            )
        return f"Vault denied {where}: {errors}"
