"""AWS credentials from botocore's own chain, kept per credential config and refreshed by botocore.

Why a long-lived botocore session: its credentials for IRSA (web identity), EKS Pod Identity
(container credentials) and instance profiles are *refreshable*, so keeping the session
and calling ``get_frozen_credentials()`` on every login yields valid credentials hours after
start (the bug behind external-secrets#6595). Nothing is ever copied into ``os.environ``.

Everything here blocks (file and network I/O); the provider calls it in a worker thread.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, ReadOnlyCredentials, RefreshableCredentials

from .config import DEFAULT_SESSION_NAME

# Short timeouts so that an unreachable STS becomes a clear error well within the core's
# login timeout, instead of botocore's default 60 s x 5 attempts.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})


class NoCredentialsFound(Exception):
    """botocore's chain found no credentials at all."""


class WebIdentityMisconfigured(Exception):
    """AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: IRSA is half configured."""


@dataclasses.dataclass(frozen=True)
class SourceKey:
    """What makes two credential sources different; equal keys share one botocore session."""

    region: str
    sts_endpoint: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str | None = None


@dataclasses.dataclass(frozen=True)
class ResolvedCredentials:
    frozen: ReadOnlyCredentials = dataclasses.field(repr=False)
    method: str  # botocore's name for the source: env, assume-role-with-web-identity, container-role...
    role_arn: str | None = None  # the IAM role whose session signs, when known without an AWS call
    caller_arn: str | None = None  # the exact ARN STS will report, when known


class CredentialSource:
    """One botocore session, plus an optional AssumeRole hop on top of its credentials."""

    def __init__(self, key: SourceKey, env: dict[str, str] | None = None) -> None:
        self.key = key
        self._env = env if env is not None else os.environ
        self._session = botocore.session.Session()
        self._session.set_config_variable("region", key.region)  # IRSA exchange goes to the same region
        self._session.set_default_client_config(_CLIENT_CONFIG)
        self._lock = threading.Lock()
        self._base: Credentials | None = None
        self._chained: RefreshableCredentials | None = None
        self._caller_arn: str | None = None

    def resolve(self) -> ResolvedCredentials:
        """Current credentials; botocore refreshes expiring ones here. Raises botocore errors."""
        with self._lock:
            base = self._base_credentials()
            if self.key.role_arn is None:
                frozen = base.get_frozen_credentials()
                return ResolvedCredentials(frozen, str(base.method), role_arn=self._web_identity_role(base))
            if self._chained is None:
                self._chained = RefreshableCredentials.create_from_metadata(
                    metadata=self._assume_role(), refresh_using=self._assume_role, method="assume-role"
                )
            frozen = self._chained.get_frozen_credentials()
            return ResolvedCredentials(frozen, "assume-role", role_arn=self.key.role_arn, caller_arn=self._caller_arn)

    def _base_credentials(self) -> Credentials:
        if self._base is None:
            if self._env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and not self._env.get("AWS_ROLE_ARN"):
                # botocore would skip web identity and fall back to, say, the node's instance
                # role: a silent identity switch (vault-secrets-operator#290). Refuse instead.
                raise WebIdentityMisconfigured()
            self._base = self._session.get_credentials()  # None is not cached: retried next login
            if self._base is None:
                raise NoCredentialsFound()
        return self._base

    def _web_identity_role(self, base: Credentials) -> str | None:
        return self._env.get("AWS_ROLE_ARN") if base.method == "assume-role-with-web-identity" else None

    def _assume_role(self) -> dict[str, Any]:
        """AssumeRole with the (fresh) base credentials; botocore calls it again before expiry."""
        assert self._base is not None and self.key.role_arn is not None
        base = self._base.get_frozen_credentials()
        client = self._session.create_client(
            "sts",
            region_name=self.key.region,
            endpoint_url=self.key.sts_endpoint,
            aws_access_key_id=base.access_key,
            aws_secret_access_key=base.secret_key,
            aws_session_token=base.token,
        )
        params: dict[str, Any] = {
            "RoleArn": self.key.role_arn,
            "RoleSessionName": self.key.session_name or DEFAULT_SESSION_NAME,
        }
        if self.key.external_id:
            params["ExternalId"] = self.key.external_id
        try:
            answer = client.assume_role(**params)
        finally:
            client.close()
        self._caller_arn = answer["AssumedRoleUser"]["Arn"]
        creds = answer["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }


class SourceCache:
    """Credential sources by key, least recently used dropped past ``size``."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._sources: collections.OrderedDict[SourceKey, CredentialSource] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: SourceKey) -> CredentialSource:
        with self._lock:
            source = self._sources.pop(key, None) or CredentialSource(key)
            self._sources[key] = source
            while len(self._sources) > self._size:
                self._sources.popitem(last=False)
            return source
