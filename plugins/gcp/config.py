"""``spec.auth.gcp``: the replaced operator's fields, unchanged (role, authPath, authType, serviceAccountEmail,
credentialsSecretRef)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from vault_access_operator.plugin import MountPath, RoleName, SecretKeySelector, SpecModel

#: A Google service account email: name@project.iam.gserviceaccount.com (or a default compute account).
SERVICE_ACCOUNT_EMAIL_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._+-]{0,99}@[a-zA-Z0-9][a-zA-Z0-9.-]{0,150}\.[a-zA-Z]{2,}$"


def _check_email(value: str) -> str:
    if not re.fullmatch(SERVICE_ACCOUNT_EMAIL_PATTERN, value):
        raise ValueError("must be a service account's email, such as name@project.iam.gserviceaccount.com")
    return value


#: The same check as the CRD's pattern, with a message that says what is expected.
ServiceAccountEmail = Annotated[
    str,
    AfterValidator(_check_email),
    Field(max_length=254, json_schema_extra={"pattern": SERVICE_ACCOUNT_EMAIL_PATTERN}),
]


class GcpAuthConfig(SpecModel):
    """Fields of ``spec.auth.gcp``."""

    role: RoleName = Field(description="The Vault role to log in as (auth/<authPath>/role/<role>).")
    auth_path: MountPath = Field(default="gcp", description="The Vault auth mount (path segments, no ..).")
    auth_type: Literal["iam", "gce"] = Field(
        default="iam",
        description="iam: a JWT for the service account, signed by Google's IAM Credentials signJwt API (Workload "
        "Identity, application default credentials or credentialsSecretRef); gce: the instance identity token "
        "of the metadata server (a GCE VM or GKE node, format=full).",
    )
    service_account_email: ServiceAccountEmail | None = Field(
        default=None,
        description="The Google service account to log in as (the JWT's sub). iam default: the client_email of "
        "credentialsSecretRef's key, else GOOGLE_SERVICE_ACCOUNT_EMAIL, else the account of the operator's Google "
        "credentials. With a key of another account, that account signs for this one (it needs "
        "roles/iam.serviceAccountTokenCreator on it). gce: the metadata server's account to ask (default: default).",
    )
    credentials_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="iam only: a Secret key holding a service-account key JSON whose account calls signJwt. "
        "Default: the operator's own Google credentials (Workload Identity, GOOGLE_APPLICATION_CREDENTIALS).",
    )

    @model_validator(mode="after")
    def _fields_fit_auth_type(self) -> GcpAuthConfig:
        # A field that would have no effect is an error, not silently ignored.
        if self.auth_type == "gce" and self.credentials_secret_ref is not None:
            raise ValueError(
                "credentialsSecretRef only applies to authType iam: gce logs in with the identity token of the "
                "instance's metadata server; remove credentialsSecretRef or set authType: iam"
            )
        return self
