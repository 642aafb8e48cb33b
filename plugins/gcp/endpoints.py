"""Google endpoints the plugin calls: operator settings (environment), never spec fields.

A spec is tenant input; letting it choose where credentials are sent would let a tenant collect the
operator's Google access token. So every address comes from the operator's environment:

- ``VAO_GCP_IAM_CREDENTIALS_ENDPOINT``: the IAM Credentials API (default https://iamcredentials.googleapis.com);
  set it for a Private Service Connect endpoint, or a test double.
- ``VAO_GCP_TOKEN_ENDPOINT``: the OAuth 2.0 token endpoint a service-account key is exchanged at (default
  https://oauth2.googleapis.com/token); it replaces the key file's own token_uri.
- ``GCE_METADATA_HOST`` (or ``GCE_METADATA_ROOT``): the metadata server, as google-auth reads it.
- ``GOOGLE_SERVICE_ACCOUNT_EMAIL``: the service account when neither the spec nor a key names one (the
  replaced operator's setting).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from urllib.parse import quote

IAM_CREDENTIALS_ENV = "VAO_GCP_IAM_CREDENTIALS_ENDPOINT"
TOKEN_ENDPOINT_ENV = "VAO_GCP_TOKEN_ENDPOINT"
EMAIL_ENV = "GOOGLE_SERVICE_ACCOUNT_EMAIL"
DEFAULT_IAM_CREDENTIALS = "https://iamcredentials.googleapis.com"
DEFAULT_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
DEFAULT_METADATA_HOST = "metadata.google.internal"


@dataclasses.dataclass(frozen=True)
class Endpoints:
    iam_credentials: str = DEFAULT_IAM_CREDENTIALS
    token: str = DEFAULT_TOKEN_ENDPOINT
    metadata_host: str = DEFAULT_METADATA_HOST
    default_email: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Endpoints:
        """Read live at every login, as the environment is the operator's configuration."""
        env = os.environ if env is None else env
        return cls(
            iam_credentials=(env.get(IAM_CREDENTIALS_ENV) or DEFAULT_IAM_CREDENTIALS).rstrip("/"),
            token=env.get(TOKEN_ENDPOINT_ENV) or DEFAULT_TOKEN_ENDPOINT,
            metadata_host=env.get("GCE_METADATA_HOST") or env.get("GCE_METADATA_ROOT") or DEFAULT_METADATA_HOST,
            default_email=env.get(EMAIL_ENV) or None,
        )

    def sign_jwt_url(self, email: str) -> str:
        return f"{self.iam_credentials}/v1/projects/-/serviceAccounts/{quote(email, safe='@')}:signJwt"

    def metadata_url(self, path: str) -> str:
        return f"http://{self.metadata_host}/computeMetadata/v1/{quote(path, safe='/@')}"
