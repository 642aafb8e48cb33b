"""Region detection: spec.region, AWS_REGION, AWS_DEFAULT_REGION, then IMDSv2; shown on status."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.aws_helpers import AwsEnv, FakeImds, vault_login
from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.plugin import CredentialSourceUnreachableError
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.ports import free_port

pytest_plugins = ["tests.support.aws_fixtures"]

pytestmark = pytest.mark.asyncio


def config(**fields: Any) -> AwsAuthConfig:
    return AwsAuthConfig.model_validate({"role": "op", **fields})


@pytest.mark.parametrize(("spec_region", "env", "expected"), [
    ("ap-south-1", {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2"}, ("ap-south-1", "spec")),
    (None, {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2"}, ("eu-west-1", "AWS_REGION")),
    (None, {"AWS_DEFAULT_REGION": "us-east-2"}, ("us-east-2", "AWS_DEFAULT_REGION")),
])
async def test_region_order(aws_env: AwsEnv, aws_ctx: RecordingAuthContext, spec_region: str | None,
                            env: dict[str, str], expected: tuple[str, str]) -> None:
    aws_env.set(**env)
    assert await AwsAuthProvider().region(config(region=spec_region), aws_ctx) == expected


async def test_region_from_imds_v2_once(fake_imds: FakeImds, aws_ctx: RecordingAuthContext) -> None:
    provider = AwsAuthProvider()
    assert await provider.region(config(), aws_ctx) == ("eu-west-1", "instance metadata")
    assert fake_imds.requests == ["PUT /latest/api/token", "GET /latest/meta-data/placement/region"]
    assert fake_imds.token in aws_ctx.remembered  # the IMDS session token is a credential too
    await provider.region(config(), aws_ctx)
    assert len(fake_imds.requests) == 2  # an instance does not move: asked once


async def test_imds_region_used_for_signing(fake_imds: FakeImds, moto_aws: MotoAws,
                                            vault_double: AwsVaultDouble, aws_env: AwsEnv,
                                            aws_ctx: RecordingAuthContext) -> None:
    access_key, secret_key = moto_aws.create_user("node")
    vault_double.add_role("op", bound_iam_principal_arn=f"arn:aws:iam::{ACCOUNT}:user/node")
    moto_aws.signatures(True)
    aws_env.set(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key)
    request = await AwsAuthProvider().login_request(config(), aws_ctx)
    assert request.details["region"] == "eu-west-1" and request.details["regionSource"] == "instance metadata"
    assert request.details["stsEndpoint"] == "https://sts.eu-west-1.amazonaws.com"
    grant = await asyncio.to_thread(vault_login, vault_double.url, request)
    assert grant.token


async def test_imds_v2_token_refused(fake_imds: FakeImds, aws_ctx: RecordingAuthContext) -> None:
    fake_imds.server.clear()
    fake_imds.server.expect_request("/latest/api/token", method="PUT").respond_with_data("", status=403)
    with pytest.raises(CredentialSourceUnreachableError) as failed:
        await AwsAuthProvider().region(config(), aws_ctx)
    assert "http-put-response-hop-limit" in failed.value.message
    assert failed.value.message.endswith("set spec.auth.aws.region")


@pytest.mark.parametrize("how", ["unreachable", "disabled"])
async def test_region_unknown_says_set_region(aws_env: AwsEnv, aws_ctx: RecordingAuthContext, how: str) -> None:
    if how == "unreachable":
        aws_env.set(AWS_EC2_METADATA_DISABLED="false",
                    AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CredentialSourceUnreachableError) as failed:
        await AwsAuthProvider().region(config(), aws_ctx)
    message = failed.value.message
    assert message.startswith("cannot detect the AWS region: spec.auth.aws.region, AWS_REGION and AWS_DEFAULT_REGION")
    assert ("no answer from the instance metadata service at http://127.0.0.1" if how == "unreachable"
            else "AWS_EC2_METADATA_DISABLED=true") in message
