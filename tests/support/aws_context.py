"""The AuthContext for calling the aws provider directly (the plugin kit's), plus an env isolator for botocore."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from vault_access_operator.testing import RecordingAuthContext

NAMESPACE = "vault-access-operator-system"
SERVICE_ACCOUNT = "vault-access-operator-controller-manager"


def aws_context() -> RecordingAuthContext:
    """The plugin kit's context as the aws tests need it: the wall clock, because requests are signed with
    ``ctx.now()`` and checked by moto and the Vault double; no service-account tokens (the aws method
    asks for none: a request fails the test with CredentialsError)."""
    return RecordingAuthContext(connection_name="vault-aws", now=datetime.datetime.now(datetime.UTC),
                                operator_namespace=NAMESPACE, operator_service_account=SERVICE_ACCOUNT)


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* from the developer's shell, no ~/.aws files, no IMDS: botocore sees only what a test sets."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
