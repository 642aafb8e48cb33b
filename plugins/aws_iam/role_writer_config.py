"""``spec.aws`` of a VaultRole / VaultClusterRole: the principals a role of Vault's aws auth method binds.

Field names follow Vault's aws role API (``auth/<mount>/role/<name>``, builtin/credential/aws/path_role.go)
in camelCase: ``authType`` (auth_type), ``boundIamPrincipalArn`` (bound_iam_principal_arn),
``resolveAwsUniqueIds`` (resolve_aws_unique_ids).

Only ``authType: iam``. An ec2 login proves which EC2 *instance* asks, so every pod on a node would share
the role; an iam login proves which IAM principal asks, and with IRSA or EKS Pod Identity that is one
service account's own IAM role. ec2 roles also carry per-instance state (role tags, reauthentication
whitelists) that a declarative object cannot own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from vault_access_operator.plugin import SpecModel

#: An IAM principal ARN as Vault binds it: a role or user of an account (a path is allowed), or with one
#: trailing * (Vault prefix-matches such an entry, e.g. arn:aws:iam::123456789012:role/team-a-*).
PRINCIPAL_ARN_PATTERN = r"^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/*-]+$"
MAX_PRINCIPALS = 32
PrincipalArn = Annotated[str, Field(min_length=20, max_length=2048, pattern=PRINCIPAL_ARN_PATTERN)]


class AwsRoleConfig(SpecModel):
    """Fields of ``spec.aws``: which IAM principals may log in with this role."""

    auth_type: Literal["iam"] = Field(
        default="iam",
        description="iam (auth_type): the caller proves its IAM principal with a signed STS request. ec2 is not "
        "managed: it identifies an instance, shared by every pod on it. Vault never changes a role's auth_type.",
    )
    bound_iam_principal_arn: list[PrincipalArn] = Field(
        min_length=1,
        max_length=MAX_PRINCIPALS,
        description="IAM role or user ARNs that may log in (bound_iam_principal_arn), such as "
        "arn:aws:iam::123456789012:role/app (the IRSA role of a service account); one trailing * makes a "
        "prefix match.",
    )
    resolve_aws_unique_ids: bool = Field(
        default=True,
        description="Vault's default true (resolve_aws_unique_ids): Vault resolves each ARN to the principal's "
        "unique ID when the role is written (Vault needs iam:GetRole / iam:GetUser), so a principal deleted "
        "and re-created under the same name no longer matches. Vault refuses to turn it from true to false.",
    )

    @field_validator("bound_iam_principal_arn")
    @classmethod
    def _iam_principals(cls, arns: list[str]) -> list[str]:
        for arn in arns:
            if ":sts::" in arn:
                raise ValueError(
                    f"aws.boundIamPrincipalArn: {arn} is an STS (assumed-role) ARN, which Vault never matches; bind "
                    "the role's IAM ARN arn:aws:iam::<account>:role/<name> (Vault maps an assumed-role caller to it)"
                )
            if "*" in arn[:-1]:
                raise ValueError(f"aws.boundIamPrincipalArn: {arn} has a * before its end; Vault allows one at the end")
        if len(set(arns)) != len(arns):
            raise ValueError("aws.boundIamPrincipalArn lists an ARN twice")
        return arns
