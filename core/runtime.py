"""One VaultConnection's life: log in, check health, renew, log in again, report.

Each connection runs as its own asyncio task. All timing decisions come from
:mod:`lifecycle` (pure); this module performs them and publishes status and events.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
from collections.abc import Awaitable, Callable

from .clip import clip
from .errors import InternalError, TokenInvalidError, VaultAccessError
from .lifecycle import Action, Lease, Plan, plan_lease
from .runtime_deps import RuntimeDeps
from .runtime_login import PENDING_GRACE, ConnectionLogin
from .validation import ValidatedConnection
from .vault_transport import VaultTimeoutError
from .wakeup import Wakeup

__all__ = ["CHECK_SLOT_SECONDS", "PENDING_GRACE", "ConnectionRuntime", "on_check_grid"]

log = logging.getLogger(__name__)
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


class ConnectionRuntime(ConnectionLogin):
    """One VaultConnection served: its first login, then health checks, renewals and new logins until stopped."""

    def __init__(self, name: str, generation: int | None, validated: ValidatedConnection, deps: RuntimeDeps) -> None:
        super().__init__(name, generation, validated, deps)
        self._planned_for: Lease | None = None
        self._plan = Plan(Action.NONE, None)
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


async def _awake() -> None:
    """No sleep: the moment has come already."""


def _internal(error: Exception) -> VaultAccessError:
    # A bug (ours or a library's) must not kill the connection's task: report it and retry.
    log.exception("unexpected error in a connection runtime")
    return InternalError(f"internal error: {type(error).__name__}: {clip(str(error))}")
