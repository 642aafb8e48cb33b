"""HealthCache against a real OpenBao: one request for many askers, healthy answers reused, failures not kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from vault_access_operator.errors import VaultUnavailableError
from vault_access_operator.health import HealthCache
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.vault import VaultClient, VaultHTTP
from vault_access_operator_devkit.proxy import CountingProxy


@pytest.fixture
def proxy(openbao: OpenBaoServer) -> Iterator[CountingProxy]:
    with CountingProxy(openbao.port) as counting:
        yield counting


def health_requests(proxy: CountingProxy) -> int:
    return sum(1 for line in proxy.requests_since(0) if line.startswith("GET /v1/sys/health"))


def test_concurrent_askers_share_one_request_and_the_answer_is_reused(proxy: CountingProxy) -> None:
    now = [0.0]

    async def scenario() -> None:
        cache = HealthCache(max_age=5.0, clock=lambda: now[0])
        async with VaultHTTP() as http:
            clients = [VaultClient(proxy.url, True, http) for _ in range(50)]
            answers = await asyncio.gather(*(cache.get(client) for client in clients))
            assert all(a.initialized and not a.sealed and a.version for a in answers)
            assert health_requests(proxy) == 1
            now[0] = 4.9
            await cache.get(clients[0])
            assert health_requests(proxy) == 1  # still fresh
            now[0] = 5.0
            await cache.get(clients[0])
            assert health_requests(proxy) == 2  # aged out: asked again

    asyncio.run(scenario())


def test_a_sealed_answer_and_a_failure_are_not_kept(openbao: OpenBaoServer, proxy: CountingProxy) -> None:
    async def scenario() -> None:
        cache = HealthCache(max_age=60.0)
        async with VaultHTTP() as http:
            vault = VaultClient(proxy.url, True, http)
            openbao.client().sys.seal()
            assert (await cache.get(vault)).sealed
            assert (await cache.get(vault)).sealed
            assert health_requests(proxy) == 2  # asked each time while sealed
            with pytest.raises(VaultUnavailableError):
                await cache.get(VaultClient("http://127.0.0.1:1", True, http))

    asyncio.run(scenario())


def test_an_answer_landing_after_its_address_was_forgotten_is_not_kept(openbao: OpenBaoServer) -> None:
    async def scenario() -> None:
        cache = HealthCache(max_age=60.0)
        async with VaultHTTP() as http:
            vault = VaultClient(openbao.url + "/", True, http)
            asker = asyncio.create_task(cache.get(vault))
            await asyncio.sleep(0)  # the request is in flight
            assert len(cache) == 1
            flight = next(iter(cache._in_flight.values()))
            asker.cancel()  # its connection was removed: the shared request still lands
            cache.forget(openbao.url)
            await asyncio.wait([flight])
            await asyncio.sleep(0)  # its done callbacks
            assert flight.result().initialized and len(cache) == 0
            assert (await cache.get(vault)).initialized and len(cache) == 1  # a new user asks again
            cache.forget(openbao.url + "/")
            assert len(cache) == 0

    asyncio.run(scenario())
