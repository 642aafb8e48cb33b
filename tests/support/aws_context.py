"""An AuthContext for calling the aws provider directly, plus an env isolator for botocore."""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest

from vault_access_operator.plugin import SecretNotFoundError, ServiceAccountToken
from vault_access_operator.redact import Redactor

NAMESPACE = "vault-access-operator-system"
SERVICE_ACCOUNT = "vault-access-operator-controller-manager"


class FakeAuthContext:
    """Satisfies vault_access_operator.AuthContext without a cluster."""

    def __init__(self, connection_name: str = "vault-aws", now: datetime.datetime | None = None,
                 secrets: dict[tuple[str, str, str], str] | None = None) -> None:
        self.connection_name = connection_name
        self.operator_namespace = NAMESPACE
        self.operator_service_account = SERVICE_ACCOUNT
        self.redactor = Redactor()
        self.logger = logging.getLogger("tests.aws")
        self.secrets = dict(secrets or {})
        self.fixed_now = now
        self._session: aiohttp.ClientSession | None = None

    def now(self) -> datetime.datetime:
        return self.fixed_now or datetime.datetime.now(datetime.UTC)

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        try:
            value = self.secrets[(namespace, name, key)]
        except KeyError:
            raise SecretNotFoundError(f"Secret {namespace}/{name} has no key {key!r}") from None
        self.remember_secret(value)
        return value

    async def request_service_account_token(self, namespace: str, name: str, audiences: Sequence[str],
                                            duration_seconds: int) -> ServiceAccountToken:
        raise AssertionError("the aws provider does not request service-account tokens")

    def http_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    def remember_secret(self, value: str) -> None:
        self.redactor.remember(value)

    def is_remembered(self, value: str) -> bool:
        return self.redactor(value) != value

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* from the developer's shell, no ~/.aws files, no IMDS: botocore sees only what a test sets."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
