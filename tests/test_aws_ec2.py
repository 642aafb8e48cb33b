"""authType ec2: the PKCS7 identity document from IMDSv2, with a nonce, accepted by the Vault double."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.aws_context import NAMESPACE
from tests.support.aws_helpers import AwsEnv, FakeImds, login_and_explain, vault_login
from tests.support.aws_moto import ACCOUNT
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.plugin import CredentialSourceUnreachableError, LoginDeniedError
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.testing import RecordingAuthContext

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.asyncio


def config(**fields: Any) -> AwsAuthConfig:
    return AwsAuthConfig.model_validate({"role": "ec2-op", "authType": "ec2", **fields})


@pytest.fixture
def ec2_double(vault_double: AwsVaultDouble, fake_imds: FakeImds) -> AwsVaultDouble:
    vault_double.ec2.trust(fake_imds.pkcs7, fake_imds.document)
    vault_double.add_role("ec2-op", auth_type="ec2", bound_account_id=ACCOUNT, bound_region="eu-west-1",
                          policies="operator", ttl="30m")
    return vault_double


async def test_ec2_login_with_pkcs7_and_nonce(ec2_double: AwsVaultDouble, fake_imds: FakeImds,
                                              aws_ctx: RecordingAuthContext) -> None:
    provider = AwsAuthProvider()
    request = await provider.login_request(config(), aws_ctx)
    assert set(request.body) == {"role", "pkcs7", "nonce"}
    assert "\n" not in request.body["pkcs7"] and request.body["pkcs7"] == "".join(fake_imds.pkcs7.split())
    assert fake_imds.requests[0] == "PUT /latest/api/token"  # IMDSv2: token first
    assert request.details == {"authType": "ec2", "region": "eu-west-1", "instanceId": "i-0123456789abcdef0",
                               "accountId": ACCOUNT, "nonceSource": "memory"}
    assert request.body["nonce"] in aws_ctx.remembered
    grant = await asyncio.to_thread(vault_login, ec2_double.url, request)
    assert grant.ttl == 1800
    # Later logins repeat the nonce Vault stored with the instance.
    again = await provider.login_request(config(), aws_ctx)
    assert again.body["nonce"] == request.body["nonce"]
    await asyncio.to_thread(vault_login, ec2_double.url, again)


async def test_restart_without_nonce_secret_is_explained(ec2_double: AwsVaultDouble,
                                                         aws_ctx: RecordingAuthContext) -> None:
    first = await AwsAuthProvider().login_request(config(), aws_ctx)
    await asyncio.to_thread(vault_login, ec2_double.url, first)
    _, message = await login_and_explain(AwsAuthProvider(), config(), aws_ctx, ec2_double.url)  # a new process
    assert "client nonce mismatch" in message
    assert "vault delete auth/aws/identity-accesslist/i-0123456789abcdef0" in message
    assert "nonceSecretRef" in message


async def test_nonce_from_secret_survives_restarts(ec2_double: AwsVaultDouble,
                                                   aws_ctx: RecordingAuthContext) -> None:
    aws_ctx.secrets[(NAMESPACE, "ec2-nonce", "nonce")] = "a-long-random-nonce-0123456789\n"
    cfg = config(nonceSecretRef={"name": "ec2-nonce", "key": "nonce"})
    for _ in range(2):  # two operator processes in a row
        request = await AwsAuthProvider().login_request(cfg, aws_ctx)
        assert request.body["nonce"] == "a-long-random-nonce-0123456789"
        assert request.details["nonceSource"] == "Secret"
        await asyncio.to_thread(vault_login, ec2_double.url, request)


async def test_ec2_role_mismatch_is_explained(ec2_double: AwsVaultDouble, aws_ctx: RecordingAuthContext) -> None:
    ec2_double.add_role("iam-role", auth_type="iam")
    _, message = await login_and_explain(AwsAuthProvider(), config(role="iam-role"), aws_ctx, ec2_double.url)
    assert message.startswith("access denied: the Vault role 'iam-role' at auth/aws is not an auth_type=ec2 role")
    _, message = await login_and_explain(AwsAuthProvider(), config(role="missing"), aws_ctx, ec2_double.url)
    assert message.startswith("access denied: there is no role 'missing' at auth/aws")
    assert 'entry for role \\"missing\\" not found' in message or 'entry for role "missing" not found' in message


async def test_unknown_document_is_refused(vault_double: AwsVaultDouble, fake_imds: FakeImds,
                                           aws_ctx: RecordingAuthContext) -> None:
    vault_double.add_role("ec2-op", auth_type="ec2")
    request = await AwsAuthProvider().login_request(config(), aws_ctx)
    with pytest.raises(Exception, match="failed to verify the signature") as refused:
        await asyncio.to_thread(vault_login, vault_double.url, request)
    assert not isinstance(refused.value, LoginDeniedError)  # Vault answers 500 here: retried, not denied


async def test_ec2_needs_the_metadata_service(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    with pytest.raises(CredentialSourceUnreachableError) as failed:
        await AwsAuthProvider().login_request(config(), aws_ctx)
    assert failed.value.message.startswith("cannot get the EC2 instance identity document for authType ec2")
