"""A sealed Vault: connections show VaultSealed (Active ones and new ones alike) and recover after unseal."""

from __future__ import annotations

import time

from tests.e2e.helpers import condition, k8s_spec
from tests.faults.conftest import BACKOFF, KillableOpenBao
from tests.faults.helpers import is_phase, wait_all
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy

SEALED_FOR = 4.0  # seconds


def checks_by_result(running: RunningOperator, names: list[str]) -> dict[str, float]:
    """Health checks per result, summed over ``names`` (the operator's own counter)."""
    totals: dict[str, float] = {}
    for metric in running.app.metrics.health_checks.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels["connection"] in names:
                result = sample.labels["result"]
                totals[result] = totals.get(result, 0.0) + sample.value
    return totals


def test_sealed_vault_shows_sealed_and_every_connection_recovers_after_unseal(
    fake_kube: FakeKube, killable_vault: KillableOpenBao, proxy: CountingProxy, fault_operator: RunningOperator
) -> None:
    names = [f"sealed-{i}" for i in range(5)]
    for name in names:
        fake_kube.create_vaultconnection(name, k8s_spec(proxy.url, interval="1s"))
    wait_all(fake_kube, names, is_phase("Active"), timeout=30, what="Active")

    killable_vault.seal()
    sealed_at = time.monotonic()
    fake_kube.create_vaultconnection("created-while-sealed", k8s_spec(proxy.url, interval="1s"))
    everyone = [*names, "created-while-sealed"]
    statuses = wait_all(fake_kube, everyone, is_phase("Error", "VaultSealed"), timeout=5, what="Error/VaultSealed")
    for name, status in statuses.items():
        assert f"Vault at {proxy.url} is sealed: unseal it" == status["message"], (name, status["message"])
        assert status["healthy"] is False
    # Sealing says nothing about the token: the Active ones stay Authenticated, the new one never logged in.
    assert all(condition(statuses[name], "Authenticated")["status"] == "True" for name in names)
    assert condition(statuses["created-while-sealed"], "Authenticated")["status"] == "False"

    time.sleep(max(0.0, SEALED_FOR - (time.monotonic() - sealed_at)))
    failed_checks = checks_by_result(fault_operator, names).get("VaultSealed", 0.0)
    sealed_for = time.monotonic() - sealed_at
    killable_vault.unseal()
    # Retries back off: at most max_attempts_within(sealed time) failed checks per connection.
    assert len(names) <= failed_checks <= len(names) * BACKOFF.max_attempts_within(sealed_for), failed_checks

    back = wait_all(fake_kube, everyone, is_phase("Active"), timeout=BACKOFF.cap + 10, what="Active after unseal")
    for name in names:
        assert back[name]["authStatus"]["loginCount"] == 1  # the same token carried on
    assert back["created-while-sealed"]["authStatus"]["loginCount"] == 1
    assert fault_operator.error is None and fault_operator.thread.is_alive()
