"""Helpers for the aws plugin tests (no fixtures here: those are in aws_fixtures)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from vault_access_operator.plugin import LoginDeniedError, LoginRequest
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.testing import RecordingAuthContext, send_login
from vault_access_operator.vault import TokenGrant

IRSA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl"


@dataclasses.dataclass
class AwsEnv:
    """Sets the environment botocore reads, as EKS would inject it (monkeypatch: undone per test)."""

    monkeypatch: pytest.MonkeyPatch
    tmp_path: Path

    def set(self, **values: str) -> None:
        for name, value in values.items():
            self.monkeypatch.setenv(name, value)

    def keys(self, access_key: str, secret_key: str, region: str = "eu-west-1") -> None:
        self.set(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key, AWS_DEFAULT_REGION=region)

    def irsa(self, role_arn: str, sts_url: str, region: str = "eu-west-1", token: str = IRSA_TOKEN) -> Path:
        token_file = self.tmp_path / "eks.amazonaws.com" / "serviceaccount" / "token"
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(token)
        self.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=role_arn,
                 AWS_ROLE_SESSION_NAME="vault-access-operator", AWS_ENDPOINT_URL_STS=sts_url,
                 AWS_DEFAULT_REGION=region, AWS_REGION=region)
        return token_file


@dataclasses.dataclass
class FakeImds:
    server: HTTPServer
    document: dict[str, Any]
    pkcs7: str
    token: str = "imds-session-token-AQAEAFakeToken"
    requests: list[str] = dataclasses.field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def handle(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.path}")
        if request.path == "/latest/api/token":
            ok = request.method == "PUT" and request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            return Response(self.token if ok else "", status=200 if ok else 400)
        if request.headers.get("X-aws-ec2-metadata-token") != self.token:
            return Response("", status=401)  # IMDSv2 only: no token, no answer
        answers = {
            "/latest/meta-data/placement/region": self.document["region"],
            "/latest/dynamic/instance-identity/document": json.dumps(self.document, indent=2),
            "/latest/dynamic/instance-identity/pkcs7": self.pkcs7,
        }
        return Response(answers[request.path]) if request.path in answers else Response("", status=404)


def vault_login(address: str, request: LoginRequest) -> TokenGrant:
    """Send the provider's request the way the core does (its real Vault transport)."""
    return send_login(address, request)


async def login_and_explain(provider: AwsAuthProvider, config: AwsAuthConfig, ctx: RecordingAuthContext,
                            address: str) -> tuple[LoginRequest, str]:
    """Log in expecting Vault to refuse; returns the request and the provider's explanation."""
    request = await provider.login_request(config, ctx)
    with pytest.raises(LoginDeniedError) as denied:
        await asyncio.to_thread(vault_login, address, request)
    return request, provider.explain_login_error(config, request, 403, denied.value.message)
