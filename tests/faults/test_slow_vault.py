"""A Vault slower than the request timeout: one late answer does not take a healthy connection out of Active.

Under load (a busy Vault, a late event loop) a token lookup can miss the timeout while Vault and the token are
fine; reporting Error on that one miss stopped every dependant of the connection and wrote their statuses twice
(bench/README.md, session 10, "connections under load"). A Vault that keeps missing is still reported.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import k8s_spec
from tests.faults.helpers import all_objects, is_phase, wait_all
from vault_access_operator import vault_transport
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy

TIMEOUT = 1.0  # the operator's Vault request timeout in this module (10 s in production)
HOLD = 2.5  # seconds a stalled token lookup is held back: longer than TIMEOUT
LOOKUP = "/v1/auth/token/lookup-self"


class StallingProxy(CountingProxy):
    """Holds back the next ``stalls`` token lookups for ``HOLD`` seconds each: Vault answering too late."""

    def __init__(self, backend_port: int) -> None:
        super().__init__(backend_port)
        self.stalls = 0
        self.stalled = 0
        self._stall_lock = threading.Lock()

    def stall(self, lookups: int) -> None:
        with self._stall_lock:
            self.stalls = lookups

    def _take_stall(self, data: bytes) -> bool:
        with self._stall_lock:
            if self.stalls <= 0 or LOOKUP.encode() not in data:
                return False
            self.stalls -= 1
            self.stalled += 1
            return True

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool = False) -> None:
        if record:  # the client's side: requests
            reader = _Holding(reader, self)  # type: ignore[assignment]
        await super()._pipe(reader, writer, record)


class _Holding:
    def __init__(self, reader: asyncio.StreamReader, proxy: StallingProxy) -> None:
        self._reader, self._proxy = reader, proxy

    async def read(self, n: int) -> bytes:
        data = await self._reader.read(n)
        if self._proxy._take_stall(data):
            await asyncio.sleep(HOLD)
        return data


@pytest.fixture
def slow_proxy(vault_dev: OpenBaoServer) -> Iterator[StallingProxy]:
    with StallingProxy(vault_dev.port) as proxy:
        yield proxy


@pytest.fixture
def short_timeout_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read when the operator's Vault pool is created: request this before ``fault_operator``."""
    monkeypatch.setattr(vault_transport, "REQUEST_TIMEOUT", TIMEOUT)


def lookups(proxy: CountingProxy, since: int) -> int:
    return sum(1 for line in proxy.requests_since(since) if line.endswith(LOOKUP))


def warnings(kube: FakeKube, name: str) -> Counter[str]:
    return Counter(e["reason"] for e in kube.list_events() if e["involvedObject"]["name"] == name)


def test_one_late_health_check_keeps_the_connection_active(
    fake_kube: FakeKube, slow_proxy: StallingProxy, short_timeout_operator: None, fault_operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("slow", k8s_spec(slow_proxy.url, interval="1s"))
    before = wait_all(fake_kube, ["slow"], is_phase("Active"), timeout=30, what="Active")["slow"]
    events_before = warnings(fake_kube, "slow")

    index = len(slow_proxy.requests_since(0))
    slow_proxy.stall(1)
    deadline = time.monotonic() + 30
    while lookups(slow_proxy, index) < 4 and time.monotonic() < deadline:  # the late one, its retry, two more
        time.sleep(0.1)
    assert slow_proxy.stalled == 1 and lookups(slow_proxy, index) >= 4, (slow_proxy.stalled, lookups(slow_proxy, index))

    status = all_objects(fake_kube)["slow"]["status"]
    assert status["phase"] == "Active" and status["consecutiveFailures"] == 0, status
    assert status["authStatus"]["loginCount"] == 1  # no re-login either
    assert status["authStatus"]["tokenAccessor"] == before["authStatus"]["tokenAccessor"]
    # Never left Active: no VaultUnreachable warning, no "Active again" event.
    assert warnings(fake_kube, "slow") - events_before == Counter(), warnings(fake_kube, "slow")
    assert fault_operator.error is None


def test_a_vault_that_keeps_answering_late_is_reported(
    fake_kube: FakeKube, slow_proxy: StallingProxy, short_timeout_operator: None, fault_operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("stuck", k8s_spec(slow_proxy.url, interval="1s"))
    wait_all(fake_kube, ["stuck"], is_phase("Active"), timeout=30, what="Active")

    slow_proxy.stall(1000)
    down = wait_all(fake_kube, ["stuck"], is_phase("Error", "VaultUnreachable"), timeout=30, what="Error")["stuck"]
    assert f"did not answer within {TIMEOUT:g}s" in down["message"], down["message"]
    assert slow_proxy.stalled >= 2  # the first late answer was tried once more before it counted
    assert down["authStatus"]["loginCount"] == 1  # a late Vault is not a refused token: no re-login

    slow_proxy.stall(0)  # Vault is quick again: Active after a healthy cycle, with the same token
    back = wait_all(fake_kube, ["stuck"], is_phase("Active"), timeout=30, what="Active again")["stuck"]
    assert back["authStatus"]["loginCount"] == 1
    assert warnings(fake_kube, "stuck")["VaultUnreachable"] == 1
