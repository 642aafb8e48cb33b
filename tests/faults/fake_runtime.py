"""One ConnectionRuntime on a fake clock with a fake Vault session: timing faults without real time or I/O."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime
from typing import Any, cast

from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.provider import LoginRequest
from vault_access_operator.redact import Redactor
from vault_access_operator.registry import ProviderRegistry
from vault_access_operator.reporting import Reporter
from vault_access_operator.runtime import ConnectionRuntime
from vault_access_operator.runtime_deps import ConnectionSession, RuntimeDeps
from vault_access_operator.status import Observation
from vault_access_operator.validation import ValidatedConnection, validate_spec
from vault_access_operator.vault import Health, TokenGrant

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@dataclasses.dataclass
class Recorder:
    """A status sink and event poster that keep everything a Reporter writes; its clock is ``clock``."""

    statuses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    events: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    clock: list[datetime.datetime] = dataclasses.field(default_factory=lambda: [T0])
    involved: list[dict[str, str]] = dataclasses.field(default_factory=list)

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        self.statuses.append(copy.deepcopy(status))
        return True

    async def post(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        self.involved.append(involved)
        self.events.append((kind, reason, message))

    def now(self) -> datetime.datetime:
        return self.clock[0]

    def reporter(self, name: str, obs: Observation, redactor: Redactor | None = None) -> Reporter:
        redactor = redactor or Redactor()
        events = EventEmitter(lambda: VAULT_CONNECTION.ref(name, uid=obs.uid), self.post, redactor)
        return Reporter(name, obs, self, events, self.now, redactor)


class FakeSession:
    """Stands in for VaultSession: Vault always answers, instantly; every call is logged with the fake time."""

    def __init__(self, clock: list[datetime.datetime], ttl: float, max_calls: int) -> None:
        self.clock, self.ttl, self.max_calls = clock, ttl, max_calls
        self.calls: list[tuple[str, datetime.datetime]] = []

    def _call(self, what: str) -> None:
        self.calls.append((what, self.clock[0]))
        if len(self.calls) >= self.max_calls:  # a runtime that never sleeps would never stop otherwise
            raise Stop

    def _grant(self, what: str) -> TokenGrant:
        self._call(what)
        return TokenGrant(token="t" * 24, accessor="accessor", ttl=self.ttl, renewable=True)

    async def health(self) -> Health:
        return Health(initialized=True, sealed=False, version="2.7.2")

    async def login_request(self, validated: ValidatedConnection) -> LoginRequest:
        return LoginRequest(mount=validated.mount, body={"role": "r"})

    async def login(self, request: LoginRequest) -> TokenGrant:
        return self._grant("login")

    async def renew(self) -> TokenGrant:
        return self._grant("renew")

    async def lookup_self(self) -> None:
        self._call("lookup")

    async def revoke_quietly(self) -> None:
        return None

    def close(self) -> None:
        return None


class Stop(BaseException):  # not an Exception: the runtime catches those
    pass


@dataclasses.dataclass
class Run:
    statuses: list[dict[str, Any]]
    calls: list[tuple[str, datetime.datetime]]
    events: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(1 for call, _ in self.calls if call == what)


def run_runtime(registry: ProviderRegistry, interval: str, *, ttl: float = 3600.0, seconds: float = 1e9,
                steps: int = 1000, max_calls: int = 5000, session_class: type[FakeSession] = FakeSession,
                backoff: Backoff | None = None, start: datetime.datetime = T0) -> Run:
    """Drive one runtime from ``start`` until ``seconds`` of fake time, ``steps`` sleeps or ``max_calls`` Vault
    calls."""
    spec = {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}}, "healthCheckInterval": interval}
    validated = validate_spec(spec, registry)
    now, sleeps = [start], [0]
    recorder = Recorder(clock=now)  # status is stamped by the clock the runtime sleeps on

    async def sleep(delay: float) -> None:
        sleeps[0] += 1
        now[0] += datetime.timedelta(seconds=min(delay, 86400.0))
        if sleeps[0] > steps or (now[0] - start).total_seconds() > seconds:
            raise Stop

    session = session_class(now, ttl, max_calls)
    # FakeSession has what the runtime itself calls, not what other controllers borrow the session for.
    as_session = cast(ConnectionSession, session)
    deps = RuntimeDeps(context_factory=lambda name: None,  # type: ignore[arg-type,return-value]
                       reporter_factory=recorder.reporter, backoff=backoff or Backoff(), clock=recorder.now,
                       sleep=sleep, random=lambda: 0.5, session_factory=lambda *_: as_session)
    runtime = ConnectionRuntime("fake", 1, validated, deps)
    try:
        asyncio.run(runtime.run())
    except Stop:
        pass
    return Run(recorder.statuses, session.calls, recorder.events)
