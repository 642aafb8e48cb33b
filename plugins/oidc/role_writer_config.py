"""``spec.jwt`` of a VaultRole / VaultClusterRole: the replaced operator's VaultRoleJWTSpec, field for field.

Same names, enums and defaults (userClaim ``sub``, boundClaimsType ``string``, roleType ``jwt``), so its
manifests validate unchanged. What Vault would refuse, or what would bind nobody, is refused here with a
message naming the field: a subject together with claims (the replaced operator's webhook rule), a glob
type without claims, empty claim names or values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from vault_access_operator.plugin import MAX_AUDIENCES, Audience, SpecModel, Text

#: Claims per role: Vault has no limit; this keeps a role reviewable and its status small.
MAX_CLAIMS = 32
MAX_CLAIM_VALUES = 64
MAX_CLAIM_NAME = 256  # checked by the validator: a CRD schema cannot constrain map keys
ClaimValue = Annotated[str, Field(min_length=1, max_length=1024)]
#: The default audience of a Kubernetes service-account token on most clusters (the replaced operator's default).
KUBERNETES_AUDIENCE = "https://kubernetes.default.svc.cluster.local"


class JWTRoleConfig(SpecModel):
    """Fields of ``spec.jwt``: how a role on a jwt-family mount (jwt or oidc type) binds a token's claims."""

    user_claim: Text = Field(
        default="sub",
        description="The claim whose value names the Vault identity alias (user_claim). Default sub.",
    )
    bound_audiences: list[Audience] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_AUDIENCES,
        description="Audiences a token must carry one of (bound_audiences). Left out: the audiences the "
        "connection logs in with when the role is on the connection's own login mount, else "
        f"{KUBERNETES_AUDIENCE}.",
    )
    bound_subject: Text | None = Field(
        default=None,
        description="The token's sub must equal this (bound_subject). Left out, with no claims: "
        "system:serviceaccount:<namespace>:<name> of the role's single service account. Not with claims.",
    )
    bound_claims: dict[str, ClaimValue] | None = Field(
        default=None,
        max_length=MAX_CLAIMS,
        description="Deprecated: use boundClaimsList. Claim name to one value; merged into bound_claims "
        "(boundClaimsList wins for a name in both).",
    )
    bound_claims_list: dict[str, list[ClaimValue]] | None = Field(
        default=None,
        max_length=MAX_CLAIMS,
        description="Claim name (or JSON pointer such as /kubernetes.io/namespace) to the values it may have; "
        "every name must match one of its values (bound_claims).",
    )
    bound_claims_type: Literal["string", "glob"] = Field(
        default="string",
        description="string: exact values; glob: values may use * (bound_claims_type). Only with claims.",
    )
    role_type: Literal["jwt"] = Field(
        default="jwt",
        description="jwt (role_type): a login with a token the workload holds. The browser flow (oidc) is "
        "not managed by the operator.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> JWTRoleConfig:
        has_claims = bool(self.bound_claims) or bool(self.bound_claims_list)
        if self.bound_subject is not None and has_claims:
            raise ValueError(
                "jwt.boundSubject and jwt.boundClaims/boundClaimsList are both set: Vault would enforce both "
                "together; bind the subject as a claim (boundClaimsList: {sub: [...]}) or remove one of them"
            )
        if self.bound_claims_type == "glob" and not has_claims:
            raise ValueError(
                "jwt.boundClaimsType is glob but no jwt.boundClaims/boundClaimsList are set: glob applies to "
                "claim values only; add the claims or remove boundClaimsType"
            )
        for field, claims in (("boundClaims", self.bound_claims), ("boundClaimsList", self.bound_claims_list)):
            for name in claims or {}:
                if not name or len(name) > MAX_CLAIM_NAME:
                    raise ValueError(f"jwt.{field} has a claim name that is empty or longer than {MAX_CLAIM_NAME}")
        for name, values in (self.bound_claims_list or {}).items():
            if not values:
                raise ValueError(
                    f"jwt.boundClaimsList[{name!r}] lists no values, so no token could match it: list the "
                    "values the claim may have, or remove the claim"
                )
            if len(values) > MAX_CLAIM_VALUES:
                raise ValueError(f"jwt.boundClaimsList[{name!r}] lists more than {MAX_CLAIM_VALUES} values")
        if self.bound_audiences is not None and any(not a for a in self.bound_audiences):
            raise ValueError("jwt.boundAudiences has an empty audience: remove it")
        return self

    def merged_claims(self) -> dict[str, tuple[list[str], str]]:
        """bound_claims as Vault takes it (every value a list), each with the field it came from."""
        merged = {k: ([v], "jwt.boundClaims") for k, v in (self.bound_claims or {}).items()}
        merged.update({k: (list(v), "jwt.boundClaimsList") for k, v in (self.bound_claims_list or {}).items()})
        return merged
