"""The Kubernetes request timeout counts the API server's time only, not the wait for a slot of our own pool.

As for Vault (test_vault_pool_wait.py): under a sync's thousands of status writes a request may wait in the pool
longer than the timeout without the API server having been asked. An API server that must answer slowly is a small
aiohttp server (the emulator cannot be told to answer late): each answer takes ANSWER seconds, well inside the
timeout, and more requests than the pool's slots are sent at once.
"""

from __future__ import annotations

import asyncio

import kopf
import pytest

from tests.support.slow_server import answering_after
from vault_access_operator import kube
from vault_access_operator.kube import KubeClient, KubeError

TIMEOUT = 1.0
ANSWER = 0.3  # 6 answers one after another take 1.8 s > TIMEOUT
PATH = "/api/v1/namespaces/team/secrets/s"


async def get(client: KubeClient, server: str) -> str:
    """The answer's status code, or the error's text (the server's address as SERVER)."""
    try:
        status, _ = await client.request("GET", PATH, what="reading Secret team/s")
    except KubeError as error:
        return str(error).replace(server, "SERVER")
    return str(status)


def outcomes(answer: float, requests: int) -> list[str]:
    async def main() -> list[str]:
        async with answering_after(answer, PATH, {"kind": "Secret", "data": {}}) as server:
            client = KubeClient(kopf.ConnectionInfo(server=server, token="t"))
            try:
                return list(await asyncio.gather(*(get(client, server) for _ in range(requests))))
            finally:
                await client.close()

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def one_slot_and_a_short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube, "POOL_SIZE", 1)  # both read when the pool is created
    monkeypatch.setattr(kube, "REQUEST_TIMEOUT", TIMEOUT)


def test_requests_queued_behind_our_own_do_not_time_out() -> None:
    assert outcomes(ANSWER, requests=6) == ["200"] * 6


def test_an_api_server_that_does_not_answer_still_times_out() -> None:
    assert outcomes(5 * TIMEOUT, requests=2) == [unreachable("no answer within 1s")] * 2


def test_a_pool_that_stays_busy_ends_in_an_error_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube, "POOL_WAIT", 0.5)
    results = outcomes(2 * ANSWER + 0.2, requests=3)  # 0.8 s each: the second waits 0.8 s for the only slot
    assert results[0] == "200"
    assert results[1:] == [unreachable("no connection accepted within 1s (or the operator's connections to it "
                                       "stayed busy for 0.5s)")] * 2, results


def unreachable(reason: str) -> str:
    return f"cannot reach the Kubernetes API server at SERVER while reading Secret team/s: {reason}"
