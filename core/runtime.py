"""One VaultConnection's life: log in, check health, renew, log in again, report.

Each connection runs as its own asyncio task. All timing decisions come from
:mod:`lifecycle` (pure); this module performs them and publishes status and events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .clip import clip
from .errors import InternalError, LoginDeniedError, TokenInvalidError, VaultAccessError
from .lifecycle import Action, Lease, Plan, plan_lease
from .provider import LoginRequest, SuppliedToken
from .retries import FailureTracker, short_ttl_error
from .runtime_deps import RuntimeDeps
from .setup_run import SetupRunner
from .status import Observation
from .validation import ValidatedConnection
from .vault import TokenGrant
from .vault_transport import VaultTimeoutError
from .wakeup import Wakeup

log = logging.getLogger(__name__)
PENDING_GRACE = 2.0  # seconds before a connection still logging in for the first time shows Pending
#: Health checks fall due on whole multiples of this many seconds of the clock, so the checks of the connections
#: falling due within one slot run on one wake-up of the process: with 1,000 connections a wake-up of its own
#: cost a check about as much again as the check itself (bench/README.md, session 8).
CHECK_SLOT_SECONDS = 1.0


def on_check_grid(moment: datetime.datetime, interval: float) -> datetime.datetime:
    """``moment`` moved to the nearest slot of :data:`CHECK_SLOT_SECONDS` (the nearest, so that the checks stay one
    interval apart on average); unchanged for intervals under ten slots, which a slot would bend too far."""
    if interval < 10 * CHECK_SLOT_SECONDS:
        return moment
    slot = round(moment.timestamp() / CHECK_SLOT_SECONDS) * CHECK_SLOT_SECONDS
    return datetime.datetime.fromtimestamp(slot, tz=moment.tzinfo)


class ConnectionRuntime:
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
        self._planned_for: Lease | None = None
        self._plan = Plan(Action.NONE, None)
        self._last_check = deps.clock()
        self._last_login: datetime.datetime | None = None  # when the last login attempt started
        # A first attempt quicker than PENDING_GRACE writes only its outcome: one status write and one watch
        # event per connection, not two (bench/README.md). The timer starts with the first login's gate slot
        # (waiting for the login gate is not a slow login) and goes with the first outcome.
        self._pending: asyncio.Task[None] | None = None
        self._pending_settled = False
        self.failures = FailureTracker(deps.backoff, deps.random)
        self.token_check = Wakeup()  # see request_token_check

    def request_token_check(self) -> bool:
        """Look the token up now (a borrowed call got 403); Vault refusing it means one new login.

        False when a check is pending already. Acted on while the connection is in steady state.
        """
        return self.token_check.request()

    async def run(self) -> None:
        """Run until cancelled. Never raises for Vault, plugin or spec problems."""
        # One coroutine from here down to the sleep between two checks (no helper task, no extra frames): an
        # Active connection is held the whole time, and at 1,000 connections those frames and tasks were the
        # larger part of the operator's size (bench/README.md, session 11).
        try:
            while True:
                try:
                    if self.lease is None:
                        await self._login()
                    else:
                        await self._check()  # after a failure: probe first; passing resets nothing (see _maintain)
                    self._first_outcome()
                    await self._maintain()
                except Exception as caught:
                    self._first_outcome()
                    error = caught if isinstance(caught, VaultAccessError) else _internal(caught)
                    delay = self.failures.failed(error)
                    await self.reporter.failed(error, self.failures.count)
                    if not error.retryable:
                        # Only a spec change (a new runtime) can fix this; make sure the user sees it.
                        await self.reporter.publish_until_written(self.deps.sleep)
                        return
                    await self.deps.sleep(delay)
        finally:
            self._first_outcome()

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

    async def _maintain(self) -> None:
        interval = self.validated.spec.health_check_interval
        while True:
            assert self.lease is not None
            if self._planned_for is not self.lease:
                # Plan once per lease, when it is granted: re-planning after every health check
                # would take 2/3 of an ever smaller remainder and push renewal towards expiry.
                self._plan = plan_lease(self.lease, self.lease.issued_at, self.deps.random)
                self._planned_for = self.lease
            plan = self._plan
            every = self.failures.check_interval(interval)
            health_due = on_check_grid(self._last_check + datetime.timedelta(seconds=every), every)
            planned_at = plan.at if plan.at is not None and plan.at <= health_due else None
            delay = ((planned_at or health_due) - self.deps.clock()).total_seconds()
            # The sleep itself, not a coroutine around it: one frame less for every connection waiting.
            woken = await self.token_check.sleep(functools.partial(self.deps.sleep, delay) if delay > 0 else _awake)
            if woken or planned_at is None:  # woken: a borrower's call was refused, check the token now
                passed = await self._once_more_after_a_timeout(self._check)
            elif plan.action is not Action.RENEW:
                await self._relogin("the token is due")
                continue  # a new token proves nothing yet: its first check or renewal does
            else:
                passed = await self._once_more_after_a_timeout(self._renew)
            if passed and self.failures.recovering:  # a full healthy cycle since the last failure
                self.failures.reset()
                await self.reporter.recovered()

    async def _once_more_after_a_timeout(self, step: Callable[[], Awaitable[bool]]) -> bool:
        """Run a check or renewal; one Vault did not answer in time is tried once more before it counts.

        A late answer (a loaded Vault, a busy event loop) is no verdict on Vault or the token, and leaving
        Active stops every dependant: one miss of a healthy connection whose token outlives the retry is
        retried after the backoff's first step; a second one is reported as before. Refusals and
        unreachable Vaults (connection refused, 5xx, sealed) are verdicts and reported at once.
        """
        try:
            return await step()
        except VaultTimeoutError as error:
            retry = self.deps.backoff.delay(1, self.deps.random)
            expires = self.lease.expires_at if self.lease is not None else self.deps.clock()
            if self.failures.recovering or (expires is not None and (expires - self.deps.clock()).total_seconds()
                                            <= retry + self.deps.vault_http.timeout):
                raise
            log.info("VaultConnection %s: %s; trying once more in %.1fs", self.name, error.message, retry)
        await self.deps.sleep(retry)
        return await step()

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

    async def _renew(self) -> bool:
        """Renew the token; False when Vault refused it and a new login replaced it."""
        renewals = self.deps.metrics.renewals.labels
        try:
            grant = await self.session.renew()
        except TokenInvalidError as error:
            renewals(self.name, self.obs.method, error.reason).inc()
            await self._relogin(f"renewal refused ({error.message})")
            return False
        except VaultAccessError as error:
            renewals(self.name, self.obs.method, error.reason).inc()
            raise
        renewals(self.name, self.obs.method, "success").inc()
        assert self.lease is not None
        now = self.deps.clock()
        self.lease = dataclasses.replace(self.lease, issued_at=now, ttl=grant.ttl, renewable=grant.renewable)
        await self.reporter.renewed(grant, now, self.lease.expires_at)
        return True

    async def _check(self) -> bool:
        """Look the token up; False when Vault rejected it and a new login replaced it."""
        self._last_check = self.deps.clock()
        checks = self.deps.metrics.health_checks.labels
        try:
            await self.session.lookup_self()
        except VaultAccessError as error:
            checks(self.name, error.reason).inc()
            if not isinstance(error, TokenInvalidError):
                raise
            await self.reporter.token_rejected(error)
            await self._relogin(f"the health check was refused ({error.message})")
            return False
        checks(self.name, "success").inc()
        await self.reporter.healthy()
        return True

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


async def _awake() -> None:
    """No sleep: the moment has come already."""


def _internal(error: Exception) -> VaultAccessError:
    # A bug (ours or a library's) must not kill the connection's task: report it and retry.
    log.exception("unexpected error in a connection runtime")
    return InternalError(f"internal error: {type(error).__name__}: {clip(str(error))}")
