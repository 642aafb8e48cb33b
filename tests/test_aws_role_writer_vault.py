"""The aws role writer against Vault's aws role API (tests/support/aws_role_api.py follows path_role.go:
OpenBao has no aws auth method): read-backs without differences, hand edits named, resets applied."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.support.aws_role_api import AwsRoleAPI
from vault_access_operator.errors import VaultRequestError
from vault_access_operator.plugins.aws_iam.role_writer import AwsRoleWriter
from vault_access_operator.plugins.aws_iam.role_writer_config import AwsRoleConfig
from vault_access_operator.testing.role_writer import sample_binding
from vault_access_operator.testing.role_writer_vault import changed_field_is_seen, role_round_trip

WRITER = AwsRoleWriter()
ARN = "arn:aws:iam::123456789012:role/team-a-app"
BINDING = sample_binding(mount="aws", token_ttl=600, token_max_ttl=3600)
CONFIG = AwsRoleConfig.model_validate({"boundIamPrincipalArn": [ARN, "arn:aws:iam::123456789012:role/ci-*"]})


@pytest.fixture
def vault(httpserver: HTTPServer) -> AwsRoleAPI:
    return AwsRoleAPI(httpserver)


@pytest.mark.parametrize("keeps", [True, False], ids=["vault-1.21", "older-vault"])
def test_the_payload_reads_back_without_differences(httpserver: HTTPServer, keeps: bool) -> None:
    api = AwsRoleAPI(httpserver, keeps_alias_metadata=keeps)
    trip = role_round_trip(api.url, "root", WRITER, BINDING, CONFIG)
    assert trip.differences == []
    assert trip.read_back["bound_iam_principal_id"] and trip.read_back["token_max_ttl"] == 3600
    assert trip.ownership == (dict(BINDING.ownership) if keeps else None)


@pytest.mark.parametrize(("field", "value"), [
    ("bound_iam_principal_arn", ["arn:aws:iam::123456789012:role/other"]), ("token_ttl", "20m"),
    ("token_policies", ["x"]), ("inferred_entity_type", "ec2_instance"), ("token_max_ttl", 7200),
])
def test_a_hand_edit_is_named(vault: AwsRoleAPI, field: str, value: Any) -> None:
    trip = role_round_trip(vault.url, "root", WRITER, BINDING, CONFIG)
    edit = {"inferred_aws_region": "eu-west-1"} if field == "inferred_entity_type" else {}
    changed = changed_field_is_seen(vault.url, "root", WRITER, BINDING,
                                    dataclasses.replace(trip, payload={**trip.payload, **edit}), field, value)
    assert field in changed and set(changed) <= {field, "inferred_aws_region"}


def test_hand_added_ec2_binds_and_left_out_ttls_are_reset(vault: AwsRoleAPI) -> None:
    role_round_trip(vault.url, "root", WRITER, BINDING, CONFIG)
    key = ("aws", BINDING.vault_name)
    vault.roles[key].update(inferred_entity_type="ec2_instance", inferred_aws_region="eu-west-1",
                            bound_vpc_id=["vpc-1"])
    trip = role_round_trip(vault.url, "root", WRITER, dataclasses.replace(BINDING, token_ttl=None), CONFIG)
    assert trip.differences == []
    assert (trip.read_back["bound_vpc_id"], trip.read_back["inferred_entity_type"], trip.read_back["token_ttl"]) == (
        [], "", 0)


def test_vaults_one_way_settings_are_its_refusals(vault: AwsRoleAPI) -> None:
    role_round_trip(vault.url, "root", WRITER, BINDING, CONFIG)
    off = AwsRoleConfig.model_validate({"boundIamPrincipalArn": [ARN], "resolveAwsUniqueIds": False})
    with pytest.raises(VaultRequestError, match="changing resolve_aws_unique_ids from true to false is not allowed"):
        role_round_trip(vault.url, "root", WRITER, BINDING, off)
