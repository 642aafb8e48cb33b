"""The guide's failure cases end to end at unit level: provider -> Vault double -> moto, then the
message the operator prints (explain_login_error) says what to fix."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from tests.support.aws_helpers import AwsEnv, login_and_explain, vault_login
from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.ports import free_port

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.asyncio

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
IRSA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/vault-access-operator-role"
IRSA_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/vault-access-operator-role/vault-access-operator"
SERVER_ID = "vault.example.com"


def config(**fields: Any) -> AwsAuthConfig:
    return AwsAuthConfig.model_validate({"role": "op", **fields})


@pytest.fixture
def alice(aws_env: AwsEnv, moto_aws: MotoAws) -> str:
    """An IAM user whose keys are in the environment (signature checks on)."""
    aws_env.keys(*moto_aws.create_user("alice"), region="eu-west-1")
    moto_aws.signatures(True)
    return ALICE


@pytest.fixture
def irsa(aws_env: AwsEnv, moto_aws: MotoAws) -> str:
    """The operator pod's IRSA role (web identity through botocore, signature checks on)."""
    role_arn = moto_aws.create_role("vault-access-operator-role")
    moto_aws.signatures(True)
    aws_env.irsa(role_arn, moto_aws.url)
    return role_arn


async def test_server_id_header_accepted(alice: str, vault_double: AwsVaultDouble,
                                         aws_ctx: RecordingAuthContext) -> None:
    vault_double.configure(iam_server_id_header_value=SERVER_ID)
    vault_double.add_role("op", bound_iam_principal_arn=alice)
    request = await AwsAuthProvider().login_request(config(iamServerIdHeaderValue=SERVER_ID), aws_ctx)
    await asyncio.to_thread(vault_login, vault_double.url, request)
    assert request.details["iamServerIdHeaderValue"] == SERVER_ID


async def test_server_id_header_missing(alice: str, vault_double: AwsVaultDouble,
                                         aws_ctx: RecordingAuthContext) -> None:
    vault_double.configure(iam_server_id_header_value=SERVER_ID)
    vault_double.add_role("op", bound_iam_principal_arn=alice)
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    assert message.startswith("access denied: Vault requires the X-Vault-AWS-IAM-Server-ID header")
    assert 'missing header "X-Vault-AWS-IAM-Server-ID"' in message
    assert "spec.auth.aws.iamServerIdHeaderValue" in message


async def test_server_id_header_mismatch(alice: str, vault_double: AwsVaultDouble,
                                         aws_ctx: RecordingAuthContext) -> None:
    vault_double.configure(iam_server_id_header_value=SERVER_ID)
    vault_double.add_role("op", bound_iam_principal_arn=alice)
    cfg = config(iamServerIdHeaderValue="vault.old.example.com")
    _, message = await login_and_explain(AwsAuthProvider(), cfg, aws_ctx, vault_double.url)
    assert message.startswith("access denied: the X-Vault-AWS-IAM-Server-ID value does not match Vault's")
    assert f"set spec.auth.aws.iamServerIdHeaderValue to '{SERVER_ID}'" in message
    assert f'expected "{SERVER_ID}" but got "vault.old.example.com"' in message


async def test_role_not_found_suggests_the_binding(irsa: str, vault_double: AwsVaultDouble,
                                                   aws_ctx: RecordingAuthContext) -> None:
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    assert message.startswith("access denied: there is no role 'op' at auth/aws")
    assert "entry for role op not found" in message
    assert f'vault write auth/aws/role/op auth_type=iam bound_iam_principal_arn="{irsa}"' in message


@pytest.mark.parametrize("who", ["user", "irsa"])
async def test_principal_not_bound(who: str, request: pytest.FixtureRequest, vault_double: AwsVaultDouble,
                                   aws_ctx: RecordingAuthContext) -> None:
    request.getfixturevalue("alice" if who == "user" else "irsa")
    vault_double.add_role("op", bound_iam_principal_arn=f"arn:aws:iam::{ACCOUNT}:role/someone-else")
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    presented, expected = (ALICE, ALICE) if who == "user" else (IRSA_SESSION, f"the IAM role ARN {IRSA_ROLE}")
    assert message.startswith(f"access denied: Vault denied login for role 'op' at auth/aws: the IAM principal "
                              f"presented, {presented}, is not bound to the role")
    assert message.endswith(f"Check bound_iam_principal_arn: it must be {expected}" + (
        "" if who == "user" else " (Vault compares the role, not the session)"))


async def test_signing_region_differs_from_vaults_sts(alice: str, vault_double: AwsVaultDouble,
                                                      aws_ctx: RecordingAuthContext) -> None:
    vault_double.configure(sts_region="us-east-1")  # Vault's default: the global endpoint, us-east-1
    vault_double.add_role("op", bound_iam_principal_arn=alice)
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    assert "Credential should be scoped to a valid region" in message
    assert "sts_endpoint=https://sts.eu-west-1.amazonaws.com and sts_region=eu-west-1" in message
    assert "use_sts_region_from_client=true" in message
    vault_double.configure(use_sts_region_from_client=True)  # the documented fix
    request = await AwsAuthProvider().login_request(config(), aws_ctx)
    await asyncio.to_thread(vault_login, vault_double.url, request)


async def test_vault_cannot_reach_sts(alice: str, vault_double: AwsVaultDouble, aws_ctx: RecordingAuthContext) -> None:
    vault_double.configure(sts_endpoint=f"http://127.0.0.1:{free_port()}")
    vault_double.add_role("op", bound_iam_principal_arn=alice)
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    assert message.startswith("Vault cannot reach STS to verify the login")
    assert "STS endpoint connectivity problem is on Vault's side" in message


async def test_role_of_the_other_auth_type(alice: str, vault_double: AwsVaultDouble,
                                           aws_ctx: RecordingAuthContext) -> None:
    vault_double.add_role("op", auth_type="ec2")
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    assert message.startswith("access denied: the Vault role 'op' at auth/aws is not an auth_type=iam role")


async def test_messages_carry_no_secrets(alice: str, vault_double: AwsVaultDouble, aws_ctx: RecordingAuthContext,
                                         aws_env: AwsEnv) -> None:
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    vault_double.add_role("op", bound_iam_principal_arn="arn:aws:iam::000000000000:user/nobody")
    request, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, vault_double.url)
    signature = vault_double.logins[-1]["iam_request_headers"]
    for text in (message, str(request.details), repr(request)):
        assert secret not in text and signature not in text
    assert secret in aws_ctx.remembered and signature in aws_ctx.remembered
