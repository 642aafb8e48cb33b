"""Access objects across replicas: a replica that loses the peering lead lets go of its policies.

Before, its connection daemons stopped (kopf pauses them) but its policy workers went on: they woke to
"connection gone" and wrote ConnectionNotFound onto every policy the new leader was serving, and their
drift checks kept running on a spec they no longer saw change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import kopf

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import create_policy, get_policy, patch_policy, status_writes
from tests.test_chart import one, render
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

PEERINGS = "clusterkopfpeerings"


@contextlib.contextmanager
def _replica(kube: FakeKube, identity: OperatorIdentity, peering: str, priority: int) -> Iterator[RunningOperator]:
    def short_lifetime(settings: kopf.OperatorSettings) -> None:
        settings.peering.lifetime = 3

    with run_operator(kube.connection_info(), identity=identity, backoff=Backoff(base=0.2, cap=2.0),
                      standalone=False, peering_name=peering, priority=priority, configure=short_lifetime) as running:
        yield running


def _phase(kube: FakeKube, name: str) -> str | None:
    return ((get_policy(kube, name) or {}).get("status") or {}).get("phase")


def test_a_replica_that_loses_the_lead_stops_syncing_its_policies(
    fake_kube: FakeKube, vault_acl: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    peering = one(render({"replicaCount": 2}), "ClusterKopfPeering")
    fake_kube.create(PEERINGS, peering)
    name = peering["metadata"]["name"]
    with _replica(fake_kube, operator_identity, name, priority=10) as first:
        fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
        wait_phase(fake_kube, "vault", "Active")
        for n in ("a", "b"):
            rules = [{"path": f"s/{n}", "capabilities": ["read"]}]
            create_policy(fake_kube, n, {"connectionRef": "vault", "rules": rules})
        wait_for(lambda: all(_phase(fake_kube, n) == "Active" for n in ("a", "b")), timeout=20, message="Active")
        writes = sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in ("a", "b"))

        with _replica(fake_kube, operator_identity, name, priority=100) as second:
            wait_for(lambda: second.app.manager.names == ["vault"], timeout=15, message="the new leader")
            wait_for(lambda: first.app.manager.names == [], timeout=5, message="the old leader let go")
            # The old leader holds its objects back: their passes report nothing while another replica serves them.
            wait_for(lambda: "vault" in first.app.access.released, timeout=5, message="the old leader let go")
            wait_for(lambda: len(second.app.access._objects) == 2, timeout=10, message="the new leader's workers")
            wait_for(lambda: all(_phase(fake_kube, n) == "Active" for n in ("a", "b")), timeout=10,
                     message="policies still Active")
            # Neither replica rewrote the policies' status: they were and stay Active and synced.
            assert sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in ("a", "b")) == writes
            assert not [e for n in "ab" for e in fake_kube.list_events(involved_name=n)
                        if e["reason"] in ("ConnectionNotFound", "ConnectionNotReady")]


def test_a_restart_writes_no_status_on_synced_policies(
    fake_kube: FakeKube, vault_acl: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    def operator() -> contextlib.AbstractContextManager[RunningOperator]:
        return run_operator(fake_kube.connection_info(), identity=operator_identity,
                            backoff=Backoff(base=0.2, cap=2.0))

    with operator():
        fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
        wait_phase(fake_kube, "vault", "Active")
        for n in ("a", "b", "c"):
            rules = [{"path": f"s/{n}", "capabilities": ["read"]}]
            create_policy(fake_kube, n, {"connectionRef": "vault", "rules": rules})
        wait_for(lambda: all(_phase(fake_kube, n) == "Active" for n in "abc"), timeout=20, message="Active")
    # The stop released the connection: before, every worker then wrote ConnectionNotFound on its way out,
    # and the next start wrote ConnectionNotReady and then Active again.
    writes = sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in "abc")
    assert writes == 3  # one each: synced, Active
    with operator() as second:
        wait_for(lambda: len(second.app.access._objects) == 3, timeout=10, message="the objects")
        wait_phase(fake_kube, "vault", "Active")
        objects = second.app.access._objects.values()
        # The first passes done: none waits for the connection any more, none runs.
        wait_for(lambda: all(not (t.settling or t.woken) and t.task is None for t in objects), timeout=10,
                 message="the first passes")
        time.sleep(1)  # a pass that would write has had its chance
        assert sum(status_writes(fake_kube, VAULTPOLICIES.plural, n) for n in "abc") == writes


def test_objects_of_a_released_connection_write_nothing(
    fake_kube: FakeKube, vault_acl: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    """A connection this replica let go of (paused, or stopping) is not gone: an event for one of its objects
    that arrives afterwards (kopf still delivers some while it stops) must not report it ConnectionNotFound."""
    with run_operator(fake_kube.connection_info(), identity=operator_identity,
                      backoff=Backoff(base=0.2, cap=2.0)) as running:
        fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
        wait_phase(fake_kube, "vault", "Active")
        create_policy(fake_kube, "a", {"connectionRef": "vault", "rules": [{"path": "s/a", "capabilities": ["read"]}]})
        wait_for(lambda: _phase(fake_kube, "a") == "Active", timeout=20, message="Active")
        writes = status_writes(fake_kube, VAULTPOLICIES.plural, "a")
        assert running.loop is not None
        asyncio.run_coroutine_threadsafe(running.app.release("vault"), running.loop).result(10)
        patch_policy(fake_kube, "a", {"metadata": {"annotations": {"vault.platform.io/dry-run": "false"}}})  # wakes it
        time.sleep(1)  # the pass that would report the connection gone has had its chance
        assert status_writes(fake_kube, VAULTPOLICIES.plural, "a") == writes
        assert not [e for e in fake_kube.list_events(involved_name="a") if e["reason"] == "ConnectionNotFound"]
