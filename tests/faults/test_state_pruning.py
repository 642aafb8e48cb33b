"""No unbounded per-object state: what is kept per Vault address or per connection goes with its last user."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from tests.faults.fake_runtime import Recorder
from tests.faults.fake_vault import FakeVault
from vault_access_operator.context import CoreAuthContext, OperatorIdentity
from vault_access_operator.kube import KubeClient
from vault_access_operator.manager import ConnectionManager
from vault_access_operator.registry import load_providers
from vault_access_operator.runtime_deps import RuntimeDeps
from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit.kube import FakeKube

CONNECTIONS = 200


async def until(check: Callable[[], bool], what: str, polls: int = 1200) -> None:
    """Poll ``check`` every 50 ms (at most a minute)."""
    for _ in range(polls):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {what}")


async def with_manager(kube: FakeKube, identity: OperatorIdentity,
                       use: Callable[[ConnectionManager], Awaitable[None]]) -> None:
    client = KubeClient(kube.connection_info())
    http = aiohttp.ClientSession()

    def context(name: str) -> CoreAuthContext:
        return CoreAuthContext(name, identity, kube=client, session_factory=lambda: http)

    deps = RuntimeDeps(context_factory=context, reporter_factory=Recorder().reporter)
    manager = ConnectionManager(load_providers(), deps)
    try:
        await use(manager)
    finally:
        await manager.stop_all()
        await deps.vault_http.close()
        await client.close()
        await http.close()


def test_per_address_maps_are_empty_after_200_connections_with_distinct_addresses_come_and_go(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    async def scenario(manager: ConnectionManager) -> None:
        deps = manager.deps
        async with FakeVault(ports=CONNECTIONS) as vault:
            for number, address in enumerate(vault.addresses):
                spec = {"address": address, "auth": {"kubernetes": {"role": "operator"}}}
                await manager.apply(f"vc-{number}", 1, spec, uid=f"uid-{number}")
            names = manager.names
            await until(lambda: all(obs.phase == "Active" for _, obs in manager.observations()), "all Active")
            # Each map held one entry per address while the connections lived (so the check below can fail).
            assert len(deps.login_gate) == len(deps.health_cache) == len(deps.vault_http._proxies) == CONNECTIONS
            for name in names:
                await manager.remove(name, uid=name.replace("vc-", "uid-"))
            assert manager.names == []
            assert len(deps.login_gate) == 0 and len(deps.health_cache) == 0
            assert deps.vault_http._proxies == {} and len(manager.addresses) == 0

    asyncio.run(with_manager(fake_kube, operator_identity, scenario))


def test_connections_sharing_an_address_keep_its_state_until_the_last_one_goes(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    async def scenario(manager: ConnectionManager) -> None:
        deps = manager.deps
        async with FakeVault() as vault:
            spec = {"address": vault.addresses[0], "auth": {"kubernetes": {"role": "operator"}}}
            await manager.apply("a", 1, spec)
            await manager.apply("b", 1, {**spec, "address": vault.addresses[0] + "/"})  # the same Vault
            await until(lambda: all(obs.phase == "Active" for _, obs in manager.observations()), "both Active")
            await manager.remove("a")
            assert len(deps.login_gate) == len(deps.health_cache) == len(deps.vault_http._proxies) == 1
            await manager.remove("b")
            assert len(deps.login_gate) == len(deps.health_cache) == len(deps.vault_http._proxies) == 0

    asyncio.run(with_manager(fake_kube, operator_identity, scenario))


def test_the_aws_nonce_of_a_connection_goes_with_it_but_survives_an_edit(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    # Vault is a closed port: the runtimes fail before any login, so no IMDS call; the nonce an ec2 login
    # would have made is put in place by hand.
    aws = {"address": f"http://127.0.0.1:{free_port()}", "auth": {"aws": {"role": "r", "authType": "ec2"}}}
    k8s = {"address": aws["address"], "auth": {"kubernetes": {"role": "operator"}}}

    async def scenario(manager: ConnectionManager) -> None:
        nonces = manager.registry.get("aws")._nonces  # type: ignore[attr-defined]
        await manager.apply("vc", 1, aws, uid="u1")
        nonces["vc"] = "nonce"
        await manager.apply("vc", 2, {**aws, "healthCheckInterval": "5s"}, uid="u1")
        await manager.apply("vc", 3, {**aws, "auth": {"aws": {}}}, uid="u1")  # an invalid edit in between
        await manager.apply("vc", 4, aws, uid="u1")
        assert nonces == {"vc": "nonce"}  # Vault ties the nonce to the instance: an edit must keep it
        await manager.remove("vc", uid="u1")
        assert nonces == {}

        await manager.apply("vc", 1, aws, uid="u2")
        nonces["vc"] = "nonce"
        await manager.apply("vc", 2, k8s, uid="u2")  # no longer an aws connection
        assert nonces == {}

        await manager.apply("vc", 1, aws, uid="u3")
        nonces["vc"] = "nonce"
        await manager.apply("vc", 1, aws, uid="u4")  # deleted and re-created: a new object
        assert nonces == {}

    asyncio.run(with_manager(fake_kube, operator_identity, scenario))
