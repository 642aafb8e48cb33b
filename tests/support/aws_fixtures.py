"""pytest fixtures for the aws plugin tests: moto STS, the Vault double, a fake IMDS, a context.

Load them as a plugin from a test module: ``pytest_plugins = ["tests.support.aws_fixtures"]``
(tests/conftest.py belongs to the whole suite and is not touched by this plugin).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from pytest_httpserver import HTTPServer

from tests.support.aws_context import aws_context, isolate_aws_env
from tests.support.aws_helpers import AwsEnv, FakeImds
from tests.support.aws_moto import ACCOUNT, MotoAws, allow_unsigned_web_identity, shared_moto
from tests.support.aws_vault_double import AwsVaultDouble
from tests.support.aws_vault_ec2 import identity_document, sign_document
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.openbao import OpenBaoServer


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsEnv:
    isolate_aws_env(monkeypatch, tmp_path)
    return AwsEnv(monkeypatch, tmp_path)


@pytest.fixture
def moto_aws() -> Iterator[MotoAws]:
    """Fresh moto state; call ``moto_aws.signatures(True)`` after creating users and roles."""
    moto = shared_moto()
    moto.reset()
    with allow_unsigned_web_identity():
        yield moto
    moto.signatures(False)


@pytest_asyncio.fixture
async def aws_ctx() -> AsyncIterator[RecordingAuthContext]:
    ctx = aws_context()
    yield ctx
    await ctx.aclose()


@pytest.fixture
def vault_double(moto_aws: MotoAws) -> Iterator[AwsVaultDouble]:
    """The Vault auth/aws double alone (fake tokens), verifying against moto."""
    with AwsVaultDouble(sts_endpoint=moto_aws.url) as double:
        yield double


@pytest.fixture
def vault_double_bao(moto_aws: MotoAws, openbao: OpenBaoServer) -> Iterator[AwsVaultDouble]:
    """The double in front of a real OpenBao dev server: real tokens, renewal and health."""
    with AwsVaultDouble(sts_endpoint=moto_aws.url, upstream=openbao) as double:
        yield double


@pytest.fixture
def fake_imds(httpserver: HTTPServer, aws_env: AwsEnv) -> FakeImds:
    """An IMDSv2 on 127.0.0.1, wired in through AWS_EC2_METADATA_SERVICE_ENDPOINT (as botocore reads it)."""
    document = identity_document(account_id=ACCOUNT)
    imds = FakeImds(httpserver, document, sign_document(document))
    for path in ("/latest/api/token", "/latest/meta-data/placement/region", "/latest/dynamic/instance-identity/pkcs7",
                 "/latest/dynamic/instance-identity/document"):
        httpserver.expect_request(path).respond_with_handler(imds.handle)
    aws_env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url, AWS_EC2_METADATA_DISABLED="false")
    return imds

