"""Credentials from botocore's chain (keys, IRSA, Pod Identity, roleArn hop), signed, verified by moto.

Each login goes provider -> core Vault transport -> Vault double -> moto STS with signature checks on.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from typing import Any

import botocore.credentials
import pytest
from pytest_httpserver import HTTPServer

from tests.support.aws_helpers import AwsEnv, vault_login
from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.plugin import CredentialsError, CredentialSourceUnreachableError, Reason
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.plugins.aws_iam.credentials import SourceKey
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.ports import free_port

pytest_plugins = ["tests.support.aws_fixtures"]

pytestmark = pytest.mark.asyncio
ROLE_NAME = "vault-access-operator-role"


def config(**fields: Any) -> AwsAuthConfig:
    return AwsAuthConfig.model_validate({"role": "op", **fields})


def access_key_of(body: dict[str, Any]) -> str:
    import base64

    headers = json.loads(base64.b64decode(body["iam_request_headers"]))
    return str(headers["Authorization"][0].split("Credential=")[1].split("/")[0])


def clock_ahead(monkeypatch: pytest.MonkeyPatch, credentials: Any, minutes: int = 55) -> None:
    """Run botocore's clock ``minutes`` ahead, as if the pod had been up that long: moto's 1-hour STS
    credentials are then inside botocore's mandatory refresh window, in its fetcher cache too."""
    def later() -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)

    monkeypatch.setattr(botocore.credentials, "_local_now", later)
    monkeypatch.setattr(credentials, "_time_fetcher", later)


def assert_no_secret(ctx: RecordingAuthContext, *texts: str, secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        assert secret in ctx.remembered, "every credential is registered for redaction"
        for text in texts:
            assert secret not in text


async def login(provider: AwsAuthProvider, cfg: AwsAuthConfig, ctx: RecordingAuthContext,
                double: AwsVaultDouble) -> Any:
    request = await provider.login_request(cfg, ctx)
    grant = await asyncio.to_thread(vault_login, double.url, request)
    assert grant.token and grant.renewable
    return request


async def test_iam_user_keys(aws_env: AwsEnv, moto_aws: MotoAws, vault_double: AwsVaultDouble,
                             aws_ctx: RecordingAuthContext) -> None:
    access_key, secret_key = moto_aws.create_user("alice")
    vault_double.add_role("op", bound_iam_principal_arn=f"arn:aws:iam::{ACCOUNT}:user/alice")
    moto_aws.signatures(True)
    aws_env.keys(access_key, secret_key, region="eu-west-1")
    request = await login(AwsAuthProvider(), config(), aws_ctx, vault_double)
    assert vault_double.accepted[-1]["client_arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert request.details == {"authType": "iam", "region": "eu-west-1", "regionSource": "AWS_DEFAULT_REGION",
                               "stsEndpoint": "https://sts.eu-west-1.amazonaws.com", "credentialSource": "env"}
    assert request.mount == "aws" and request.body["role"] == "op"
    assert_no_secret(aws_ctx, json.dumps(dict(request.body)), repr(request), str(request.details),
                     secrets=(secret_key,))


async def test_irsa_web_identity_and_refresh(aws_env: AwsEnv, moto_aws: MotoAws,
                                             vault_double: AwsVaultDouble,
                                             aws_ctx: RecordingAuthContext,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    role_arn = moto_aws.create_role(ROLE_NAME)
    vault_double.add_role("op", bound_iam_principal_arn=role_arn)
    moto_aws.signatures(True)
    aws_env.irsa(role_arn, moto_aws.url, region="us-west-2")
    provider = AwsAuthProvider()
    first = await login(provider, config(), aws_ctx, vault_double)
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/vault-access-operator"
    assert vault_double.accepted[-1]["client_arn"] == session_arn
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ  # never exported
    assert first.details["credentialSource"] == "assume-role-with-web-identity"
    assert first.details["iamRoleArn"] == role_arn
    assert first.details["regionSource"] == "AWS_REGION"
    # Same session, same (still valid) credentials on the next login: no new STS exchange.
    second = await login(provider, config(), aws_ctx, vault_double)
    assert access_key_of(second.body) == access_key_of(first.body)
    # An hour later the web-identity credentials are about to expire: botocore refreshes them.
    clock_ahead(monkeypatch, provider._sources.get(SourceKey(region="us-west-2"))._base)
    later = await login(provider, config(), aws_ctx, vault_double)
    assert access_key_of(later.body) != access_key_of(first.body)
    assert vault_double.accepted[-1]["client_arn"] == session_arn


async def test_chained_role_arn_with_external_id(aws_env: AwsEnv, moto_aws: MotoAws,
                                                 vault_double: AwsVaultDouble,
                                                 aws_ctx: RecordingAuthContext,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base_arn = moto_aws.create_role(ROLE_NAME, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    target_arn = moto_aws.create_role("vault-login", trust={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "ext-4242"}}}]})
    vault_double.add_role("op", bound_iam_principal_arn=target_arn)
    moto_aws.signatures(True)
    aws_env.irsa(base_arn, moto_aws.url)
    provider = AwsAuthProvider()
    cfg = config(roleArn=target_arn, externalId="ext-4242", sessionName="cross-account")
    request = await login(provider, cfg, aws_ctx, vault_double)
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/vault-login/cross-account"
    assert vault_double.accepted[-1]["client_arn"] == caller
    assert request.details["callerArn"] == caller and request.details["iamRoleArn"] == target_arn
    assert request.details["credentialSource"] == "assume-role"
    # The hop is refreshed by botocore too.
    source = provider._sources.get(SourceKey("eu-west-1", None, target_arn, "ext-4242", "cross-account"))
    clock_ahead(monkeypatch, source._chained)
    later = await login(provider, cfg, aws_ctx, vault_double)
    assert access_key_of(later.body) != access_key_of(request.body)

    with pytest.raises(CredentialsError) as denied:
        await provider.login_request(config(roleArn=target_arn, externalId="wrong-id"), aws_ctx)
    assert denied.value.reason == Reason.CREDENTIALS_REJECTED
    assert f"STS refused to assume roleArn {target_arn} with the configured externalId" in denied.value.message
    assert "AccessDenied" in denied.value.message and "wrong-id" not in denied.value.message


async def test_eks_pod_identity_container_credentials(aws_env: AwsEnv, moto_aws: MotoAws,
                                                      vault_double: AwsVaultDouble,
                                                      aws_ctx: RecordingAuthContext,
                                                      httpserver: HTTPServer) -> None:
    role_arn = moto_aws.create_role("pod-identity-role")
    vault_double.add_role("op", bound_iam_principal_arn=role_arn)
    # What the EKS Pod Identity agent hands out: temporary credentials of the associated role.
    issued = moto_aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="eks-pod-identity")["Credentials"]
    moto_aws.signatures(True)
    token_file = aws_env.tmp_path / "pod-identity-token"
    token_file.write_text("pod-identity-agent-token")
    agent = httpserver.expect_request("/v1/credentials", headers={"Authorization": "pod-identity-agent-token"})
    agent.respond_with_json({"AccessKeyId": issued["AccessKeyId"], "SecretAccessKey": issued["SecretAccessKey"],
                             "Token": issued["SessionToken"],
                             "Expiration": issued["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")})
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=httpserver.url_for("/v1/credentials"),
                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file), AWS_REGION="eu-west-1")
    request = await login(AwsAuthProvider(), config(), aws_ctx, vault_double)
    assert request.details["credentialSource"] == "container-role"
    assert vault_double.accepted[-1]["client_arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/pod-identity-role/" \
        "eks-pod-identity"
    assert_no_secret(aws_ctx, str(request.details), secrets=(issued["SecretAccessKey"], issued["SessionToken"]))


# -- failures before login: what was looked for, and what to fix --------------------------


async def test_no_credentials_found(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    aws_env.set(AWS_REGION="eu-west-1")
    with pytest.raises(CredentialsError) as missing:
        await AwsAuthProvider().login_request(config(), aws_ctx)
    message = missing.value.message
    assert missing.value.reason == Reason.CREDENTIALS_NOT_FOUND
    assert message.startswith("no credentials found")
    assert "AWS_WEB_IDENTITY_TOKEN_FILE not set" in message and "AWS_ROLE_ARN not set" in message
    assert "vault-access-operator-system/vault-access-operator-controller-manager" in message
    assert "eks.amazonaws.com/role-arn" in message


async def test_token_file_without_role_arn_is_refused(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    token = aws_env.tmp_path / "token"
    token.write_text("x")
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_REGION="eu-west-1",
                AWS_ACCESS_KEY_ID="AKIAFALLBACKEXAMPLE1", AWS_SECRET_ACCESS_KEY="fallback")
    with pytest.raises(CredentialsError, match="AWS_ROLE_ARN is not, so IRSA cannot work"):
        await AwsAuthProvider().login_request(config(), aws_ctx)


async def test_missing_token_file(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE="/nonexistent/token", AWS_ROLE_ARN=f"arn:aws:iam::{ACCOUNT}:role/x",
                AWS_REGION="eu-west-1", AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CredentialsError, match="cannot read the web identity token file /nonexistent/token"):
        await AwsAuthProvider().login_request(config(), aws_ctx)


async def test_web_identity_rejected_by_sts(aws_env: AwsEnv, aws_ctx: RecordingAuthContext,
                                            httpserver: HTTPServer) -> None:
    httpserver.expect_request("/", method="POST").respond_with_data(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        "<Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found in your account for "
        "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE</Message></Error></ErrorResponse>",
        status=400, content_type="text/xml")
    aws_env.irsa(f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}", httpserver.url_for("/").rstrip("/"))
    with pytest.raises(CredentialsError) as rejected:
        await AwsAuthProvider().login_request(config(), aws_ctx)
    assert rejected.value.reason == Reason.CREDENTIALS_REJECTED
    assert rejected.value.message.startswith("STS rejected the web identity token")
    assert "InvalidIdentityToken" in rejected.value.message
    assert "system:serviceaccount:vault-access-operator-system:vault-access-operator-controller-manager" in (
        rejected.value.message)


async def test_sts_unreachable_for_irsa(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    aws_env.irsa(f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}", closed)
    with pytest.raises(CredentialSourceUnreachableError) as unreachable:
        await AwsAuthProvider().login_request(config(), aws_ctx)
    assert f"cannot reach STS at {closed}" in unreachable.value.message
    assert "stsEndpoint" in unreachable.value.message


async def test_sts_endpoint_used_for_role_hop(aws_env: AwsEnv, moto_aws: MotoAws,
                                              aws_ctx: RecordingAuthContext) -> None:
    access_key, secret_key = moto_aws.create_user("alice")
    aws_env.keys(access_key, secret_key)
    vpce = f"http://127.0.0.1:{free_port()}"
    cfg = config(roleArn=f"arn:aws:iam::{ACCOUNT}:role/target", stsEndpoint=vpce)
    with pytest.raises(CredentialSourceUnreachableError, match=f"cannot reach STS at {vpce}"):
        await AwsAuthProvider().login_request(cfg, aws_ctx)


async def test_partial_static_keys(aws_env: AwsEnv, aws_ctx: RecordingAuthContext) -> None:
    aws_env.set(AWS_ACCESS_KEY_ID="AKIAPARTIALEXAMPLE01", AWS_REGION="eu-west-1")
    with pytest.raises(CredentialsError) as partial:
        await AwsAuthProvider().login_request(config(), aws_ctx)
    assert partial.value.message == ("cannot get AWS credentials: PartialCredentialsError: Partial credentials "
                                     "found in env, missing: AWS_SECRET_ACCESS_KEY")
