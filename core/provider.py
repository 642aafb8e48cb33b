"""The contract between the core and an auth plugin.

A provider turns its validated config plus a :class:`AuthContext` into a :class:`LoginRequest`
(or, for a method without a login, a :class:`SuppliedToken`). It does no Vault I/O: the core sends
the request, and owns TLS, retries, backoff, token renewal, status, events and metrics for every
plugin alike.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import aiohttp
import pydantic

ConfigT = TypeVar("ConfigT", bound=pydantic.BaseModel)


@dataclasses.dataclass(frozen=True)
class LoginRequest:
    """One Vault login: ``PUT /v1/auth/<mount>/<path>`` with ``body`` and ``headers``.

    ``details`` are non-secret facts worth showing on status (a region, the ARN presented),
    rendered under ``status.authStatus.details``; they are only that. Never put credentials there.
    ``private`` is the provider's own: what its ``explain_login_error`` wants back from the login it
    built. The core never shows, logs or stores it (it is not in the repr either).
    ``role`` names what the login asks for (a Vault role), for the core's generic denial message.
    """

    mount: str
    body: Mapping[str, Any]
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    path: str = "login"
    details: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: True: never renew the token; log in again when it is due (``renewalStrategy: reauth``).
    reauth: bool = False
    role: str | None = None
    private: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        # The body holds credentials (JWTs, signed requests): keep it out of reprs and logs.
        return f"LoginRequest(mount={self.mount!r}, path={self.path!r}, fields={sorted(self.body)})"


@dataclasses.dataclass(frozen=True)
class SuppliedToken:
    """An existing Vault token a provider hands the core instead of a login (``spec.auth.token``).

    ``login_request`` may return one in place of a :class:`LoginRequest`. The core then sends no login: it
    looks the token up (``auth/token/lookup-self``: TTL, renewable, accessor, policies), checks and renews it
    like a token from a login, and never revokes it (the operator did not create it). When Vault rejects it
    (expired, revoked) the connection is an Error whose message names ``source`` and says to replace the
    token there; every retry calls ``login_request`` again, so a replaced value is picked up without a spec
    change. ``source`` says where the token came from (a Secret and key), never the token itself; ``details``
    are shown on status as :attr:`LoginRequest.details` are.
    """

    token: str = dataclasses.field(repr=False)
    source: str
    details: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ServiceAccountToken:
    """A JWT from the TokenRequest API (or a mounted token file) and its expiry."""

    token: str = dataclasses.field(repr=False)
    expires_at: datetime.datetime | None
    source: str  # "TokenRequest" or the file path: shown in messages, never the token


@dataclasses.dataclass(frozen=True)
class PlannedToken:
    """A TokenRequest a login will make, declared before it (see :meth:`AuthProvider.planned_tokens`)."""

    namespace: str
    name: str
    audiences: tuple[str, ...]
    seconds: int


class AuthContext(Protocol):
    """What the core hands a provider: everything it may need, with no global state."""

    # Read-only to a provider: properties, so a context may derive them (the core's reads its identity).
    @property
    def connection_name(self) -> str: ...

    @property
    def operator_namespace(self) -> str: ...

    @property
    def operator_service_account(self) -> str: ...

    @property
    def logger(self) -> logging.Logger:
        """A logger that redacts secrets."""
        ...

    def now(self) -> datetime.datetime:
        """The current time (timezone-aware UTC); injected so tests control it."""
        ...

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        """Value of ``key`` in Secret ``namespace/name``; raises SecretNotFoundError, or TrustPolicyError
        when the operator's trust policy does not allow Secrets of that namespace."""
        ...

    async def request_service_account_token(
        self,
        namespace: str,
        name: str,
        audiences: Sequence[str],
        duration_seconds: int,
    ) -> ServiceAccountToken:
        """A fresh token for a service account from the TokenRequest API.

        Falls back to the operator's mounted token file when TokenRequest is forbidden, the
        account is the operator's own and the operator allows it (--allow-mounted-token); raises
        CredentialsError otherwise. Raises TrustPolicyError (ForbiddenByPolicy) for an account,
        audience or lifetime the operator's trust policy refuses.
        """
        ...

    def http_session(self) -> aiohttp.ClientSession:
        """A shared HTTP session for credential sources (IMDS, identity providers)."""
        ...

    def remember_secret(self, value: str) -> None:
        """Register a secret value so logs, status and events mask it wherever it appears.

        It stays registered until the connection's next login attempt (or its removal): a login
        builds its secrets afresh, so values from earlier logins do not pile up.
        """
        ...


class SetupVault(Protocol):
    """The Vault calls a set-up step makes (the core's generic client); the token is passed to each call.

    Refusals raise :class:`VaultAccessError` subclasses whose messages name the address, path and Vault's text.
    """

    async def read(self, path: str, *, token: str) -> dict[str, Any] | None:
        """The ``data`` object at ``path``; None when nothing is there (404)."""
        ...

    async def write(self, path: str, data: dict[str, Any] | None = None, *, token: str) -> dict[str, Any] | None:
        """PUT ``data`` to ``path``; the answer's ``data`` object, if any."""
        ...

    async def request(
        self, method: str, path: str, *, token: str | None, json: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        """Any other call (``sys/auth`` listing, ``revoke-self``): the whole JSON answer, or None."""
        ...


@dataclasses.dataclass(frozen=True)
class SetupTarget:
    """The login a set-up block prepares: the method beside it under ``spec.auth``, validated."""

    method: str
    mount: str
    config: pydantic.BaseModel


class SetupRun(Protocol):
    """What the core offers one run of :meth:`AuthProvider.set_up`."""

    vault: SetupVault

    def record(self, step: str, outcome: str) -> None:
        """Record a step on status (``authStatus.setup.steps``): ``Done``, ``AlreadyInPlace`` or ``Failed``.

        Record a step only once it happened (or was found in place): status never claims more.
        """
        ...

    async def test_login(self) -> None:
        """Log in with the target method now, as the connection's runtime does; the core keeps the token.

        Raises the login's error (:class:`LoginDeniedError` when Vault refuses it).
        """
        ...


class AuthProvider(abc.ABC, Generic[ConfigT]):
    """Base class of an auth method. Subclass it once per ``spec.auth`` key.

    Class attributes:
      key: the block name under ``spec.auth`` (``aws``, ``kubernetes``...).
      config_model: a strict pydantic model of that block, with camelCase aliases.
    """

    key: ClassVar[str]
    config_model: ClassVar[type[pydantic.BaseModel]]
    #: Seconds the core waits for ``login_request`` before reporting a hung plugin.
    login_request_timeout: ClassVar[float] = 60.0

    @abc.abstractmethod
    def mount(self, config: ConfigT) -> str:
        """The Vault auth mount ``config`` logs in at, without outer slashes (``kubernetes``, ``team/jwt``).

        The default belongs in the config model's field, so that the API reference shows it.
        """

    @abc.abstractmethod
    async def login_request(self, config: ConfigT, ctx: AuthContext) -> LoginRequest | SuppliedToken:
        """Build the login request from fresh credentials. No Vault I/O here.

        A method that logs in with an existing token (no login endpoint) returns a :class:`SuppliedToken`.
        """

    def planned_tokens(self, config: ConfigT, ctx: AuthContext) -> Sequence[PlannedToken]:
        """The TokenRequests ``login_request`` will make for ``config``; no I/O (only ctx's operator_* names).

        The core checks them against the operator's trust policy before it sends anything to Vault,
        so a refused spec never reaches the spec's address. The context enforces the policy on every
        request as well; declaring them just makes the refusal come first. Default: none declared.
        """
        return ()

    def explain_login_error(self, config: ConfigT, request: LoginRequest, status: int, errors: str) -> str | None:
        """Turn Vault's answer to a failed login into a message saying what to fix.

        ``errors`` is Vault's own error text. Return None to use the core's generic message.
        """
        return None

    #: The ``spec.auth`` keys this block sets up instead of logging in itself (``bootstrap``: kubernetes). A
    #: set-up block sits beside one of them; the core runs :meth:`set_up` when that method's login is refused.
    sets_up: ClassVar[frozenset[str]] = frozenset()
    #: The status condition a set-up block reports (``Bootstrapped``).
    setup_condition: ClassVar[str] = "SetUp"

    async def set_up(self, config: ConfigT, target: SetupTarget, run: SetupRun, ctx: AuthContext) -> str | None:
        """Prepare Vault for ``target``'s login, once, then call ``run.test_login()``; only for ``sets_up`` providers.

        Idempotent: read before each write, so a retry after a partial failure finishes the job without
        doing any step twice. Raise a :class:`VaultAccessError` naming what to fix when a step fails.
        Returns a one-line summary for the condition's message (no secrets).
        """
        raise NotImplementedError(f"{type(self).__name__} sets nothing up")

    async def tear_down(
        self, config: ConfigT, target: SetupTarget, vault: SetupVault, token: str, ctx: AuthContext
    ) -> str | None:
        """Undo what :meth:`set_up` made, when the VaultConnection is deleted, with the connection's own ``token``.

        Only for ``sets_up`` providers, and only on deletion (not on a spec edit or a hand-over to another
        replica). Returns a one-line summary for a Normal event, or None when there was nothing to undo;
        raise a :class:`VaultAccessError` when undoing failed (a Warning event). Default: nothing to undo.
        """
        return None

    def connection_removed(self, connection_name: str) -> None:
        """Drop whatever the provider keeps for ``connection_name``: this provider no longer serves it.

        The core calls it when the VaultConnection is deleted, when an object of the same name replaces
        it, and when its spec changes to another auth method; not on an edit that keeps the method (state
        such as a login nonce must survive that). Keep per-connection state only in maps this method
        prunes, so memory stays bounded as connections come and go. Default: nothing to drop.
        """
        return None

