"""The iam login's JWT: Google's IAM Credentials ``signJwt`` signs ``{aud, sub, iat, exp}`` for the account.

Credentials that call signJwt come from google-auth: a service-account key from the spec's Secret, or
application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, or the metadata server,
which on GKE with Workload Identity answers for the Kubernetes service account's bound Google account).
Everything here blocks (token endpoint, metadata server, IAM); the provider runs it in a worker thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
import requests
from google.oauth2 import service_account

from vault_access_operator.plugin import CredentialsError, CredentialSourceUnreachableError, clip

from .endpoints import Endpoints
from .keyfile import ServiceAccountKey
from .messages import credentials_failed, no_account, sign_refused
from .transport import TIMEOUT_SECONDS, TimedRequest, one_line

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
_MAX_ANSWER = 64 * 1024


@dataclasses.dataclass(frozen=True)
class SignedJwt:
    jwt: str = dataclasses.field(repr=False)
    key_id: str
    email: str  # the account the JWT is for (sub)
    signer: str  # the account whose credentials called signJwt
    credential_source: str  # where those credentials came from (a Secret, "application default credentials")
    access_token: str = dataclasses.field(repr=False, default="")


class DefaultCredentials:
    """Application default credentials, found once and kept: google-auth refreshes their token when it expires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Held while the kept credentials refresh: logins of several connections share them.
        self.refreshing = threading.Lock()
        self._credentials: google.auth.credentials.Credentials | None = None

    def get(self) -> google.auth.credentials.Credentials:
        with self._lock:
            if self._credentials is None:  # a failure is not kept: the next login looks again
                found, _project = google.auth.default(scopes=[CLOUD_PLATFORM])
                self._credentials = found
            return self._credentials


def sign_jwt(
    key: ServiceAccountKey | None,
    key_origin: str,
    requested_email: str | None,
    claims_for: Callable[[str], dict[str, Any]],
    endpoints: Endpoints,
    adc: DefaultCredentials,
) -> SignedJwt:
    """Sign ``claims_for(email)`` with signJwt. ``requested_email``: spec.serviceAccountEmail."""
    request = TimedRequest()
    try:
        if key is not None:
            credentials, source = _key_credentials(key, key_origin), key_origin
        else:
            credentials, source = _default_credentials(adc), "application default credentials"
        try:
            with contextlib.nullcontext() if key is not None else adc.refreshing:
                if not credentials.valid:
                    credentials.refresh(request)  # type: ignore[no-untyped-call]
                token = str(credentials.token)
        except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError) as error:
            raise credentials_failed(error, source, key is not None, endpoints) from None
        signer = str(getattr(credentials, "service_account_email", "") or "")
        email = requested_email or (key.client_email if key else None) or endpoints.default_email
        if not email:
            email = signer if "@" in signer else ""
        if not email:
            raise no_account(source)
        return _call_sign_jwt(request, token, email, claims_for(email), endpoints, signer or email, source)
    finally:
        request.close()


def _key_credentials(key: ServiceAccountKey, origin: str) -> google.auth.credentials.Credentials:
    try:
        credentials: google.auth.credentials.Credentials = service_account.Credentials.from_service_account_info(
            key.info, scopes=[CLOUD_PLATFORM])  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        # cryptography's texts do not quote the key, but a parse error is not worth the risk.
        raise CredentialsError(
            f"{origin} (credentialsSecretRef) has a private_key that is not a PEM RSA private key: store the key "
            "file there as downloaded"
        ) from None
    return credentials


def _default_credentials(adc: DefaultCredentials) -> google.auth.credentials.Credentials:
    try:
        return adc.get()
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise CredentialsError(
            f"no Google credentials found ({one_line(error)}): on GKE enable Workload Identity and annotate the "
            "operator's Kubernetes service account with iam.gke.io/gcp-service-account=<name>@<project>.iam."
            "gserviceaccount.com; elsewhere set GOOGLE_APPLICATION_CREDENTIALS, or set "
            "spec.auth.gcp.credentialsSecretRef to a Secret key holding a service-account key"
        ) from None


def _call_sign_jwt(request: TimedRequest, token: str, email: str, claims: dict[str, Any], endpoints: Endpoints,
                   signer: str, source: str) -> SignedJwt:
    url = endpoints.sign_jwt_url(email)
    body = json.dumps({"payload": json.dumps(claims)}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        response = request.session.request("POST", url, data=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise CredentialSourceUnreachableError(
            f"cannot reach the IAM Credentials API at {endpoints.iam_credentials} to sign the JWT "
            f"({type(error).__name__}): the operator needs egress to iamcredentials.googleapis.com (or set "
            f"VAO_GCP_IAM_CREDENTIALS_ENDPOINT to a Private Service Connect endpoint)"
        ) from None
    text = response.content[:_MAX_ANSWER].decode(errors="replace")
    if response.status_code != 200:
        raise sign_refused(response.status_code, text, email, signer, source)
    try:
        answer = json.loads(text)
        signed, key_id = str(answer["signedJwt"]), str(answer.get("keyId", ""))
    except (ValueError, KeyError, TypeError):
        raise CredentialsError(
            f"the IAM Credentials API at {endpoints.iam_credentials} answered signJwt without a signedJwt"
        ) from None
    return SignedJwt(signed, clip(key_id, 100), email, signer, source, access_token=token)
