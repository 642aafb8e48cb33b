"""No aiohttp request, response or payload object outlives a login (issue 18: memory per connection).

Session 11 saw about 1 kB per connection allocated at aiohttp's ``client.py`` and ``payload.py`` lines still alive
after the logins. None of it is a request object: after 10 logins through the real operator, against OpenBao and
the API emulator, not one ClientRequest, payload or new ClientResponse is left (kopf's watch streams hold theirs
from the start). What those lines keep is memory of the interpreter's, not an object (bench/README.md, session 12).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter

import aiohttp

from tests.e2e.helpers import wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator

CONNECTIONS = 10
KINDS = (aiohttp.ClientRequest, aiohttp.ClientResponse, aiohttp.payload.Payload)


async def _alive() -> Counter[str]:
    """The aiohttp request-side objects alive in the process, by class (after a full collection)."""
    gc.collect()
    return Counter(kind.__name__ for o in gc.get_objects() for kind in KINDS if isinstance(o, kind))


def _count(operator: RunningOperator) -> Counter[str]:
    assert operator.loop is not None
    return asyncio.run_coroutine_threadsafe(_alive(), operator.loop).result(30)


def test_logins_leave_no_aiohttp_request_objects(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    time.sleep(1.0)  # kopf's start-up: its watch streams open (one ClientResponse each, for the process's life)
    before = _count(operator)
    for index in range(CONNECTIONS):
        fake_kube.create_vaultconnection(f"released-{index}", {
            "address": vault_k8s.url, "auth": {"kubernetes": {"role": "operator"}}, "healthCheckInterval": "1h"})
    for index in range(CONNECTIONS):
        wait_phase(fake_kube, f"released-{index}", "Active")
    time.sleep(2.0)  # the last status writes and events are answered; kopf's per-object workers end
    after = _count(operator)
    # Each login: a TokenRequest, the Vault login, a status write and an event, at least 4 requests per connection.
    assert not after - before, f"aiohttp objects kept after {CONNECTIONS} logins: {dict(after - before)}"
    assert after["ClientResponse"] >= 1  # kopf's watch streams: the count sees what it counts
