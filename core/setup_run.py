"""Runs a set-up block (``spec.auth.bootstrap``) before the login it prepares, once per runtime.

How the operator knows whether to set up: it logs in with the target method first. A login that
works means Vault is set up already (by an earlier run, before a restart, or by hand): nothing is
written and the bootstrap token is not even read. Only a login Vault refuses (LoginDeniedError) runs
the provider's :meth:`~provider.AuthProvider.set_up`, whose test login becomes the connection's token.
Once complete, this runtime never sets up again; a refused login later is an ordinary login failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .clock import Clock
from .context import CoreAuthContext
from .errors import LoginDeniedError, Reason, VaultAccessError
from .provider import LoginRequest, SetupTarget, SetupVault, SuppliedToken
from .reporting import Reporter
from .setup_context import SetupContext
from .status import SetupState
from .validation import ValidatedConnection
from .vault import TokenGrant
from .vault_api import VaultAPI

log = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[tuple[LoginRequest | SuppliedToken, TokenGrant]]]
#: A connection's session's ``borrow``: runs a call with the token held right now.
Borrow = Callable[[Callable[[VaultAPI, str], Awaitable[str | None]]], Awaitable[str | None]]
TEAR_DOWN_SECONDS = 30.0  # a deletion waits at most this long for Vault
TORN_DOWN, TEAR_DOWN_FAILED = "SetUpUndone", "TearDownFailed"
DONE, IN_PLACE, FAILED = "Done", "AlreadyInPlace", "Failed"
COMPLETED, ALREADY_CONFIGURED, COMPLETED_WITH_WARNINGS = "Completed", "AlreadyConfigured", "CompletedWithWarnings"


class _Run:
    """One run of a provider's set_up: the Vault client, the step record and the test login."""

    def __init__(self, vault: SetupVault, state: SetupState, attempt: Attempt) -> None:
        self.vault = vault
        self._state, self._attempt = state, attempt
        self.result: tuple[LoginRequest | SuppliedToken, TokenGrant] | None = None

    def record(self, step: str, outcome: str) -> None:
        steps = self._state.steps
        if not (outcome == IN_PLACE and steps.get(step) == DONE):  # found in place because an earlier run did it
            steps[step] = outcome

    async def test_login(self) -> None:
        self.result = await self._attempt()


class SetupRunner:
    """A runtime's set-up block, or nothing to do (``validated.setup`` is None)."""

    def __init__(self, validated: ValidatedConnection, ctx: CoreAuthContext, vault: Callable[[], Awaitable[SetupVault]],
                 reporter: Reporter, clock: Clock) -> None:
        self.validated = validated
        self._vault, self._reporter, self._clock = vault, reporter, clock
        self._ctx = SetupContext(ctx)
        block = validated.setup
        self.state = None if block is None else SetupState(block.method, block.provider.setup_condition)

    async def login(self, attempt: Attempt) -> tuple[LoginRequest | SuppliedToken, TokenGrant]:
        """``attempt()`` (the target method's login), preceded by the set-up when Vault refuses it at first."""
        if self.state is None or self.state.complete:
            return await attempt()
        try:
            result = await attempt()
        except LoginDeniedError as denied:
            log.info("VaultConnection %s: the %s login was refused (%s): running %s", self._ctx.connection_name,
                     self.validated.method, denied.message, self.state.method)
            return await self._set_up(attempt)
        mount = self.validated.mount
        await self._complete(ALREADY_CONFIGURED, f"the {self.validated.method} login at auth/{mount} works "
                             f"already: nothing to set up, spec.auth.{self.state.method} was not used")
        return result

    async def _set_up(self, attempt: Attempt) -> tuple[LoginRequest | SuppliedToken, TokenGrant]:
        block, state = self.validated.setup, self.state
        assert block is not None and state is not None
        self._ctx.release()  # the previous run's secrets; its failure is reported by now
        run = _Run(await self._vault(), state, attempt)
        target = SetupTarget(self.validated.method, self.validated.mount, self.validated.config)
        state.reason, state.message = Reason.PENDING, f"spec.auth.{block.method} is running"
        try:
            summary = await block.provider.set_up(block.config, target, run, self._ctx)
            if run.result is None:  # a provider that did not test: the login it prepared is the test
                await run.test_login()
        except VaultAccessError as error:
            state.reason, state.message = error.reason, self._ctx.masked(error.message)
            raise
        except Exception as error:  # a plugin bug must not take the operator down
            log.exception("set-up block %r failed", block.method)
            state.reason = Reason.PLUGIN_FAILED
            state.message = self._ctx.masked(f"the {block.method!r} set-up failed: {type(error).__name__}: {error}")
            raise VaultAccessError(state.message, reason=Reason.PLUGIN_FAILED) from None
        assert run.result is not None
        failed = any(outcome == FAILED for outcome in state.steps.values())
        await self._complete(COMPLETED_WITH_WARNINGS if failed else COMPLETED, str(summary or "set up"))
        return run.result

    async def _complete(self, reason: str, message: str) -> None:
        state = self.state
        assert state is not None
        state.complete, state.completed_at = True, self._clock()
        state.reason, state.message = reason, self._ctx.masked(message)
        if reason == COMPLETED_WITH_WARNINGS:
            await self._reporter.events.warning_once(state.condition, state.message, masked=True)
        else:
            await self._reporter.events.normal(state.condition, state.message)

    async def tear_down(self, borrow: Borrow) -> None:
        """The VaultConnection is being deleted: let the set-up block undo its work, with the connection's token.

        Never raises: a failure is a Warning event (``TearDownFailed``) and the deletion goes on.
        """
        block = self.validated.setup
        if block is None:
            return
        target = SetupTarget(self.validated.method, self.validated.mount, self.validated.config)
        try:
            async with asyncio.timeout(TEAR_DOWN_SECONDS):
                summary = await borrow(lambda vault, token: block.provider.tear_down(
                    block.config, target, vault, token, self._ctx))
        except VaultAccessError as error:
            message = self._ctx.masked(f"spec.auth.{block.method}: could not undo the set-up: {error.message}")
            log.warning("VaultConnection %s: %s", self._ctx.connection_name, message)
            await self._reporter.events.post("Warning", TEAR_DOWN_FAILED, message, masked=True)
        except Exception as error:  # a plugin bug, a timeout: the deletion must go on
            log.exception("set-up block %r failed to tear down", block.method)
            message = self._ctx.masked(f"spec.auth.{block.method}: could not undo the set-up: "
                                       f"{type(error).__name__}: {error}")
            await self._reporter.events.post("Warning", TEAR_DOWN_FAILED, message, masked=True)
        else:
            if summary:
                await self._reporter.events.normal(TORN_DOWN, self._ctx.masked(summary))

    def close(self) -> None:
        """The runtime ends: forget the set-up's secrets."""
        self._ctx.release()
