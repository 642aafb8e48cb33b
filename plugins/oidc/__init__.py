"""``spec.auth.oidc``: a JWT login on Vault's oidc-type mount (no browser flow).

The JWT is by default a service-account token from the TokenRequest API, requested for the
audience ``vault`` (not ``providerURL``: that is usually the cluster's own issuer, whose audience
would make the token a login to the API server); or a token from a Secret, or a Google identity token. Its claims
are checked against ``providerURL`` (the issuer) before it is sent. See docs/auth/oidc.md.

Note: this package also holds the ``jwt`` plugin (``.jwt``); do not ``import jwt`` (PyJWT)
here, because importing that submodule rebinds the package attribute ``jwt``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from vault_access_operator.plugin import MAX_AUDIENCES, Audience, AuthProvider, MountPath, URLText, hookimpl

from .common import JWTLoginConfig, JWTLoginProvider, reject
from .sources import Kind


class OIDCAuthConfig(JWTLoginConfig):
    """Fields of ``spec.auth.oidc``."""

    auth_path: MountPath = Field(default="oidc", description="The Vault auth mount (path segments, no ..).")
    provider_url: URLText | None = Field(
        default=None,
        alias="providerURL",
        description="The OIDC issuer URL (the token's iss; a trailing slash is ignored). Checked against the "
        'token before login. The default audience is "vault" (with source google: providerURL); never '
        "providerURL for a service-account token, whose issuer's audience is the API server's.",
    )
    use_service_account_token: bool = Field(
        default=True,
        description="Log in with the operator's service-account token. false needs jwtSecretRef.",
    )
    scopes: list[Audience] | None = Field(
        default=None,
        max_length=MAX_AUDIENCES,
        description="Not supported (rejected): scopes belong to the browser flow, not a JWT login."
    )

    issuer_field: ClassVar[str] = "providerURL"

    _no_scopes = reject(
        "scopes",
        "OAuth scopes are requested in the interactive authorization-code flow (a browser redirect), which the "
        "operator does not use: it logs in with a JWT it already holds, where scopes mean nothing. Remove scopes; "
        "limit the Vault token with the role's token_policies instead",
    )

    def default_audiences(self) -> list[str]:
        # A Google identity token is for providerURL; a service-account token never is: the cluster's
        # issuer is the API server's own audience, which would make the token a login to the cluster.
        if self.source == "google" and self.provider_url:
            return [self.provider_url]
        return ["vault"]

    @property
    def expected_issuer_value(self) -> str | None:
        return self.provider_url

    def token_kind(self) -> Kind:
        # Raises only while validating (the model validator calls it), never on a validated config.
        if self.source is None and self.jwt_secret_ref is None and not self.use_service_account_token:
            raise ValueError(
                "useServiceAccountToken is false and jwtSecretRef is not set, so there is no token to log in with: "
                "set jwtSecretRef to the Secret key holding the JWT, or remove useServiceAccountToken: false"
            )
        kind = super().token_kind()
        if kind == "serviceAccount" and not self.use_service_account_token:
            raise ValueError("source is serviceAccount but useServiceAccountToken is false: remove one of them")
        return kind


class OIDCAuthProvider(JWTLoginProvider[OIDCAuthConfig]):
    key = "oidc"
    config_model = OIDCAuthConfig


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [OIDCAuthProvider]
