"""SigV4 signing of GetCallerIdentity: pure, equal to botocore's own signer, and accepted by moto STS."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_login import ClientConfig, LoginRejected, parse_request, submit_caller_identity
from vault_access_operator.plugins.aws_iam.signing import (
    GET_CALLER_IDENTITY_BODY,
    regional_sts_endpoint,
    sign_get_caller_identity,
)

pytest_plugins = ["tests.support.aws_fixtures"]

NOW = datetime.datetime(2026, 3, 1, 12, 30, 5, tzinfo=datetime.UTC)
CREDS = ReadOnlyCredentials("AKIAEXAMPLEEXAMPLE12", "secret/example/key", None)
TEMP = ReadOnlyCredentials("ASIAEXAMPLEEXAMPLE12", "secret/example/key", "session-token-FwoGZXIvYXdzEXAMPLE")


def _decode(fields: dict[str, str]) -> tuple[str, str, dict[str, list[str]]]:
    url = base64.b64decode(fields["iam_request_url"]).decode()
    body = base64.b64decode(fields["iam_request_body"]).decode()
    return url, body, json.loads(base64.b64decode(fields["iam_request_headers"]))


def test_signing_is_a_pure_function_of_its_inputs() -> None:
    first = sign_get_caller_identity(TEMP, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "vault.example", NOW)
    again = sign_get_caller_identity(TEMP, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "vault.example", NOW)
    later = sign_get_caller_identity(TEMP, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "vault.example",
                                     NOW + datetime.timedelta(seconds=1))
    assert first == again
    assert first.header("Authorization") != later.header("Authorization")
    assert first.header("X-Amz-Date") == "20260301T123005Z"


def test_request_shape_is_what_vault_expects() -> None:
    signed = sign_get_caller_identity(TEMP, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "vault.example", NOW)
    url, body, headers = _decode(signed.login_fields())
    assert signed.login_fields()["iam_http_request_method"] == "POST"
    assert url == "https://sts.eu-west-1.amazonaws.com/"
    assert body == GET_CALLER_IDENTITY_BODY
    assert all(isinstance(v, list) and len(v) == 1 for v in headers.values())  # as Vault's Go client sends
    assert headers["Host"] == ["sts.eu-west-1.amazonaws.com"]
    assert headers["X-Vault-AWS-IAM-Server-ID"] == ["vault.example"]
    assert headers["X-Amz-Security-Token"] == [TEMP.token]
    authorization = headers["Authorization"][0]
    assert "Credential=ASIAEXAMPLEEXAMPLE12/20260301/eu-west-1/sts/aws4_request" in authorization
    signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-vault-aws-iam-server-id", "x-amz-security-token", "x-amz-date"} <= set(signed_headers)
    assert "secret/example/key" not in repr(signed)


def test_no_server_id_header_unless_configured() -> None:
    signed = sign_get_caller_identity(CREDS, "us-west-2", regional_sts_endpoint("us-west-2"), None, NOW)
    assert signed.header("X-Vault-AWS-IAM-Server-ID") is None
    assert signed.header("X-Amz-Security-Token") is None
    assert "x-vault-aws-iam-server-id" not in (signed.header("Authorization") or "")


def test_same_signature_as_botocores_own_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = sign_get_caller_identity(TEMP, "ap-southeast-2", "https://sts.ap-southeast-2.amazonaws.com", "x", NOW)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: NOW.replace(tzinfo=None))
    request = AWSRequest(method="POST", url="https://sts.ap-southeast-2.amazonaws.com/",
                         data=GET_CALLER_IDENTITY_BODY.encode(),
                         headers={"Host": "sts.ap-southeast-2.amazonaws.com",
                                  "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                  "X-Vault-AWS-IAM-Server-ID": "x"})
    SigV4Auth(TEMP, "sts", "ap-southeast-2").add_auth(request)
    assert ours.header("Authorization") == request.headers["Authorization"]


@pytest.mark.parametrize(("region", "endpoint"), [
    ("us-east-1", "https://sts.us-east-1.amazonaws.com"),
    ("eu-central-2", "https://sts.eu-central-2.amazonaws.com"),
    ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"),
    ("us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
])
def test_regional_endpoint_never_global(region: str, endpoint: str) -> None:
    assert regional_sts_endpoint(region) == endpoint


def test_custom_endpoint_host_is_signed() -> None:
    vpce = "https://vpce-0abc-xyz.sts.eu-west-1.vpce.amazonaws.com"
    url, _, headers = _decode(sign_get_caller_identity(CREDS, "eu-west-1", vpce, None, NOW).login_fields())
    assert url == vpce + "/"
    assert headers["Host"] == ["vpce-0abc-xyz.sts.eu-west-1.vpce.amazonaws.com"]
    with pytest.raises(ValueError, match="without a query"):
        sign_get_caller_identity(CREDS, "eu-west-1", vpce + "/?x=1", None, NOW)


# -- replayed to moto STS exactly as Vault replays it ------------------------------------------


def _replay(fields: dict[str, str], moto: MotoAws) -> str:
    config = ClientConfig(sts_endpoint=moto.url)
    method, url, body, headers = parse_request(fields, config)
    return submit_caller_identity(method, url, body, headers, config).arn


def _user_creds(moto: MotoAws) -> ReadOnlyCredentials:
    access_key, secret_key = moto.create_user("alice")
    moto.signatures(True)
    return ReadOnlyCredentials(access_key, secret_key, None)


def test_moto_accepts_the_signed_request(moto_aws: MotoAws) -> None:
    creds = _user_creds(moto_aws)
    for region in ("us-east-1", "eu-west-1"):  # moto honours the forwarded Host and any region scope
        signed = sign_get_caller_identity(creds, region, regional_sts_endpoint(region), "vault.example", NOW)
        assert _replay(signed.login_fields(), moto_aws) == f"arn:aws:iam::{ACCOUNT}:user/alice"


@pytest.mark.parametrize("tamper", ["body", "server-id", "host", "secret"])
def test_moto_rejects_a_tampered_request(moto_aws: MotoAws, tamper: str) -> None:
    creds = _user_creds(moto_aws)
    if tamper == "secret":
        creds = ReadOnlyCredentials(creds.access_key, "not-the-secret", None)
    fields = sign_get_caller_identity(creds, "eu-west-1", regional_sts_endpoint("eu-west-1"), "vault.example",
                                      NOW).login_fields()
    _, _, headers = _decode(fields)
    if tamper == "body":
        fields["iam_request_body"] = base64.b64encode(b"Action=GetCallerIdentity&Version=2011-06-16").decode()
    elif tamper in ("server-id", "host"):
        headers["X-Vault-AWS-IAM-Server-ID" if tamper == "server-id" else "Host"] = ["evil.example"]
        fields["iam_request_headers"] = base64.b64encode(json.dumps(headers).encode()).decode()
        if tamper == "host":
            fields["iam_request_url"] = base64.b64encode(b"https://evil.example/").decode()
    with pytest.raises(LoginRejected, match=r"(?s)received error code 403 from STS.*SignatureDoesNotMatch"):
        _replay(fields, moto_aws)
