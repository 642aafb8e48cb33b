"""The operator's one clock: status, events and metrics of a connection all read the clock the app was given."""

from __future__ import annotations

import asyncio
import datetime

from tests.e2e.helpers import status_of
from tests.faults.fake_vault import FakeVault
from tests.faults.test_recreated_namesake import NAME, active, create, spec
from vault_access_operator.app import OperatorApp, OperatorConfig
from vault_access_operator.context import OperatorIdentity
from vault_access_operator_devkit.kube import FakeKube

THEN = datetime.datetime(2031, 5, 5, 10, 0, tzinfo=datetime.UTC)  # far from the wall clock
STAMP = "2031-05-05T10:00:00Z"


def test_status_events_and_metrics_are_stamped_by_the_apps_clock(
    fake_kube: FakeKube, operator_identity: OperatorIdentity
) -> None:
    async def scenario() -> None:
        config = OperatorConfig(identity=operator_identity, kube_connection=fake_kube.connection_info(),
                                events_namespace="default")
        app = OperatorApp(config, clock=lambda: THEN)
        try:
            async with FakeVault() as vault:
                body = spec(vault.addresses[0])
                await app.reconcile(NAME, await create(fake_kube, body), 1, body)
                await active(fake_kube)
                ttl = app.metrics.registry.get_sample_value(
                    "vault_access_operator_token_ttl_seconds", {"connection": NAME, "method": "kubernetes"})
                assert ttl == 3600.0  # FakeVault's lease, counted from the app's clock, not the wall clock
        finally:
            await app.shutdown()

    asyncio.run(scenario())
    status = status_of(fake_kube, NAME)
    assert status["authStatus"]["lastLogin"] == STAMP
    assert status["authStatus"]["tokenExpiration"] == "2031-05-05T11:00:00Z"
    assert {c["lastTransitionTime"] for c in status["conditions"]} == {STAMP}
    logged_in = fake_kube.list_events("default", involved_name=NAME, reason="LoggedIn")
    assert [(e["firstTimestamp"], e["lastTimestamp"]) for e in logged_in] == [(STAMP, STAMP)]
