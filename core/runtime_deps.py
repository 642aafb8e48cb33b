"""What every connection runtime shares, and the Vault session it drives (a protocol tests can fake)."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from .clock import Clock, utc_now
from .context import CoreAuthContext
from .gate import LoginGate
from .health import HealthCache
from .lifecycle import Backoff
from .metrics import Metrics
from .models import VaultConnectionSpec
from .provider import LoginRequest, SuppliedToken
from .reporting import Reporter
from .session import VaultSession
from .status import Observation
from .validation import ValidatedConnection
from .vault import Health, TokenGrant, VaultHTTP
from .vault_api import VaultAPI

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class ConnectionSession(Protocol):
    """What a runtime asks of Vault for one connection (core/session.py's VaultSession; tests' fakes)."""

    async def health(self) -> Health: ...
    async def login_request(self, validated: ValidatedConnection) -> LoginRequest | SuppliedToken: ...
    async def login(self, request: LoginRequest) -> TokenGrant: ...
    async def adopt(self, supplied: SuppliedToken) -> tuple[TokenGrant, dict[str, str]]: ...
    async def renew(self) -> TokenGrant: ...
    async def lookup_self(self) -> None: ...
    async def revoke_quietly(self) -> None: ...
    def close(self) -> None: ...
    async def api(self) -> VaultAPI: ...

    # What the connection registry (core/connections.py) needs to lend the session to other controllers.
    on_token: Callable[[], None]

    @property
    def has_token(self) -> bool: ...
    async def borrow(self, call: Callable[[VaultAPI, str], Awaitable[T]], namespace: str | None = None) -> T: ...


#: Builds a connection's session from its spec, its auth context and the Vault HTTP pool and health cache.
SessionFactory = Callable[[VaultConnectionSpec, CoreAuthContext, VaultHTTP, HealthCache], ConnectionSession]


@dataclasses.dataclass
class RuntimeDeps:
    """What every connection runtime shares; tests swap the clock, sleep, randomness and Vault session."""

    context_factory: Callable[[str], CoreAuthContext]
    reporter_factory: Callable[[str, Observation], Reporter]
    backoff: Backoff = dataclasses.field(default_factory=Backoff)
    clock: Clock = utc_now
    sleep: Sleep = asyncio.sleep
    random: Callable[[], float] = random.random
    metrics: Metrics = dataclasses.field(default_factory=Metrics)
    vault_http: VaultHTTP = dataclasses.field(default_factory=VaultHTTP)
    login_gate: LoginGate = dataclasses.field(default_factory=LoginGate)
    health_cache: HealthCache = dataclasses.field(default_factory=HealthCache)
    session_factory: SessionFactory = VaultSession
