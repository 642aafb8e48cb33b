"""The :class:`~vault_access_operator.provider.AuthContext` the core gives each provider."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import aiohttp

from .clock import Clock, utc_now
from .errors import CredentialsError, Reason
from .kube import KubeClient
from .provider import ServiceAccountToken
from .redact import REDACTOR, Redactor
from .trust import TrustPolicy, check_secret, check_token_request, mounted_token_refused

DEFAULT_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
AUTH_LOG = logging.getLogger("vault_access_operator.auth")  # what plugins log through their context


@dataclasses.dataclass
class OperatorIdentity:
    """Who the operator runs as (from OPERATOR_NAMESPACE / OPERATOR_SERVICE_ACCOUNT)."""

    namespace: str = "vault-access-operator-system"
    service_account: str = "vault-access-operator-controller-manager"
    token_file: str = DEFAULT_TOKEN_FILE


@dataclasses.dataclass
class CoreAuthContext:
    """Concrete AuthContext: Kubernetes access, HTTP, clock and a redacting logger.

    Every Secret read and TokenRequest a plugin makes goes through the operator's trust policy.
    """

    connection_name: str
    identity: OperatorIdentity
    kube: KubeClient
    session_factory: Callable[[], aiohttp.ClientSession]
    clock: Clock = utc_now  # the app passes its own (core/clock.py)
    redactor: Redactor = REDACTOR
    logger: logging.Logger = AUTH_LOG  # one logger, not a getLogger call (it takes logging's lock) per context
    trust: TrustPolicy = dataclasses.field(default_factory=TrustPolicy)
    _held: list[str] = dataclasses.field(default_factory=list)  # remembered for the current login attempt

    def _hold(self, value: str) -> None:
        self.redactor.remember(value)
        self._held.append(value)

    def release_secrets(self) -> None:
        """Forget what this connection's last login attempt remembered (a new attempt begins, or the end)."""
        held, self._held = self._held, []
        for value in held:
            self.redactor.forget(value)

    @property
    def operator_namespace(self) -> str:
        return self.identity.namespace

    @property
    def operator_service_account(self) -> str:
        return self.identity.service_account

    def now(self) -> datetime.datetime:
        return self.clock()

    def remember_secret(self, value: str) -> None:
        self._hold(value)

    def http_session(self) -> aiohttp.ClientSession:
        return self.session_factory()

    def check_secret(self, namespace: str, name: str, field: str | None = None) -> None:
        """Raise TrustPolicyError unless the trust policy lets the operator read Secret ``namespace/name``."""
        check_secret(self.trust, self.identity.namespace, namespace, name, field)

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        self.check_secret(namespace, name)
        value = await self.kube.read_secret(namespace, name, key)
        self._hold(value)
        return value

    async def request_service_account_token(
        self, namespace: str, name: str, audiences: Sequence[str], duration_seconds: int
    ) -> ServiceAccountToken:
        own_account = (self.identity.namespace, self.identity.service_account)
        check_token_request(self.trust, own_account, namespace, name, audiences, duration_seconds)
        try:
            token, expires = await self.kube.create_token(namespace, name, audiences, duration_seconds)
        except CredentialsError as error:
            if error.reason != Reason.TOKEN_REQUEST_FORBIDDEN or (namespace, name) != own_account:
                raise
            if not self.trust.allow_mounted_token:
                raise mounted_token_refused(error.message) from None
            return self._mounted_token(error)
        self._hold(token)
        return ServiceAccountToken(token=token, expires_at=expires, source="TokenRequest")

    def _mounted_token(self, cause: CredentialsError) -> ServiceAccountToken:
        # The pod's own projected token: its audience is the API server's, not the requested one
        # (sending it to Vault is an opt-in of the operator's administrator: allow_mounted_token).
        path = Path(self.identity.token_file)
        try:
            token = path.read_text().strip()
        except OSError:
            raise CredentialsError(f"{cause.message}; no mounted service-account token at {path} either") from None
        self._hold(token)
        self.logger.warning("TokenRequest forbidden; using the mounted service-account token at %s", path)
        return ServiceAccountToken(token=token, expires_at=None, source=str(path))
