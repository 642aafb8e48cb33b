"""``spec.auth.jwt``: a JWT login on Vault's jwt auth mount.

The JWT is a service-account token from the TokenRequest API (audiences default ["vault"]),
a token from a Secret (``jwtSecretRef``), or a Google identity token (``source: google``).
``expectedIssuer``/``expectedAudience`` are checked against the token before it is sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vault_access_operator.plugin import (
    MAX_AUDIENCES,
    Audience,
    AuthProvider,
    MountPath,
    RoleWriter,
    URLText,
    hookimpl,
)

from .common import JWTLoginConfig, JWTLoginProvider, reject
from .role_writer import JWTRoleWriter


class JWTAuthConfig(JWTLoginConfig):
    """Fields of ``spec.auth.jwt``."""

    auth_path: MountPath = Field(default="jwt", description="The Vault auth mount (path segments, no ..).")
    expected_issuer: URLText | None = Field(
        default=None,
        description="Checked before login: the token's iss must equal this (a trailing slash is ignored). "
        "Vault checks bound_issuer on the mount itself.",
    )
    expected_audience: Audience | None = Field(
        default=None,
        min_length=1,
        description="Checked before login: the token's aud must include this. For a minted token it must be one "
        "of audiences.",
    )
    claims_to_pass: list[Audience] | None = Field(
        default=None,
        max_length=MAX_AUDIENCES,
        description="Not supported (rejected): the Vault role's claim_mappings decide this."
    )

    _no_claims_to_pass = reject(
        "claims_to_pass",
        "a JWT login sends only the role and the token; which claims become token metadata is decided by "
        "Vault, through the role's claim_mappings. Remove claimsToPass and set claim_mappings on the role "
        "(vault write auth/<authPath>/role/<role> claim_mappings=...)",
    )

    @property
    def expected_issuer_value(self) -> str | None:
        return self.expected_issuer

    @property
    def expected_audience_value(self) -> str | None:
        return self.expected_audience


class JWTAuthProvider(JWTLoginProvider[JWTAuthConfig]):
    key = "jwt"
    config_model = JWTAuthConfig


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [JWTAuthProvider]


@hookimpl
def vao_role_writers() -> list[type[RoleWriter[Any]]]:
    # The jwt family covers oidc-type mounts too (one plugin, one writer): registered here only.
    return [JWTRoleWriter]
