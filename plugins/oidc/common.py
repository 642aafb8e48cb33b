"""What ``spec.auth.oidc`` and ``spec.auth.jwt`` share: the token source fields and the login.

Both send ``{role, jwt}`` to ``auth/<mount>/login`` (a JWT login; there is no browser flow).
They differ only in defaults and in which spec field names the expected issuer.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field, field_validator, model_validator

from vault_access_operator.plugin import (
    Audiences,
    AuthContext,
    AuthProvider,
    ConfigError,
    CredentialsError,
    Duration,
    LoginRequest,
    MountPath,
    PlannedToken,
    Reason,
    RoleName,
    SecretKeySelector,
    SpecModel,
    Text,
)

from .claims import ClaimError, Expectations, audiences_of, check_claims, decode_claims
from .explain import explain
from .sources import Kind, ObtainedToken, from_google, from_secret, from_service_account

MIN_TOKEN_SECONDS = 600  # the TokenRequest API's own minimum expirationSeconds


class JWTLoginConfig(SpecModel):
    """Fields common to ``spec.auth.oidc`` and ``spec.auth.jwt``."""

    role: RoleName = Field(description="The Vault role to log in as (auth/<authPath>/role/<role>).")
    auth_path: MountPath = Field(default="jwt", description="The Vault auth mount (path segments, no ..).")
    audiences: Audiences = Field(
        default=None,
        description="Audiences requested for the token (service account or Google: Google takes exactly one). "
        "With jwtSecretRef, the stored token must carry one of them when set. Must match the role's bound_audiences.",
    )
    token_duration: Duration = Field(
        default=3600.0, description="Lifetime requested for a service-account token (minimum 10m)."
    )
    jwt_secret_ref: SecretKeySelector | None = Field(
        default=None, description="A Secret key holding the JWT to log in with (surrounding whitespace is removed)."
    )
    source: Literal["serviceAccount", "secret", "google"] | None = Field(
        default=None,
        description="Where the JWT comes from: serviceAccount (the operator's, via TokenRequest), secret "
        "(jwtSecretRef) or google (a Google identity token: GKE Workload Identity). Default: secret when "
        "jwtSecretRef is set, else serviceAccount.",
    )
    user_claim: Text | None = Field(
        default=None,
        description="Checked before login: the token must have this claim (name or /JSON/pointer), as the role's "
        "user_claim requires. Set user_claim on the Vault role itself.",
    )
    groups_claim: Text | None = Field(
        default=None,
        description="Checked before login: the token must have this claim, as the role's groups_claim requires.",
    )

    issuer_field: ClassVar[str] = "expectedIssuer"

    def default_audiences(self) -> list[str]:
        return ["vault"]

    @property
    def requested_audiences(self) -> list[str]:
        return list(self.audiences or self.default_audiences())

    @property
    def expected_issuer_value(self) -> str | None:
        return None

    @property
    def expected_audience_value(self) -> str | None:
        return None

    def token_kind(self) -> Kind:
        if self.source is not None:
            return self.source
        return "secret" if self.jwt_secret_ref is not None else "serviceAccount"

    @model_validator(mode="after")
    def _consistent_source(self) -> Any:
        kind = self.token_kind()
        if kind == "secret" and self.jwt_secret_ref is None:
            raise ValueError("source is secret but jwtSecretRef is not set: set jwtSecretRef to the Secret key")
        if kind != "secret" and self.jwt_secret_ref is not None:
            raise ValueError(f"source is {kind} but jwtSecretRef is set too: remove one of them")
        if kind == "serviceAccount" and self.token_duration < MIN_TOKEN_SECONDS:
            raise ValueError("tokenDuration must be at least 10m (the TokenRequest API's minimum)")
        if kind == "google" and len(self.requested_audiences) != 1:
            raise ValueError("source google needs exactly one audience (a Google identity token carries one)")
        wanted = self.expected_audience_value
        if wanted and kind != "secret" and wanted not in self.requested_audiences:
            raise ValueError(
                f"expectedAudience {wanted!r} is not among the audiences requested for the token "
                f"{self.requested_audiences}: add it to audiences, or fix expectedAudience"
            )
        return self


ConfigT = TypeVar("ConfigT", bound=JWTLoginConfig)


def reject(field: str, why: str) -> Any:
    """A before-validator refusing ``field`` whatever its value (kept for the docs and a clear message)."""

    def check(cls: type, value: Any) -> Any:
        if value is not None:
            raise ValueError(f"is not supported: {why}")
        return value

    return field_validator(field, mode="before")(classmethod(check))


class JWTLoginProvider(AuthProvider[ConfigT]):
    """Obtains a fresh JWT, checks its claims, and builds the ``{role, jwt}`` login."""

    def planned_tokens(self, config: ConfigT, ctx: AuthContext) -> list[PlannedToken]:
        if config.token_kind() != "serviceAccount":
            return []
        # Upstream logs in as the operator's own service account; so do we.
        account = (ctx.operator_namespace, ctx.operator_service_account)
        return [PlannedToken(*account, tuple(config.requested_audiences), int(config.token_duration))]

    async def login_request(self, config: ConfigT, ctx: AuthContext) -> LoginRequest:
        obtained = await self._obtain(config, ctx)
        claims = self._preflight(config, obtained, ctx)
        details = dict(obtained.details)
        details.update(
            tokenIssuer=str(claims.get("iss") or ""),
            tokenSubject=str(claims.get("sub") or ""),
            tokenAudiences=", ".join(audiences_of(claims)),
        )
        ignored = self._ignored_fields(config, obtained.kind)
        if ignored:
            details["ignoredFields"] = ignored
        facts = {f: details.get(f, "") for f in ("tokenIssuer", "tokenAudiences", "tokenSource")}
        body = {"role": config.role, "jwt": obtained.token}
        return LoginRequest(self.mount(config), body, details=details, role=config.role, private=facts)

    def mount(self, config: ConfigT) -> str:
        return str(config.auth_path).strip("/")

    async def _obtain(self, config: ConfigT, ctx: AuthContext) -> ObtainedToken:
        kind = config.token_kind()
        if kind == "secret":
            assert config.jwt_secret_ref is not None  # the model validator guarantees it
            return await from_secret(ctx, config.jwt_secret_ref)
        if kind == "google":
            return await from_google(ctx, config.requested_audiences[0])
        return await from_service_account(ctx, config.requested_audiences, int(config.token_duration))

    def expectations(self, config: ConfigT, obtained: ObtainedToken) -> Expectations:
        claims = {f: c for f, c in (("userClaim", config.user_claim), ("groupsClaim", config.groups_claim)) if c}
        if obtained.minted:
            any_audience = config.requested_audiences
            hint = ": the token was not issued for the requested audiences"
            if obtained.kind == "serviceAccount":
                hint += "; grant the operator 'create' on serviceaccounts/token so that TokenRequest can be used"
        else:
            any_audience = config.audiences or []
            hint = ": store a token for one of them in the Secret, or fix audiences"
        return Expectations(
            where=f"spec.auth.{self.key}",
            issuer=config.expected_issuer_value,
            issuer_field=config.issuer_field,
            audience=config.expected_audience_value,
            any_audience=any_audience,
            any_audience_hint=hint,
            required_claims=claims,
        )

    def _preflight(self, config: ConfigT, obtained: ObtainedToken, ctx: AuthContext) -> dict[str, Any]:
        try:
            claims = decode_claims(obtained.token, obtained.origin)
            check_claims(claims, self.expectations(config, obtained), ctx.now(), obtained.origin)
        except ClaimError as error:
            # A token we had minted to the spec contradicting the spec: only a spec edit helps.
            if obtained.minted and error.spec_field:
                raise ConfigError(error.message) from None
            raise CredentialsError(error.message, reason=Reason.CREDENTIALS_REJECTED) from None
        return claims

    def _ignored_fields(self, config: ConfigT, kind: Kind) -> str:
        if kind != "serviceAccount" and "token_duration" in config.model_fields_set:
            return f"tokenDuration (only used for service-account tokens; this token comes from {kind})"
        return ""

    def explain_login_error(self, config: ConfigT, request: LoginRequest, status: int, errors: str) -> str | None:
        return explain(self.key, config.role, config.issuer_field, request, errors)
