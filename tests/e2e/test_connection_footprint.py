"""What one Active VaultConnection holds while it waits for its next health check (issue 18: RSS with 1,000
connections): the tasks and coroutine frames of ours, counted on the real operator against OpenBao."""

from __future__ import annotations

import asyncio
import gc
import time
import types

from tests.e2e.helpers import wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator

CONNECTIONS = 10
OURS = "vault_access_operator"


async def _held() -> tuple[int, int, int]:
    """The operator loop's tasks, its finished tasks still referenced, and the coroutines of our code alive."""
    gc.collect()
    tasks = len(asyncio.all_tasks())
    done = sum(1 for o in gc.get_objects() if isinstance(o, asyncio.Task) and o.done())
    ours = sum(1 for o in gc.get_objects()
               if isinstance(o, types.CoroutineType) and OURS in o.cr_code.co_filename)
    return tasks, done, ours


def _count(operator: RunningOperator) -> tuple[int, int, int]:
    assert operator.loop is not None
    return asyncio.run_coroutine_threadsafe(_held(), operator.loop).result(30)


def test_an_active_connection_holds_two_tasks_and_four_frames_of_ours(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    time.sleep(1.0)  # kopf's start-up tasks settle
    tasks, done, ours = _count(operator)
    for index in range(CONNECTIONS):
        fake_kube.create_vaultconnection(f"footprint-{index}", {
            "address": vault_k8s.url, "auth": {"kubernetes": {"role": "operator"}}, "healthCheckInterval": "1h"})
    for index in range(CONNECTIONS):
        wait_phase(fake_kube, f"footprint-{index}", "Active")
    time.sleep(2.0)  # kopf's per-object workers go after 0.5 s idle (core/handlers.py)
    tasks_after, done_after, ours_after = _count(operator)
    # kopf's daemon task and the runtime's own (main held a third: kopf's task behind ``stopped.wait()``).
    assert tasks_after - tasks <= 2 * CONNECTIONS + 5  # slack: kopf or the emulator mid-request
    # No finished task kept (main kept each runtime's ``_publish_pending_later`` task for the runtime's life).
    assert done_after - done <= 4
    # The daemon (hold), run, _maintain and Wakeup.sleep: main had 7 (_run, _sleep_until, the pending task's).
    assert ours_after - ours <= 4 * CONNECTIONS + 5
