"""The gce login's JWT: the metadata server's instance identity token (``format=full``).

One request through google-auth's transport, to the host google-auth itself uses (GCE_METADATA_HOST).
Why not google-auth's IDTokenCredentials: it retries an unreachable server five times with backoff
(about 15 s a login); the core already retries a failed login with its own backoff.
Blocking: the provider runs it in a worker thread.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import google.auth.exceptions
import jwt as pyjwt

from vault_access_operator.plugin import CredentialsError, CredentialSourceUnreachableError

from .endpoints import Endpoints
from .transport import TimedRequest, one_line

FLAVOR = {"Metadata-Flavor": "Google"}
TIMEOUT_SECONDS = 3.0
_MAX_TOKEN = 16 * 1024  # an identity token is about 1 KiB


@dataclasses.dataclass(frozen=True)
class IdentityToken:
    token: str = dataclasses.field(repr=False)
    claims: dict[str, Any] = dataclasses.field(repr=False)

    def details(self) -> dict[str, str]:
        """What the token says about the instance, for status (no signature, no token)."""
        compute = (self.claims.get("google") or {}).get("compute_engine") or {}
        shown = {
            "serviceAccount": self.claims.get("email"),
            "project": compute.get("project_id"),
            "zone": compute.get("zone"),
            "instance": compute.get("instance_name"),
        }
        return {key: str(value) for key, value in shown.items() if isinstance(value, str | int) and value != ""}


def fetch_identity_token(endpoints: Endpoints, account: str, audience: str) -> IdentityToken:
    path = f"instance/service-accounts/{account}/identity"
    url = endpoints.metadata_url(path) + "?" + urlencode({"audience": audience, "format": "full"})
    where = f"the metadata server at {endpoints.metadata_host}"
    request = TimedRequest()
    try:
        response = request(url=url, method="GET", headers=FLAVOR, timeout=TIMEOUT_SECONDS)
    except google.auth.exceptions.TransportError as error:
        raise CredentialSourceUnreachableError(
            f"cannot reach {where} for the gce identity token ({type(error.__cause__ or error).__name__}): authType "
            "gce needs a GCE VM or "
            "GKE node whose metadata server the operator can reach (on GKE with Workload Identity use authType iam)"
        ) from None
    finally:
        request.close()
    body = response.data.decode(errors="replace") if isinstance(response.data, bytes) else str(response.data)
    if response.status == 404:
        raise CredentialsError(
            f"{where} has no service account {account!r} for an identity token (HTTP 404): attach a service account "
            "to the instance, or fix spec.auth.gcp.serviceAccountEmail"
        )
    if response.status != 200:
        raise CredentialsError(f"{where} refused the gce identity token (HTTP {response.status}: "
                               f"{one_line(ValueError(body), 200)})")
    token = body.strip()
    try:
        if len(token) > _MAX_TOKEN:
            raise ValueError("too long")
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except (ValueError, pyjwt.PyJWTError):
        # Never quote what came back: it may be a token.
        raise CredentialsError(
            f"{where} returned an identity token that is not a JWT: check GCE_METADATA_HOST"
        ) from None
    return IdentityToken(token, claims)
