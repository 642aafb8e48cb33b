"""Errors that say what to fix, for failures before the login (Google credentials, signJwt).

Texts keep Google's own words (quoted, one line, clipped), and name the account, the Secret and the
endpoint involved. No secret goes in: never a key, an access token or a JWT.
"""

from __future__ import annotations

import json

import google.auth.exceptions

from vault_access_operator.plugin import (
    CredentialsError,
    CredentialSourceUnreachableError,
    Reason,
    VaultAccessError,
    clip,
)

from .endpoints import Endpoints
from .transport import one_line

WORKLOAD_IDENTITY_HINT = (
    "on GKE, enable Workload Identity and annotate the operator's Kubernetes service account with "
    "iam.gke.io/gcp-service-account=<name>@<project>.iam.gserviceaccount.com "
    "(bound with roles/iam.workloadIdentityUser)"
)


def _first(error: BaseException) -> str:
    # google-auth's RefreshError carries (text, response body): the text is the part to show.
    head = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    return one_line(ValueError(head))


def credentials_failed(
    error: Exception, source: str, from_key: bool, endpoints: Endpoints
) -> VaultAccessError:
    """The credentials that call signJwt could not get an access token."""
    if from_key:
        if isinstance(error, google.auth.exceptions.RefreshError):
            return CredentialsError(
                f"Google refused the service-account key in {source} ({_first(error)}): the key or its account was "
                "deleted or disabled: create a new key (gcloud iam service-accounts keys create) and store it there",
                reason=Reason.CREDENTIALS_REJECTED,
            )
        return CredentialSourceUnreachableError(
            f"cannot reach Google's token endpoint at {endpoints.token} to use the key in {source} "
            f"({_first(error)}): the operator needs egress to oauth2.googleapis.com"
        )
    return CredentialsError(
        f"Google refused an access token for the application default credentials ({_first(error)}): "
        f"{WORKLOAD_IDENTITY_HINT}",
        reason=Reason.CREDENTIALS_REJECTED,
    )


def no_account(source: str) -> CredentialsError:
    return CredentialsError(
        f"no Google service account to log in as: the {source} name none: set spec.auth.gcp.serviceAccountEmail"
    )


def google_error(text: str) -> tuple[str, str]:
    """(status, message) of a Google API error body ``{"error": {"status", "message"}}``, else ("", text)."""
    try:
        error = json.loads(text)["error"]
        return str(error.get("status", "")), clip(" ".join(str(error.get("message", "")).split()), 300)
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", clip(" ".join(text.split()), 300)


def sign_refused(status: int, text: str, email: str, signer: str, source: str) -> VaultAccessError:
    """signJwt answered an error: say which account lacks what."""
    code, said = google_error(text)
    quoted = f"HTTP {status}{' ' + code if code else ''}: {said}"
    if status == 403:
        who = "it" if signer == email else signer
        return CredentialsError(
            f"Google refused to sign the JWT for {email} ({quoted}): {who} needs iam.serviceAccounts.signJwt on "
            f"{email}: grant roles/iam.serviceAccountTokenCreator on {email} to {signer}, check that the account "
            "exists and that the IAM Service Account Credentials API (iamcredentials.googleapis.com) is enabled",
            reason=Reason.CREDENTIALS_REJECTED,
        )
    if status == 401:
        return CredentialsError(
            f"the IAM Credentials API did not accept the access token of the {source} ({quoted})",
            reason=Reason.CREDENTIALS_REJECTED,
        )
    if status == 404:
        return CredentialsError(
            f"Google has no service account {email} ({quoted}): fix spec.auth.gcp.serviceAccountEmail",
            reason=Reason.CREDENTIALS_REJECTED,
        )
    if status >= 500 or status == 429:
        return CredentialSourceUnreachableError(f"the IAM Credentials API failed to sign the JWT ({quoted})")
    return CredentialsError(f"Google refused to sign the JWT for {email} ({quoted})",
                            reason=Reason.CREDENTIALS_REJECTED)
