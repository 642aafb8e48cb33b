"""``spec.auth.aws``: the fields of the AWS IAM guide, plus an optional cross-account role hop."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from vault_access_operator.plugin import (
    ADDRESS_PATTERN,
    MAX_URL,
    MountPath,
    RoleName,
    SecretKeySelector,
    SpecModel,
    Text,
    check_http_url,
)

REGION_PATTERN = r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"
SESSION_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{2,64}$"
DEFAULT_SESSION_NAME = "vault-access-operator"
SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID"  # signed when iamServerIdHeaderValue is set

#: An STS endpoint URL: http(s), host, optional port and path; no user name, query or fragment.
StsEndpoint = Annotated[str, AfterValidator(lambda value: check_http_url(value, "stsEndpoint", "such as https://sts.us-east-1.amazonaws.com"))]


class AwsAuthConfig(SpecModel):
    """Fields of ``spec.auth.aws``."""

    role: RoleName = Field(description="The Vault role to log in as (auth/<authPath>/role/<role>).")
    auth_path: MountPath = Field(default="aws", description="The Vault auth mount (path segments, no ..).")
    auth_type: Literal["iam", "ec2"] = Field(
        default="iam",
        description="iam: sign an STS GetCallerIdentity request (IRSA, Pod Identity, instance profile, keys); "
        "ec2: present the instance identity document (PKCS7) from the EC2 instance metadata service.",
    )
    region: str | None = Field(
        default=None,
        max_length=64,
        pattern=REGION_PATTERN,
        description="AWS region used to sign the STS request. Default: AWS_REGION, then AWS_DEFAULT_REGION, "
        "then the instance metadata service.",
    )
    sts_endpoint: StsEndpoint | None = Field(
        default=None,
        max_length=MAX_URL,
        json_schema_extra={"pattern": ADDRESS_PATTERN},
        description="STS endpoint the signed request targets (for example a VPC endpoint). "
        "Default: https://sts.<region>.amazonaws.com. Vault's auth/<authPath>/config/client sts_endpoint "
        "must point at the same endpoint.",
    )
    iam_server_id_header_value: Text | None = Field(
        default=None,
        description="Value of the X-Vault-AWS-IAM-Server-ID header, signed into the request; must equal "
        "iam_server_id_header_value in Vault's auth/<authPath>/config/client.",
    )
    role_arn: str | None = Field(
        default=None,
        max_length=MAX_URL,
        pattern=ROLE_ARN_PATTERN,
        description="An IAM role to assume with the base credentials before signing (for example in another "
        "account). Vault then sees this role: bind it with bound_iam_principal_arn.",
    )
    external_id: str | None = Field(
        default=None,
        min_length=2,
        max_length=1224,
        description="ExternalId passed when assuming roleArn (required when the role's trust policy asks for it).",
    )
    session_name: str | None = Field(
        default=None,
        max_length=64,
        pattern=SESSION_NAME_PATTERN,
        description=f"RoleSessionName used when assuming roleArn. Default {DEFAULT_SESSION_NAME}.",
    )
    nonce_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="ec2 only: a Secret key holding the login nonce, so that logins after an operator restart "
        "present the same nonce. Default: a random nonce kept in memory.",
    )

    @model_validator(mode="after")
    def _fields_fit_auth_type(self) -> AwsAuthConfig:
        # A field that would have no effect is an error, not silently ignored.
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("externalId is only used with roleArn: set roleArn or remove externalId")
        if self.session_name is not None and self.role_arn is None:
            raise ValueError("sessionName is only used with roleArn: set roleArn or remove sessionName")
        if self.auth_type == "ec2":
            iam_only = [
                alias
                for alias, value in (
                    ("roleArn", self.role_arn),
                    ("stsEndpoint", self.sts_endpoint),
                    ("iamServerIdHeaderValue", self.iam_server_id_header_value),
                )
                if value is not None
            ]
            if iam_only:
                raise ValueError(f"{', '.join(iam_only)} only apply to authType iam, not ec2")
        elif self.nonce_secret_ref is not None:
            raise ValueError("nonceSecretRef only applies to authType ec2")
        return self
