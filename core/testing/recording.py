"""An AuthContext for plugin tests: no cluster, a fixed clock, and a record of every secret handed out.

Secrets and service-account tokens come from dicts you pass. With ``fake_missing=True`` anything
not in them is invented instead: a recognisable random value (a JWT-shaped one for service-account
tokens), so a provider can be run with any config. Every value handed out is kept in
:attr:`RecordingAuthContext.handed_out`, which is what the contract check searches for leaks.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import logging
import secrets as _random
from collections.abc import Callable, Mapping, Sequence

import aiohttp

from ..errors import CredentialsError, SecretNotFoundError
from ..provider import ServiceAccountToken

#: The clock every RecordingAuthContext starts with (override with ``now=``).
FIXED_NOW = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
#: A leak check also flags any this many consecutive characters of a secret.
PART = 16
SecretKey = tuple[str, str, str]  # (namespace, name, key)
TokenFactory = Callable[[str, str, Sequence[str], int], str]  # (namespace, name, audiences, seconds) -> token


@dataclasses.dataclass(frozen=True)
class SecretRead:
    namespace: str
    name: str
    key: str


@dataclasses.dataclass(frozen=True)
class TokenRequestCall:
    namespace: str
    name: str
    audiences: tuple[str, ...]
    duration_seconds: int


def fake_jwt(claims: Mapping[str, object]) -> str:
    """A JWT-shaped token with ``claims`` and a random (invalid) signature: parses, never verifies."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "vao-recording"}).encode())
    payload = part(json.dumps(dict(claims), separators=(",", ":")).encode())
    return f"{header}.{payload}.{part(_random.token_bytes(32))}"


class RecordingAuthContext:
    """Implements :class:`vault_access_operator.AuthContext` for tests, without Kubernetes."""

    def __init__(
        self,
        secrets: Mapping[SecretKey, str] | None = None,
        service_account_tokens: Mapping[tuple[str, str], str] | TokenFactory | None = None,
        *,
        fake_missing: bool = False,
        now: datetime.datetime = FIXED_NOW,
        connection_name: str = "test-connection",
        operator_namespace: str = "vault-access-operator-system",
        operator_service_account: str = "vault-access-operator-controller-manager",
        http_session: Callable[[], aiohttp.ClientSession] | None = None,
    ) -> None:
        self.secrets: dict[SecretKey, str] = dict(secrets or {})
        self.service_account_tokens = service_account_tokens if callable(service_account_tokens) else dict(
            service_account_tokens or {}
        )
        self.fake_missing = fake_missing
        self.clock = now
        self.connection_name = connection_name
        self.operator_namespace = operator_namespace
        self.operator_service_account = operator_service_account
        self.logger = logging.getLogger(f"vault_access_operator.testing.{connection_name}")
        self._http_session = http_session
        self._session: aiohttp.ClientSession | None = None
        #: Every secret value given to the provider, in order: nothing here may leak.
        self.handed_out: list[str] = []
        #: Values the provider registered with remember_secret.
        self.remembered: set[str] = set()
        self.secret_reads: list[SecretRead] = []
        self.token_requests: list[TokenRequestCall] = []

    # -- setup -------------------------------------------------------------------------------
    def add_secret(self, namespace: str, name: str, key: str, value: str) -> None:
        self.secrets[(namespace, name, key)] = value

    # -- the AuthContext protocol ------------------------------------------------------------
    def now(self) -> datetime.datetime:
        return self.clock

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        self.secret_reads.append(SecretRead(namespace, name, key))
        value = self.secrets.get((namespace, name, key))
        if value is None and self.fake_missing:
            value = self.secrets[(namespace, name, key)] = f"vao-fake-secret-{_random.token_hex(12)}"
        if value is None:
            raise SecretNotFoundError(f"Secret {namespace}/{name} has no key {key!r}")
        return self._hand_out(value)

    async def request_service_account_token(
        self, namespace: str, name: str, audiences: Sequence[str], duration_seconds: int
    ) -> ServiceAccountToken:
        self.token_requests.append(TokenRequestCall(namespace, name, tuple(audiences), duration_seconds))
        expires = self.clock + datetime.timedelta(seconds=duration_seconds)
        tokens = self.service_account_tokens
        if callable(tokens):
            token: str | None = tokens(namespace, name, audiences, duration_seconds)
        else:
            token = tokens.get((namespace, name))
        if token is None and self.fake_missing:
            token = fake_jwt(
                {
                    "iss": "https://kubernetes.default.svc.cluster.local",
                    "sub": f"system:serviceaccount:{namespace}:{name}",
                    "aud": list(audiences),
                    "iat": int(self.clock.timestamp()),
                    "nbf": int(self.clock.timestamp()),
                    "exp": int(expires.timestamp()),
                    "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name}},
                }
            )
        if token is None:
            raise CredentialsError(f"no service-account token for {namespace}/{name} in this test context")
        return ServiceAccountToken(token=self._hand_out(token), expires_at=expires, source="TokenRequest")

    def http_session(self) -> aiohttp.ClientSession:
        if self._http_session is not None:
            return self._http_session()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    def remember_secret(self, value: str) -> None:
        self.remembered.add(value)

    # -- helpers -----------------------------------------------------------------------------
    def _hand_out(self, value: str) -> str:
        # The core remembers what it hands out, so the redacting logger masks it; do the same.
        self.handed_out.append(value)
        self.remembered.add(value)
        return value

    def watch_for_leaks(self, *values: str) -> None:
        """Secrets the provider gets elsewhere (environment, files): the leak checks look for them too."""
        self.handed_out.extend(v for v in values if v)

    def leaked_in(self, text: str) -> list[str]:
        """Descriptions (never the values) of handed-out secrets that appear in ``text``."""
        found = []
        for index, value in enumerate(self.handed_out):
            # Also part of a secret: any PART consecutive characters of it (a truncated or edited copy).
            pieces = (value[i : i + PART] for i in range(len(value) - PART + 1))
            if value in text or any(piece in text for piece in pieces):
                found.append(f"secret #{index + 1} handed out ({len(value)} characters)")
        return found

    @property
    def http_session_opened(self) -> bool:
        return self._session is not None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
