"""The Vault auth/aws double itself: Vault's checks, its config API, and real OpenBao tokens behind it."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
from typing import Any

import hvac
import pytest
import requests
from botocore.credentials import ReadOnlyCredentials

from tests.support.aws_helpers import AwsEnv, login_and_explain, vault_login
from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_double import AwsVaultDouble
from tests.support.aws_vault_login import go_canonical
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider, sign_get_caller_identity
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.openbao import OpenBaoServer

pytest_plugins = ["tests.support.aws_fixtures"]
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def login_fields(moto: MotoAws, server_id: str | None = None) -> dict[str, str]:
    access_key, secret_key = moto.create_user("alice")
    moto.signatures(True)
    creds = ReadOnlyCredentials(access_key, secret_key, None)
    signed = sign_get_caller_identity(creds, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", server_id, NOW)
    return {"role": "op", **signed.login_fields()}


def put_login(double: AwsVaultDouble, body: dict[str, Any]) -> requests.Response:
    return requests.put(f"{double.url}/v1/auth/aws/login", json=body, timeout=10)


def test_go_header_canonicalisation() -> None:
    assert go_canonical("X-Vault-AWS-IAM-Server-ID") == "X-Vault-Aws-Iam-Server-Id"
    assert go_canonical("x-amz-date") == "X-Amz-Date"


def test_header_added_after_signing_is_refused(moto_aws: MotoAws, vault_double: AwsVaultDouble) -> None:
    vault_double.configure(iam_server_id_header_value="vault.example.com")
    vault_double.add_role("op", bound_iam_principal_arn=ALICE)
    body = login_fields(moto_aws)  # signed without the header...
    headers = json.loads(base64.b64decode(body["iam_request_headers"]))
    headers["X-Vault-AWS-IAM-Server-ID"] = ["vault.example.com"]  # ...which is then added unsigned
    body["iam_request_headers"] = base64.b64encode(json.dumps(headers).encode()).decode()
    answer = put_login(vault_double, body)
    assert answer.status_code == 400
    errors = ["error validating X-Vault-AWS-IAM-Server-ID header: vault header wasn't signed"]
    assert answer.json() == {"errors": errors}


@pytest.mark.parametrize(("change", "error"), [
    ({"iam_http_request_method": "GET"}, "invalid iam_http_request_method; currently only 'POST' is supported"),
    ({"iam_request_body": base64.b64encode(b"Action=AssumeRole&Version=2011-06-15").decode()},
     "iam request body is invalid"),
    ({"iam_request_url": "%%%"}, "failed to base64 decode iam_request_url"),
    ({"iam_request_headers": ""}, "missing iam_request_headers"),
])
def test_malformed_requests(moto_aws: MotoAws, vault_double: AwsVaultDouble, change: dict[str, str],
                            error: str) -> None:
    answer = put_login(vault_double, {**login_fields(moto_aws), **change})
    assert (answer.status_code, answer.json()) == (400, {"errors": [error]})


def test_success_answers_like_vault(moto_aws: MotoAws, vault_double: AwsVaultDouble) -> None:
    vault_double.add_role("op", bound_iam_principal_arn=f"arn:aws:iam::{ACCOUNT}:user/*", policies="a,b", ttl="15m")
    auth = put_login(vault_double, login_fields(moto_aws)).json()["auth"]
    assert auth["lease_duration"] == 900 and auth["renewable"] is True
    assert auth["policies"] == ["default", "a", "b"] and auth["client_token"] and auth["accessor"]
    assert auth["metadata"]["client_arn"] == ALICE and auth["metadata"]["auth_type"] == "iam"


@pytest.mark.asyncio
async def test_real_openbao_tokens_behind_the_double(aws_env: AwsEnv, moto_aws: MotoAws,
                                                     vault_double_bao: AwsVaultDouble, openbao: OpenBaoServer,
                                                     aws_ctx: RecordingAuthContext) -> None:
    # Configure through Vault's HTTP API, as the guide's `vault write` commands do.
    admin = hvac.Client(url=vault_double_bao.url, token=openbao.root_token)
    admin.sys.create_or_update_policy("vault-access-operator", 'path "sys/policies/acl" { capabilities = ["list"] }')
    access_key, secret_key = moto_aws.create_user("alice")
    admin.write("auth/aws/role/op", auth_type="iam", bound_iam_principal_arn=ALICE,
                policies="vault-access-operator", ttl="2m", max_ttl="10m")
    admin.write("auth/aws/config/client", iam_server_id_header_value="vault.example.com")
    assert admin.read("auth/aws/role/op")["data"]["bound_iam_principal_arn"] == [ALICE]
    moto_aws.signatures(True)
    aws_env.keys(access_key, secret_key)
    cfg = AwsAuthConfig.model_validate({"role": "op", "iamServerIdHeaderValue": "vault.example.com"})
    request = await AwsAuthProvider().login_request(cfg, aws_ctx)
    grant = await asyncio.to_thread(vault_login, vault_double_bao.url, request)
    assert grant.ttl == 120 and grant.renewable
    # The token is OpenBao's own: lookup, renewal and revocation are real, through the proxy too.
    operator = hvac.Client(url=vault_double_bao.url, token=grant.token)
    looked_up = operator.auth.token.lookup_self()["data"]
    assert "vault-access-operator" in looked_up["policies"]
    assert looked_up["meta"]["client_arn"] == ALICE
    assert operator.sys.list_acl_policies()["data"]["keys"]
    assert operator.auth.token.renew_self()["auth"]["lease_duration"] == 120
    operator.auth.token.revoke_self()
    with pytest.raises(hvac.exceptions.Forbidden):
        openbao.client(grant.token).auth.token.lookup_self()
    # A mount the double does not serve goes to OpenBao, which answers as Vault does: 403.
    _, message = await login_and_explain(AwsAuthProvider(), cfg.model_copy(update={"auth_path": "aws-eks"}),
                                         aws_ctx, vault_double_bao.url)
    assert message.startswith('access denied: Vault refused login at auth/aws-eks (Vault said: "permission denied")')
    assert "enabled at path aws-eks" in message
