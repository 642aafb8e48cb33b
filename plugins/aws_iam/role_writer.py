"""The aws role writer: VaultRole / VaultClusterRole on a mount of Vault's aws auth method (iam logins).

Payload, always whole (Vault keeps a field a write leaves out): ``auth_type``, ``bound_iam_principal_arn``,
``resolve_aws_unique_ids``, ``token_policies``, ``token_ttl`` / ``token_max_ttl`` (0 when left out), and the
ec2-only binds and inference fields reset (``[]`` / ``""``), so a bind someone added by hand (a VPC, an
inferred ec2_instance) is removed rather than left narrowing or changing who may log in.

Ownership: ``alias_metadata``. Vault keeps it from 1.21 on (older Vaults drop it silently; the core then
falls back to what its status records); OpenBao has no aws auth method at all. It takes no part in
``differences``.

Tenancy: an ARN names an AWS principal, not a Kubernetes namespace, and nothing in it says which namespace
owns it. A VaultRole confined to its namespace therefore may not bind one: the platform team binds AWS
principals with a VaultClusterRole, or lets namespaces do it
with the connection's spec.tenancy.allowForeignIdentities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from vault_access_operator.plugin import ConfigError, RoleBinding, RoleWriter, TenancyError

from .role_writer_config import AwsRoleConfig

#: Binds and settings Vault allows only for ec2 logins or inferred ec2 instances: reset on every write.
EC2_RESETS: dict[str, Any] = {
    "bound_ami_id": [], "bound_account_id": [], "bound_region": [], "bound_vpc_id": [], "bound_subnet_id": [],
    "bound_iam_role_arn": [], "bound_iam_instance_profile_arn": [], "bound_ec2_instance_id": [],
    "inferred_entity_type": "", "inferred_aws_region": "",
}
OWNERSHIP_FIELD = "alias_metadata"


class AwsRoleWriter(RoleWriter[AwsRoleConfig]):
    """Roles of Vault's aws auth method (iam), from ``spec.aws``."""

    family: ClassVar[str] = "aws"
    login_methods: ClassVar[tuple[str, ...]] = ("aws",)
    mount_prefixes: ClassVar[tuple[str, ...]] = ("aws",)
    spec_key: ClassVar[str | None] = "aws"
    config_model = AwsRoleConfig
    binds_rule: ClassVar[str | None] = "has(self.aws.boundIamPrincipalArn) && size(self.aws.boundIamPrincipalArn) > 0"

    def payload(self, binding: RoleBinding, config: AwsRoleConfig | None) -> dict[str, Any]:
        if config is None:
            raise ConfigError(
                f"the role is on aws mount {binding.mount} but has no spec.aws: set aws.boundIamPrincipalArn to "
                "the IAM roles that may log in (service accounts are not AWS identities)"
            )
        if binding.confined and binding.namespace is not None:
            raise TenancyError(
                f"aws.boundIamPrincipalArn binds AWS principals, which no namespace owns, and the VaultConnection "
                f"confines namespaced roles to their namespace ({binding.namespace}): bind them with a "
                "VaultClusterRole, or allow it with spec.tenancy.allowForeignIdentities: true",
                setting="spec.tenancy.confinement",
            )
        if binding.token_ttl and binding.token_max_ttl and binding.token_ttl > binding.token_max_ttl:
            raise ConfigError(
                f"tokenTTL ({binding.token_ttl}s) is longer than tokenMaxTTL ({binding.token_max_ttl}s): Vault "
                "refuses such a role; shorten tokenTTL or raise tokenMaxTTL"
            )
        return {
            "auth_type": config.auth_type,
            "bound_iam_principal_arn": list(config.bound_iam_principal_arn),
            "resolve_aws_unique_ids": config.resolve_aws_unique_ids,
            **EC2_RESETS,
            "token_policies": list(binding.policies),
            "token_ttl": binding.token_ttl or 0,
            "token_max_ttl": binding.token_max_ttl or 0,
            OWNERSHIP_FIELD: dict(binding.ownership),
        }

    def differences(self, desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
        # The record is checked through ownership_of; Vaults before 1.21 never hold it.
        return super().differences({k: v for k, v in desired.items() if k != OWNERSHIP_FIELD}, actual)
