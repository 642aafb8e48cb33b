"""OpenBao dies (SIGKILL) under 50 Active connections and comes back from its persistent storage."""

from __future__ import annotations

import time
from collections import Counter

from tests.e2e.helpers import k8s_spec
from tests.faults.conftest import BACKOFF, KillableOpenBao
from tests.faults.helpers import all_objects, is_phase, wait_all
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy

CONNECTIONS = 50
INTERVAL = 1.0  # healthCheckInterval, seconds
OUTAGE = 6.0  # seconds Vault is dead (then it restarts sealed, and is unsealed)


def test_fifty_connections_survive_a_vault_crash_and_restart(
    fake_kube: FakeKube, killable_vault: KillableOpenBao, proxy: CountingProxy, fault_operator: RunningOperator
) -> None:
    names = [f"conn-{i:02d}" for i in range(CONNECTIONS)]
    for name in names:
        fake_kube.create_vaultconnection(name, k8s_spec(proxy.url, interval=f"{INTERVAL:g}s"))
    started = time.monotonic()
    wait_all(fake_kube, names, is_phase("Active"), timeout=60, what="Active")
    print(f"{CONNECTIONS} Active in {time.monotonic() - started:.1f}s")
    before = all_objects(fake_kube)

    counted, killed_at = proxy.count(), time.monotonic()
    killable_vault.kill()
    # Each connection notices at its next health check (within one interval) and says why.
    down = wait_all(fake_kube, names, is_phase("Error", "VaultUnreachable"), timeout=INTERVAL + 5,
                    what="Error/VaultUnreachable")
    for status in down.values():
        assert f"cannot reach Vault at {proxy.url}" in status["message"], status["message"]
        assert status["healthy"] is False

    time.sleep(max(0.0, OUTAGE - (time.monotonic() - killed_at)))
    killable_vault.start(unseal=False)  # same port, same data; sealed, so still an outage
    sealed = wait_all(fake_kube, names, is_phase("Error", "VaultSealed"), timeout=BACKOFF.cap + 5,
                      what="Error/VaultSealed")
    assert all("is sealed" in status["message"] for status in sealed.values())
    attempts, outage = proxy.count() - counted, time.monotonic() - killed_at
    killable_vault.unseal()
    print(f"outage {outage:.1f}s: {attempts} connection attempts for {CONNECTIONS} connections")

    # Bound: after the first failed check, retry n waits at least min(cap, base * 2**(n-1)) / 2, so one
    # connection makes at most max_attempts_within(outage) attempts; +1 for a health check that was in
    # flight when the count was read. One attempt is one Vault request (a token lookup); it opens at most
    # two TCP connections through the proxy: aiohttp sends an idempotent request once more when the
    # server drops the connection (RFC 9112 9.3.1), which the proxy in front of a dead Vault does.
    per_connection = 2 * (BACKOFF.max_attempts_within(outage) + 1)
    assert CONNECTIONS <= attempts <= CONNECTIONS * per_connection, (attempts, outage, per_connection)

    back = wait_all(fake_kube, names, is_phase("Active"), timeout=BACKOFF.cap + INTERVAL + 10, what="Active again")
    after = all_objects(fake_kube)
    for name in names:
        old, new, status = before[name], after[name], back[name]
        # Nothing was changed on the resources: recovery needed no edit, and the token survived the restart.
        assert new["spec"] == old["spec"] and new["metadata"]["generation"] == old["metadata"]["generation"]
        assert status["observedGeneration"] == old["status"]["observedGeneration"]
        assert status["healthy"] is True and status["consecutiveFailures"] == 0
        assert status["authStatus"]["tokenAccessor"] == old["status"]["authStatus"]["tokenAccessor"]
        assert status["authStatus"]["loginCount"] == 1
    # One Warning event per distinct problem, not one per retry.
    warnings = Counter((e["involvedObject"]["name"], e["reason"]) for e in fake_kube.list_events()
                       if e["type"] == "Warning")
    assert all(warnings[(name, "VaultUnreachable")] >= 1 for name in names)
    assert max(warnings.values()) <= 2, warnings.most_common(3)
    assert fault_operator.error is None and fault_operator.thread.is_alive()
