"""Watch restarts and list/watch errors: nothing is lost, and the operator keeps running."""

from __future__ import annotations

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from tests.faults.helpers import is_phase, wait_all
from vault_access_operator.handlers import FINALIZER
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

VAULTCONNECTIONS_PATH = r"^/apis/vault\.platform\.io/v1alpha1/vaultconnections$"  # list and watch


@pytest.mark.parametrize("compacted", [False, True], ids=["failing-relists", "compacted-history"])
def test_changes_made_while_the_watch_is_down_are_applied(
    compacted: bool, fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    names = ["w-0", "w-1", "w-2"]
    for name in names:
        fake_kube.create_vaultconnection(name, k8s_spec(vault_dev.url, interval="1s"))
    before = wait_all(fake_kube, names, is_phase("Active"), timeout=15, what="Active")

    # The watch ends and cannot be resumed for a while. Meanwhile an object is created and one is edited.
    # compacted: the API server also compacts its history, so resuming from the last resourceVersion kopf
    # saw answers "410 Gone" and only a new LIST shows what happened.
    fake_kube.inject_failure("GET", VAULTCONNECTIONS_PATH, 500, times=1_000_000 if compacted else 4)
    fake_kube.restart_watches()
    fake_kube.create_vaultconnection("late", k8s_spec(vault_dev.url, interval="1s"))
    fake_kube.patch_vaultconnection("w-0", {"spec": {"healthCheckInterval": "2s"}})
    if compacted:
        fake_kube.restart_watches(compact=True)
        fake_kube.clear_failures()

    assert wait_phase(fake_kube, "late", "Active", timeout=15)["observedGeneration"] == 1
    edited = wait_for(lambda: (s := status_of(fake_kube, "w-0")).get("observedGeneration") == 2 and s,
                      timeout=15, message="the edit made during the watch outage was never applied")
    assert edited  # wait_for returns only a truthy value
    assert edited["phase"] == "Active"
    for name in names[1:]:  # untouched connections were not restarted by the watch restart
        status = status_of(fake_kube, name)
        assert status["phase"] == "Active" and status["authStatus"]["loginCount"] == 1
        assert status["authStatus"]["tokenAccessor"] == before[name]["authStatus"]["tokenAccessor"]
    assert fake_kube.emulator is not None and (fake_kube.emulator.expired_watches >= 1) == compacted
    assert fault_operator.error is None and fault_operator.thread.is_alive()


def test_kopf_patch_errors_are_retried(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    # kopf's own writes on the object (finalizer, progress annotations) fail a few times.
    fake_kube.inject_failure("PATCH", r"/vaultconnections/kopf-writes$", 500, times=3)
    fake_kube.create_vaultconnection("kopf-writes", k8s_spec(vault_dev.url, interval="1s"))
    wait_phase(fake_kube, "kopf-writes", "Active", timeout=15)
    wait_for(lambda: FINALIZER in (fake_kube.get_vaultconnection("kopf-writes") or {})["metadata"].get(
        "finalizers", []), timeout=10, message="kopf never added its finalizer")
    assert fault_operator.error is None and fault_operator.thread.is_alive()


def test_a_long_watch_outage_does_not_stop_the_operator(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    # kopf's default retries (1, 1, 2, 3, 5, 8, 13, 21 s) run out after 9 failures, and then kopf stops the
    # whole operator; the operator makes them endless. 10 failures outlast kopf's default budget.
    fake_kube.create_vaultconnection("a", k8s_spec(vault_dev.url, interval="1s"))
    wait_phase(fake_kube, "a", "Active")
    fake_kube.inject_failure("GET", VAULTCONNECTIONS_PATH, 500, times=10)
    fake_kube.restart_watches()
    fake_kube.create_vaultconnection("after-outage", k8s_spec(vault_dev.url, interval="1s"))
    # Ends early when the operator dies: that is the failure this test is about.
    wait_for(lambda: not fault_operator.thread.is_alive() or status_of(fake_kube, "after-outage").get("phase"),
             timeout=30, message="after-outage was never processed")
    assert fault_operator.error is None and fault_operator.thread.is_alive()
    wait_phase(fake_kube, "after-outage", "Active")
    assert fake_kube.tokens.minted_for(OPERATOR_NS, OPERATOR_SA) == 2  # no restart, no re-login of "a"
