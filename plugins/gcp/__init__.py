"""``spec.auth.gcp``: log in with a Google identity (Vault's gcp auth method, iam or gce).

iam: a JWT ``{aud: vault/<role>, sub: <account>, exp: now+15m}`` signed by Google's IAM Credentials
signJwt API, called with google-auth credentials (Workload Identity / application default credentials,
or a service-account key from a Secret). gce: the metadata server's instance identity token for the
audience ``vault/<role>``. See docs/auth/gcp.md.
"""

from __future__ import annotations

from typing import Any

from vault_access_operator.plugin import AuthProvider, hookimpl

from .claims import audience, iam_claims
from .config import GcpAuthConfig
from .endpoints import Endpoints
from .provider import GcpAuthProvider

__all__ = ["Endpoints", "GcpAuthConfig", "GcpAuthProvider", "audience", "iam_claims", "vao_auth_providers"]


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [GcpAuthProvider]
