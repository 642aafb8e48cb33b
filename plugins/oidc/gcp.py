"""A Google-signed identity token (GKE Workload Identity, or a service-account key file).

google-auth finds the credentials the way Google documents it (AIP-4110):
``GOOGLE_APPLICATION_CREDENTIALS`` (service-account or impersonation JSON) first, then the
metadata server's ``instance/service-accounts/default/identity?audience=...&format=full``,
which on GKE with Workload Identity answers for the pod's Kubernetes service account's
bound Google service account. google-auth is blocking, so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio

from vault_access_operator.plugin import CredentialsError, CredentialSourceUnreachableError

_SETUP_HINT = (
    "on GKE, enable Workload Identity and annotate the operator's Kubernetes service account with "
    "iam.gke.io/gcp-service-account=<name>@<project>.iam.gserviceaccount.com (bound with "
    "roles/iam.workloadIdentityUser); elsewhere set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file"
)


async def fetch_identity_token(audience: str) -> str:
    return await asyncio.to_thread(_fetch, audience)


def _fetch(audience: str) -> str:
    import google.auth.transport.requests
    import google.oauth2.id_token
    from google.auth import exceptions

    request = google.auth.transport.requests.Request()
    try:
        credentials = google.oauth2.id_token.fetch_id_token_credentials(  # type: ignore[no-untyped-call]
            audience, request=request)  # (google-auth leaves it unannotated)
        credentials.refresh(request)
    except exceptions.DefaultCredentialsError as error:
        raise CredentialsError(f"no Google credentials found ({error}): {_SETUP_HINT}") from None
    except exceptions.RefreshError as error:
        # The metadata server answered but would not issue a token (for example 404: the KSA is
        # not bound to a Google service account).
        raise CredentialsError(
            f"Google refused an identity token for audience {audience!r} ({_short(error)}): {_SETUP_HINT}"
        ) from None
    except exceptions.TransportError as error:
        raise CredentialSourceUnreachableError(
            f"cannot reach Google's metadata server or token endpoint for an identity token ({_short(error)})"
        ) from None
    except ValueError:
        # google-auth decodes the token it got; its ValueError texts can quote that token.
        raise CredentialsError("Google's metadata server returned an identity token that is not a JWT") from None
    finally:
        request.session.close()
    token = getattr(credentials, "token", None)
    if not token:
        raise CredentialsError(f"Google returned no identity token for audience {audience!r}: {_SETUP_HINT}")
    return str(token)


def _short(error: Exception) -> str:
    # google-auth texts can carry a whole HTTP response body; one line is enough to act on.
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."
