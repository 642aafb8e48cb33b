"""The aws role writer (plugins/aws_iam/role_writer*.py): spec.aws model, whole payloads, tenancy, drift."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

import vault_access_operator.plugins.aws_iam as aws_plugin
from vault_access_operator.plugin import ConfigError, TenancyError
from vault_access_operator.plugins.aws_iam.role_writer import EC2_RESETS, AwsRoleWriter
from vault_access_operator.plugins.aws_iam.role_writer_config import AwsRoleConfig
from vault_access_operator.testing.role_writer import check_role_writer, sample_binding

WRITER = AwsRoleWriter()
ARN = "arn:aws:iam::123456789012:role/team-a-app"
BINDING = sample_binding(mount="aws")
SAMPLES: list[dict[str, Any]] = [
    {"boundIamPrincipalArn": [ARN]},
    {"boundIamPrincipalArn": [ARN, "arn:aws:iam::123456789012:role/ci-*"], "resolveAwsUniqueIds": False,
     "authType": "iam"},
]


def config(**block: Any) -> AwsRoleConfig:
    return AwsRoleConfig.model_validate(block)


def test_the_aws_writer_keeps_the_contract() -> None:
    check_role_writer(AwsRoleWriter, SAMPLES, plugin=aws_plugin)


def test_the_payload_is_whole_and_resets_the_ec2_binds() -> None:
    body = WRITER.payload(BINDING, config(boundIamPrincipalArn=[ARN]))
    assert body == {
        "auth_type": "iam", "bound_iam_principal_arn": [ARN], "resolve_aws_unique_ids": True, **EC2_RESETS,
        "token_policies": ["vao.test.team-a.read"], "token_ttl": 0, "token_max_ttl": 0,
        "alias_metadata": dict(BINDING.ownership),
    }
    assert EC2_RESETS["inferred_entity_type"] == "" and EC2_RESETS["bound_vpc_id"] == []


@pytest.mark.parametrize(("block", "says"), [
    ({}, "boundIamPrincipalArn"),
    ({"boundIamPrincipalArn": []}, "boundIamPrincipalArn"),
    ({"boundIamPrincipalArn": ["team-a-app"]}, "boundIamPrincipalArn"),
    ({"boundIamPrincipalArn": ["arn:aws:sts::123456789012:assumed-role/app/s"]}, "is an STS (assumed-role) ARN"),
    ({"boundIamPrincipalArn": ["arn:aws:iam::123456789012:role/*-app"]}, "has a * before its end"),
    ({"boundIamPrincipalArn": [ARN, ARN]}, "lists an ARN twice"),
    ({"boundIamPrincipalArn": [ARN], "authType": "ec2"}, "authType"),
    ({"boundIamPrincipalArn": [ARN], "resolveAwsUniqueIds": "true"}, "resolveAwsUniqueIds"),
    ({"boundIamPrincipalArn": [ARN], "boundVpcId": ["vpc-1"]}, "boundVpcId"),
])
def test_what_vault_would_refuse_is_refused_naming_the_field(block: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        config(**block)
    assert says in str(caught.value)


def test_no_aws_block_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"on aws mount aws but has no spec\.aws: set aws\.boundIamPrincipalArn"):
        WRITER.payload(BINDING, None)


def test_a_confined_namespaced_role_may_not_bind_aws_principals() -> None:
    with pytest.raises(TenancyError) as caught:
        WRITER.payload(dataclasses.replace(BINDING, confined=True), config(boundIamPrincipalArn=[ARN]))
    assert "which no namespace owns" in caught.value.message and "VaultClusterRole" in caught.value.message
    assert "spec.tenancy.allowForeignIdentities: true" in caught.value.message
    assert caught.value.setting == "spec.tenancy.confinement"
    cluster = dataclasses.replace(BINDING, kind="VaultClusterRole", namespace=None, confined=True)
    assert WRITER.payload(cluster, config(boundIamPrincipalArn=[ARN]))["bound_iam_principal_arn"] == [ARN]


def test_a_ttl_longer_than_the_max_is_refused() -> None:
    with pytest.raises(ConfigError, match="tokenTTL"):
        WRITER.payload(dataclasses.replace(BINDING, token_ttl=60, token_max_ttl=30), config(boundIamPrincipalArn=[ARN]))


def test_drift_ignores_the_ownership_record_and_names_changed_fields() -> None:
    body = WRITER.payload(BINDING, config(boundIamPrincipalArn=[ARN]))
    assert WRITER.differences(body, {k: v for k, v in body.items() if k != "alias_metadata"}) == []
    edited = {**body, "bound_vpc_id": ["vpc-1"], "token_ttl": 5}
    assert WRITER.differences(body, edited) == ["bound_vpc_id", "token_ttl"]
