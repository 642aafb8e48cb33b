"""Delete + re-create with the same name: the old object's late cleanup and writes leave the new one alone.

The operator's app (the kopf handlers' target) is driven directly, so the two orders kopf does not rule out
can be forced: the old object's cleanup finishing after the new object started, and the new object's
reconcile arriving before the old object's deletion.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tests.e2e.helpers import status_of
from tests.faults.fake_vault import FakeVault
from tests.faults.test_state_pruning import until
from vault_access_operator.app import OperatorApp, OperatorConfig
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube

NAME = "vc"


def spec(address: str) -> dict[str, Any]:
    return {"address": address, "auth": {"kubernetes": {"role": "operator"}}, "healthCheckInterval": "30s"}


async def create(kube: FakeKube, body: dict[str, Any]) -> str:
    obj = await asyncio.to_thread(kube.create_vaultconnection, NAME, body)
    return str(obj["metadata"]["uid"])


async def active(kube: FakeKube) -> None:
    async def phase() -> str | None:
        return (await asyncio.to_thread(status_of, kube, NAME)).get("phase")

    for _ in range(400):
        if await phase() == "Active":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{NAME} never Active: {await asyncio.to_thread(status_of, kube, NAME)}")


def logins(app: OperatorApp) -> float | None:
    labels = {"connection": NAME, "method": "kubernetes", "result": "success"}
    return app.metrics.registry.get_sample_value("vault_access_operator_logins_total", labels)


def run(kube: FakeKube, identity: OperatorIdentity, use: Callable[[OperatorApp, FakeVault], Awaitable[None]]) -> None:
    async def scenario() -> None:
        app = OperatorApp(OperatorConfig(identity=identity, kube_connection=kube.connection_info(),
                                         events_namespace="default"))
        try:
            async with FakeVault() as vault:
                await use(app, vault)
        finally:
            await app.shutdown()

    asyncio.run(scenario())


def test_the_old_objects_late_cleanup_keeps_the_new_objects_series_status_and_runtime(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    async def scenario(app: OperatorApp, vault: FakeVault) -> None:
        body = spec(vault.addresses[0])
        old_uid = await create(fake_kube, body)
        await app.reconcile(NAME, old_uid, 1, body)
        await active(fake_kube)
        old = app.manager.runtime(NAME)
        assert old is not None
        vault.revocations_open.clear()  # the old object's cleanup hangs in its token revocation
        deleting = asyncio.create_task(app.delete(NAME, old_uid))
        await until(lambda: ("PUT", "/v1/auth/token/revoke-self") in vault.requests, "revoking")
        await asyncio.to_thread(fake_kube.delete_vaultconnection, NAME)
        new_uid = await create(fake_kube, body)
        await app.reconcile(NAME, new_uid, 1, body)
        await active(fake_kube)

        old.obs.phase, old.obs.message = "Error", "a stale write of the deleted object"
        await old.reporter.publish()  # refused by the uid test: counts as gone
        vault.revocations_open.set()
        await deleting

        assert (await asyncio.to_thread(status_of, fake_kube, NAME))["phase"] == "Active"
        assert logins(app) is not None  # the series of the new object is still exported
        current = app.manager.runtime(NAME)
        assert current is not None and current is not old and current.obs.uid == new_uid
        events = await asyncio.to_thread(fake_kube.list_events, involved_name=NAME)
        assert {e["involvedObject"].get("uid") for e in events} == {old_uid, new_uid}

    run(fake_kube, operator_identity, scenario)


def test_a_deletion_arriving_after_the_new_objects_reconcile_leaves_it_running(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    async def scenario(app: OperatorApp, vault: FakeVault) -> None:
        body = spec(vault.addresses[0])
        old_uid = await create(fake_kube, body)
        await app.reconcile(NAME, old_uid, 1, body)
        await active(fake_kube)
        await asyncio.to_thread(fake_kube.delete_vaultconnection, NAME)
        new_uid = await create(fake_kube, body)
        await app.reconcile(NAME, new_uid, 1, body)  # the same spec, but another object: a new runtime
        await active(fake_kube)
        current = app.manager.runtime(NAME)
        assert current is not None and current.obs.uid == new_uid
        await app.delete(NAME, old_uid)  # late: the old object's daemon stopped after the new one started
        assert app.manager.runtime(NAME) is current and current.obs.login_count == 1
        assert logins(app) is not None

    run(fake_kube, operator_identity, scenario)


def test_a_status_write_for_a_replaced_object_is_refused(fake_kube: FakeKube) -> None:
    async def scenario() -> None:
        client = KubeClient(fake_kube.connection_info())
        try:
            old_uid = await create(fake_kube, spec("http://vault:8200"))
            assert await client.patch_status(NAME, {"phase": "Active"}, uid=old_uid) is True
            await asyncio.to_thread(fake_kube.delete_vaultconnection, NAME)
            new_uid = await create(fake_kube, spec("http://vault:8200"))
            assert await client.patch_status(NAME, {"phase": "Error"}, uid=old_uid) is False
            assert await asyncio.to_thread(status_of, fake_kube, NAME) == {}
            assert await client.patch_status(NAME, {"phase": "Pending"}, uid=new_uid) is True
            assert (await asyncio.to_thread(status_of, fake_kube, NAME))["phase"] == "Pending"
            await asyncio.to_thread(fake_kube.delete_vaultconnection, NAME)
            assert await client.patch_status(NAME, {"phase": "Error"}, uid=new_uid) is False
        finally:
            await client.close()

    asyncio.run(scenario())
