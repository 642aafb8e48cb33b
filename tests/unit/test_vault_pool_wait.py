"""The Vault request timeout counts Vault's time only, not the wait for a slot of the operator's own pool.

A Vault that must answer slowly is a small aiohttp server: each answer takes ANSWER seconds, well inside the
timeout, and more requests than the pool's slots are sent at once, so the last ones wait in the pool for
longer than the timeout. None of them may fail: Vault answered every one in time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest

from tests.support.slow_server import answering_after
from vault_access_operator import vault_transport
from vault_access_operator.errors import Reason, VaultUnavailableError
from vault_access_operator.vault_transport import VaultHTTP, VaultTimeoutError, VaultTransport

TIMEOUT = 1.0
ANSWER = 0.3  # seconds Vault takes per answer: 6 of them one after another take 1.8 s > TIMEOUT
LOOKUP = "/v1/auth/token/lookup-self"


def vault_answering_after(seconds: float) -> Callable[[], contextlib.AbstractAsyncContextManager[str]]:
    return lambda: answering_after(seconds, LOOKUP, {"data": {"ttl": 60}})


async def lookup(transport: VaultTransport) -> str:
    """"ok", or the error's reason, type and message."""
    try:
        await transport.send("GET", LOOKUP, token="not-a-real-token")
    except VaultUnavailableError as error:
        return f"{error.reason}: {type(error).__name__}: {error.message}"
    return "ok"


async def outcomes(serve: Callable[[], contextlib.AbstractAsyncContextManager[str]], requests: int) -> list[str]:
    """``requests`` lookups at once through a one-slot pool."""
    async with serve() as address, VaultHTTP(per_host=1, timeout=TIMEOUT) as http:
        transport = VaultTransport(address, True, http)
        return list(await asyncio.gather(*(lookup(transport) for _ in range(requests))))


def run(coroutine: Awaitable[list[str]]) -> list[str]:
    async def main() -> list[str]:
        return await coroutine

    return asyncio.run(main())


def test_requests_queued_behind_our_own_do_not_time_out() -> None:
    assert run(outcomes(vault_answering_after(ANSWER), requests=6)) == ["ok"] * 6


@pytest.mark.parametrize("requests", [1, 2])
def test_a_vault_that_does_not_answer_still_times_out(requests: int) -> None:
    results = run(outcomes(vault_answering_after(5 * TIMEOUT), requests=requests))
    expected = f"{Reason.VAULT_UNREACHABLE}: {VaultTimeoutError.__name__}: Vault at "
    assert all(r.startswith(expected) and r.endswith(f"{LOOKUP} did not answer within {TIMEOUT:g}s")
               for r in results), results


def test_a_pool_that_stays_busy_ends_in_an_error_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vault_transport, "POOL_WAIT", 0.5)  # read when the pool is created
    results = run(outcomes(vault_answering_after(2 * ANSWER + 0.2), requests=3))  # 0.8 s each: the 2nd waits 0.8
    assert results[0] == "ok"
    assert results[1:] == [
        f"{Reason.VAULT_UNREACHABLE}: {VaultTimeoutError.__name__}: Vault at {results[1].split(' ')[4]} did not accept "
        f"a connection within {TIMEOUT:g}s (or the operator's 1 connections to it stayed busy for 0.5s)"
    ] * 2, results
