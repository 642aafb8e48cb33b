"""The connection registry's bookkeeping (delivery, dedup, generations, waiting) and the runtime's wake-up.

A stand-in runtime (an Observation, a token flag and the real Wakeup) replaces a connection runtime:
what is tested here is what the registry does with the runtime's signals, not Vault.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from vault_access_operator.connections import ConnectionChange, ConnectionRegistry
from vault_access_operator.errors import ConnectionNotReadyError
from vault_access_operator.status import Observation
from vault_access_operator.wakeup import Wakeup


class StandInSession:
    def __init__(self) -> None:
        self.has_token = False
        self.on_token: Any = lambda: None

    def new_token(self, present: bool = True) -> None:
        self.has_token = present
        self.on_token()


class StandInRuntime:
    def __init__(self) -> None:
        self.obs = Observation(generation=1, method="kubernetes")
        self.session = StandInSession()
        self.token_check = Wakeup()

    def request_token_check(self) -> bool:
        return self.token_check.request()


def go_active(registry: ConnectionRegistry, runtime: StandInRuntime, name: str = "x") -> None:
    runtime.session.new_token()
    runtime.obs.phase = "Active"
    registry.phase_changed(name)


def test_subscribers_hear_after_the_step_and_a_failing_one_harms_no_one(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[list[ConnectionChange], list[str], list[ConnectionChange]]:
        registry, runtime = ConnectionRegistry(), StandInRuntime()
        heard: list[ConnectionChange] = []
        awaited: list[str] = []
        other: list[ConnectionChange] = []

        def failing(change: ConnectionChange) -> None:
            raise RuntimeError("subscriber bug")

        async def slow(change: ConnectionChange) -> None:
            await asyncio.sleep(0)
            awaited.append(change.phase or "removed")

        registry.subscribe(failing)
        registry.subscribe(heard.append)
        registry.subscribe(slow, "x")
        registry.subscribe(other.append, "other")
        registry.attach("x", runtime.obs, runtime)  # type: ignore[arg-type]
        assert heard == []  # not inside the caller's step
        await asyncio.sleep(0)
        go_active(registry, runtime)
        registry.phase_changed("x")  # nothing changed: nobody is told again
        await asyncio.sleep(0.01)
        registry.detach("x")
        await asyncio.sleep(0.01)
        return heard, awaited, other

    with caplog.at_level(logging.ERROR):
        heard, awaited, other = asyncio.run(scenario())
    assert [(c.phase, c.active, c.removed) for c in heard] == [
        ("Pending", False, False), ("Pending", False, False), ("Active", True, False), (None, False, True)
    ]
    assert heard[1].generation > heard[0].generation  # the token came (the login), then the phase
    assert awaited == ["Pending", "Pending", "Active", "removed"] and other == []
    assert caplog.text.count("RuntimeError: subscriber bug") == 4


def test_unsubscribed_callbacks_hear_nothing() -> None:
    async def scenario() -> list[ConnectionChange]:
        registry = ConnectionRegistry()
        heard: list[ConnectionChange] = []
        unsubscribe = registry.subscribe(heard.append)
        unsubscribe()
        registry.attach("x", Observation(generation=1, method="kubernetes"), None)
        await asyncio.sleep(0)
        return heard

    assert asyncio.run(scenario()) == []


def test_a_new_token_drops_a_pending_check_and_reports_about_the_old_token() -> None:
    async def scenario() -> None:
        registry, runtime = ConnectionRegistry(), StandInRuntime()
        registry.attach("x", runtime.obs, runtime)  # type: ignore[arg-type]
        go_active(registry, runtime)
        handle = registry.get("x")
        assert handle is not None
        old = handle.token_generation
        assert handle.report_token_rejected(old) and not handle.report_token_rejected(old)  # merged
        runtime.session.new_token()  # a re-login settled it
        assert not runtime.token_check.pending
        assert not handle.report_token_rejected(old)  # about a token already replaced
        assert handle.report_token_rejected()  # about the current one

    asyncio.run(scenario())


def test_a_replaced_runtimes_late_revocation_changes_nothing() -> None:
    async def scenario() -> None:
        registry, first, second = ConnectionRegistry(), StandInRuntime(), StandInRuntime()
        registry.attach("x", first.obs, first)  # type: ignore[arg-type]
        registry.attach("x", second.obs, second)  # type: ignore[arg-type]
        go_active(registry, second)
        handle = registry.get("x")
        assert handle is not None
        generation = handle.token_generation
        first.session.new_token(present=False)
        assert handle.token_generation == generation and handle.active

    asyncio.run(scenario())


def test_wait_active_returns_once_active_and_says_why_not_after_a_timeout() -> None:
    async def scenario() -> None:
        registry, runtime = ConnectionRegistry(), StandInRuntime()
        waiting = asyncio.create_task(registry.wait_active("x"))
        await asyncio.sleep(0)
        registry.attach("x", runtime.obs, runtime)  # type: ignore[arg-type]
        runtime.obs.phase, runtime.obs.reason, runtime.obs.message = "Error", "LoginDenied", "denied"
        registry.phase_changed("x")
        with pytest.raises(ConnectionNotReadyError, match=r"phase Error, reason LoginDenied\): denied; still not"):
            await registry.wait_active("x", timeout=0.01)
        assert not waiting.done()
        go_active(registry, runtime)
        handle = await asyncio.wait_for(waiting, 5)
        assert handle.active and registry._waiters == {}

    asyncio.run(scenario())


def test_a_wakeup_cuts_a_sleep_short_and_requests_merge() -> None:
    async def scenario() -> list[Any]:
        wakeup, seen = Wakeup(), []
        sleeping = asyncio.create_task(wakeup.sleep(lambda: asyncio.sleep(3600)))
        await asyncio.sleep(0)
        seen.append(wakeup.request())
        seen.append(wakeup.request())  # merges into the first
        seen.append(await asyncio.wait_for(sleeping, 5))
        seen.append(await wakeup.sleep(lambda: asyncio.sleep(0)))  # nothing pending: slept
        wakeup.request()
        seen.append(await wakeup.sleep(lambda: asyncio.sleep(3600)))  # pending: no sleep at all
        return seen

    assert asyncio.run(scenario()) == [True, False, True, False, True]


def test_what_the_sleeper_raises_is_raised() -> None:
    class Stop(BaseException):
        pass

    async def sleeper() -> None:
        raise Stop

    with pytest.raises(Stop):
        asyncio.run(Wakeup().sleep(sleeper))
