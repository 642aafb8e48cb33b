"""Where the JWT comes from: a service-account token, a Secret, or Google's metadata server.

A new token is obtained for every login; nothing is cached, so a rotated Secret or a
refreshed identity is picked up at the next login.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from vault_access_operator.plugin import AuthContext, CredentialsError, SecretKeySelector

Kind = Literal["serviceAccount", "secret", "google"]


@dataclasses.dataclass(frozen=True)
class ObtainedToken:
    """A JWT and where it came from (``origin`` goes into messages; the token never does)."""

    token: str = dataclasses.field(repr=False)
    kind: Kind
    origin: str
    details: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def minted(self) -> bool:
        """True when the token was made to our spec (so a mismatch is a spec problem)."""
        return self.kind != "secret"


async def from_service_account(ctx: AuthContext, audiences: Sequence[str], seconds: int) -> ObtainedToken:
    # Upstream logs in as the operator's own service account; so do we.
    namespace, name = ctx.operator_namespace, ctx.operator_service_account
    sa_token = await ctx.request_service_account_token(namespace, name, list(audiences), seconds)
    ctx.remember_secret(sa_token.token)
    origin = f"service account {namespace}/{name} ({sa_token.source})"
    if sa_token.source != "TokenRequest":
        origin += " (TokenRequest was forbidden, so the mounted token was used)"
    details = {"serviceAccount": f"{namespace}/{name}", "tokenSource": sa_token.source}
    return ObtainedToken(sa_token.token, "serviceAccount", origin, details)


async def from_secret(ctx: AuthContext, ref: SecretKeySelector) -> ObtainedToken:
    namespace = ref.namespace or ctx.operator_namespace
    where = f"key {ref.key!r} of Secret {namespace}/{ref.name}"
    value = await ctx.read_secret(namespace, ref.name, ref.key)
    # Why strip: `echo $JWT | kubectl create secret` leaves a newline Vault would refuse.
    token = value.strip()
    ctx.remember_secret(token)
    if not token:
        raise CredentialsError(f"{where} (jwtSecretRef) is empty: store the JWT there")
    return ObtainedToken(token, "secret", where, {"tokenSource": f"Secret {namespace}/{ref.name}[{ref.key}]"})


async def from_google(ctx: AuthContext, audience: str) -> ObtainedToken:
    from .gcp import fetch_identity_token  # google-auth is imported only by connections that use it

    token = await fetch_identity_token(audience)
    ctx.remember_secret(token)
    return ObtainedToken(token, "google", "Google's metadata server", {"tokenSource": "google"})
