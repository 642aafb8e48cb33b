"""A restart with everything synced: one pass per object, and nothing but what a pass reads wakes another.

kopf writes its own state under our annotation prefix (its diff-base, its marker, deletion progress), and other
tools annotate objects too: before, each such write woke the object's worker for a pass it did not need (a
restart of an operator stopped before kopf had annotated every object paid two passes per object).
"""

from __future__ import annotations

import contextlib
import time

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import create_policy, get_policy, patch_policy, status_writes
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

NAMES = ("a", "b", "c")


def _metric(running: RunningOperator, name: str, sample: str) -> float:
    """A metric of the running operator summed over its labels (what /metrics shows)."""
    return sum(s.value for m in running.app.metrics.registry.collect() if m.name == name
               for s in m.samples if s.name == sample)


def _passes(running: RunningOperator) -> float:
    return _metric(running, "vault_access_operator_policy_reconcile", "vault_access_operator_policy_reconcile_total")


def _confirmed(running: RunningOperator) -> float:
    """Objects whose first pass is done: every object is counted in one phase of access_objects once it has one."""
    return _metric(running, "vault_access_operator_access_objects", "vault_access_operator_access_objects")


def _phase(kube: FakeKube, name: str) -> str | None:
    return ((get_policy(kube, name) or {}).get("status") or {}).get("phase")


def test_a_restart_passes_each_object_once_and_only_what_a_pass_reads_wakes_it(
    fake_kube: FakeKube, vault_acl: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    access = AccessSettings(cluster_name="E2E", resync_seconds=600)  # no drift check within the test

    def operator() -> contextlib.AbstractContextManager[RunningOperator]:
        return run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                            backoff=Backoff(base=0.2, cap=2.0))

    with operator():
        fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
        wait_phase(fake_kube, "vault", "Active")
        for n in NAMES:
            rules = [{"path": f"s/{n}", "capabilities": ["read"]}]
            create_policy(fake_kube, n, {"connectionRef": "vault", "rules": rules})
        wait_for(lambda: all(_phase(fake_kube, n) == "Active" for n in NAMES), timeout=20, message="Active")
    writes = sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in NAMES)

    with operator() as second:
        wait_for(lambda: _confirmed(second) == len(NAMES), timeout=20, message="every object's first pass")
        time.sleep(0.5)  # a second pass, if anything woke one, has had its chance
        assert _passes(second) == len(NAMES)

        # kopf's own bookkeeping and another tool's annotation: no pass reads them, none runs.
        patch_policy(fake_kube, "a", {"metadata": {"annotations": {
            "vault.platform.io/kopf-managed": "yes",
            "vault.platform.io/last-handled-configuration": '{"spec": {}}',
            "vault.platform.io/_access_handlers._locals_.deleted": "{}",
            "vault.platform.io/touch-dummy": "x",
            "example.com/owner": "team-a",
        }}})
        wait_for(lambda: "example.com/owner" in (get_policy(fake_kube, "a") or {})["metadata"]["annotations"],
                 message="annotated")
        time.sleep(1)  # the event has reached the operator; a pass would have run by now
        assert _passes(second) == len(NAMES)

        # What a pass does read (here: a request to compare with Vault now) still wakes it at once.
        patch_policy(fake_kube, "a", {"metadata": {"annotations": {"vault.platform.io/reconcile-now": "1"}}})
        wait_for(lambda: _passes(second) > len(NAMES), timeout=10, message="the reconcile-now pass")
        assert sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in NAMES) == writes
