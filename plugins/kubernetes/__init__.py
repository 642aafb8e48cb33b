"""``spec.auth.kubernetes``: log in with a service-account token (Vault's kubernetes auth).

The JWT comes from the TokenRequest API for the chosen service account, with the requested
audiences and lifetime, fresh for every login, within the operator's trust policy (its own
account, never the API server's audience, at most 1h by default: docs/security.md). When
TokenRequest is forbidden for the operator's own account and the operator allows it
(--allow-mounted-token), the mounted token file is used instead.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from vault_access_operator.plugin import (
    Audiences,
    AuthContext,
    AuthProvider,
    Duration,
    LoginRequest,
    MountPath,
    PlannedToken,
    RoleName,
    RoleWriter,
    ServiceAccountRef,
    SpecModel,
    URLText,
    at_least,
    hookimpl,
)

from .role import KubernetesRoleWriter

MIN_TOKEN_SECONDS = 600  # the TokenRequest API's own minimum expirationSeconds


class KubernetesAuthConfig(SpecModel):
    """Fields of ``spec.auth.kubernetes``."""

    role: RoleName = Field(description="The Vault role to log in as (auth/<authPath>/role/<role>).")
    auth_path: MountPath = Field(default="kubernetes", description="The Vault auth mount (path segments, no ..).")
    token_duration: Annotated[Duration, at_least(MIN_TOKEN_SECONDS, "the TokenRequest API's minimum")] = Field(
        default=3600.0, description="Lifetime requested for the service-account token (minimum 10m)."
    )
    audiences: Audiences = Field(
        default=None,
        description='Audiences of the service-account token. Default ["vault"]; must match the Vault role\'s '
        "audience when it sets one.",
    )
    service_account: ServiceAccountRef | None = Field(
        default=None,
        description="The service account to log in as, as NAME (in the operator's namespace) or NAMESPACE/NAME. "
        "Default: the operator's own.",
    )
    renewal_strategy: Literal["renew", "reauth"] = Field(
        default="renew", description="renew: renew the Vault token; reauth: log in again instead of renewing."
    )
    kubernetes_host: URLText | None = Field(
        default=None,
        description="Accepted for compatibility with the replaced operator's bootstrap flow, which this operator "
        "does not implement: it has no effect and is reported under status.authStatus.details.",
    )
    token_reviewer_rotation: bool | None = Field(
        default=None,
        description="Accepted for compatibility (bootstrap flow, not implemented): no effect, reported on status.",
    )


class KubernetesAuthProvider(AuthProvider[KubernetesAuthConfig]):
    key = "kubernetes"
    config_model = KubernetesAuthConfig

    def mount(self, config: KubernetesAuthConfig) -> str:
        return config.auth_path.strip("/")

    def service_account(self, config: KubernetesAuthConfig, ctx: AuthContext) -> tuple[str, str]:
        account = config.service_account or ctx.operator_service_account
        namespace, _, name = account.rpartition("/")
        return namespace or ctx.operator_namespace, name

    def planned_tokens(self, config: KubernetesAuthConfig, ctx: AuthContext) -> list[PlannedToken]:
        namespace, name = self.service_account(config, ctx)
        return [PlannedToken(namespace, name, tuple(config.audiences or ["vault"]), int(config.token_duration))]

    async def login_request(self, config: KubernetesAuthConfig, ctx: AuthContext) -> LoginRequest:
        [plan] = self.planned_tokens(config, ctx)
        namespace, name = plan.namespace, plan.name
        token = await ctx.request_service_account_token(namespace, name, list(plan.audiences), plan.seconds)
        details = {"serviceAccount": f"{namespace}/{name}", "tokenSource": token.source}
        ignored = [
            f
            for f, v in (
                ("kubernetesHost", config.kubernetes_host),
                ("tokenReviewerRotation", config.token_reviewer_rotation),
            )
            if v is not None
        ]
        if ignored:
            details["ignoredFields"] = ", ".join(ignored)
        return LoginRequest(
            mount=self.mount(config),
            body={"role": config.role, "jwt": token.token},
            details=details,
            reauth=config.renewal_strategy == "reauth",
            role=config.role,
            private={"serviceAccount": f"{namespace}/{name}"},
        )

    def explain_login_error(
        self, config: KubernetesAuthConfig, request: LoginRequest, status: int, errors: str
    ) -> str | None:
        account = request.private.get("serviceAccount", "?")
        return (
            f"Vault denied login for role {config.role!r} at auth/{request.mount} as service account {account}: "
            f"{errors}. Check that the role exists and that bound_service_account_names/namespaces include "
            "this service account, and that the role's audience (if set) matches spec.auth.kubernetes.audiences"
        )


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [KubernetesAuthProvider]


@hookimpl
def vao_role_writers() -> list[type[RoleWriter[Any]]]:
    return [KubernetesRoleWriter]
