"""A connection runtime's login path: its Vault session, the login (floor, gate, metrics, set-up, a too short
TTL refused), a new login replacing a token, and the Pending status of a slow first login.

:class:`ConnectionRuntime` (core/runtime.py) adds the steady state on top: health checks, renewals and retries.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Any

from .errors import LoginDeniedError, VaultAccessError
from .lifecycle import Lease
from .provider import LoginRequest, SuppliedToken
from .retries import FailureTracker, short_ttl_error
from .runtime_deps import RuntimeDeps
from .setup_run import SetupRunner
from .status import Observation
from .validation import ValidatedConnection
from .vault import TokenGrant

log = logging.getLogger("vault_access_operator.runtime")  # one logger for the runtime's lines, as before
PENDING_GRACE = 2.0  # seconds before a connection still logging in for the first time shows Pending


class ConnectionLogin:
    """What a connection holds to log in, and the login itself (the base of :class:`ConnectionRuntime`)."""

    def __init__(self, name: str, generation: int | None, validated: ValidatedConnection, deps: RuntimeDeps) -> None:
        self.name = name
        self.validated = validated
        self.deps = deps
        self.obs = Observation(generation=generation, method=validated.method, mount=validated.mount)
        self.reporter = deps.reporter_factory(name, self.obs)
        ctx = deps.context_factory(name)
        self.session = deps.session_factory(validated.spec, ctx, deps.vault_http, deps.health_cache)
        # spec.auth.bootstrap: a one-time set-up before the first login (core/setup_run.py); else nothing.
        self.setup = SetupRunner(validated, ctx, lambda: self.session.api(), self.reporter, deps.clock)
        self.obs.setup = self.setup.state
        self.lease: Lease | None = None
        self._last_check = deps.clock()
        self._last_login: datetime.datetime | None = None  # when the last login attempt started
        # A first attempt quicker than PENDING_GRACE writes only its outcome: one status write and one watch
        # event per connection, not two (bench/README.md). The timer starts with the first login's gate slot
        # (waiting for the login gate is not a slow login) and goes with the first outcome.
        self._pending: asyncio.Task[None] | None = None
        self._pending_settled = False
        self.failures = FailureTracker(deps.backoff, deps.random)

    def _first_outcome(self) -> None:
        """The first login's outcome is known (or the runtime stops): no Pending write any more."""
        self._pending_settled = True
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None  # a finished task is not kept (with its exception) for the runtime's life

    async def _publish_pending_later(self) -> None:
        await self.deps.sleep(PENDING_GRACE)
        # Once sent, a write is not cut short: an outcome written after it must land after it too.
        await asyncio.shield(self.reporter.publish())

    async def _sleep_until(self, moment: datetime.datetime) -> None:
        delay = (moment - self.deps.clock()).total_seconds()
        if delay > 0:
            await self.deps.sleep(delay)

    async def _login(self) -> None:
        if self._last_login is not None:  # the floor between two attempts, whatever Vault answered
            await self._sleep_until(self._last_login + datetime.timedelta(seconds=self.deps.backoff.login_floor))
        async with self.deps.login_gate.slot(self.validated.spec.address):
            if self._pending is None and not self._pending_settled:
                self._pending = asyncio.create_task(self._publish_pending_later())
            self._last_login = self.deps.clock()
            await self._login_counted()

    async def _login_counted(self) -> None:
        logins, started = self.deps.metrics.logins, time.perf_counter()
        try:
            await self._login_once()
        except VaultAccessError as error:
            logins.labels(self.name, self.obs.method, error.reason).inc()
            raise
        logins.labels(self.name, self.obs.method, "success").inc()
        self.deps.metrics.login_seconds.labels(self.obs.method).observe(time.perf_counter() - started)

    async def _login_once(self) -> None:
        health = await self.session.health()
        self.obs.vault_version = health.version
        self._adopted: dict[str, Any] = {}
        request, grant = await self.setup.login(self._login_attempt)
        supplied = isinstance(request, SuppliedToken)
        if isinstance(request, SuppliedToken):  # no login: looked up, never revoked
            details, renewable = {**request.details, **self._adopted}, grant.renewable
        else:
            details, renewable = dict(request.details), grant.renewable and not request.reauth
            if too_short := short_ttl_error(grant.ttl, request.mount, self.deps.backoff):
                await self.session.revoke_quietly()  # unusable: do not leave it behind in Vault
                raise too_short
        now = self.deps.clock()
        self.lease = Lease(now, grant.ttl, renewable, creation_ttl=grant.ttl, supplied=supplied)
        self._last_check = now
        await self.reporter.logged_in(grant, now, self.lease.expires_at, details, supplied=supplied)

    async def _login_attempt(self) -> tuple[LoginRequest | SuppliedToken, TokenGrant]:
        request = await self.session.login_request(self.validated)
        if isinstance(request, SuppliedToken):
            grant, self._adopted = await self.session.adopt(request)
            return request, grant
        try:
            grant = await self.session.login(request)
        except LoginDeniedError as error:
            raise LoginDeniedError(self._explain_denial(request, error), status=error.status) from None
        return request, grant

    async def _relogin(self, why: str) -> None:
        log.info("VaultConnection %s: logging in again: %s", self.name, why)
        await self.session.revoke_quietly()
        self.lease = None
        await self._login()

    def _explain_denial(self, request: LoginRequest, error: LoginDeniedError) -> str:
        validated = self.validated
        hint = validated.provider.explain_login_error(validated.config, request, error.status, error.message)
        role_text = f" for role {request.role!r}" if request.role else ""
        return hint or f"Vault denied login{role_text} at auth/{request.mount}: {error.message}"

    async def tear_down(self) -> None:
        """The VaultConnection is being deleted: a set-up block undoes its work first (never raises)."""
        await self.setup.tear_down(lambda call: self.session.borrow(call))

    async def shutdown(self, revoke: bool) -> None:
        if revoke:
            await self.session.revoke_quietly()
        self.session.close()
        self.setup.close()
