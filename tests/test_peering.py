"""Two or more replicas: only one reconciles at a time (kopf peering), and a failover works.

Real operators (kopf + our handlers, each in its own thread) share one Kubernetes API emulator
and one OpenBao, exactly like two pods of the chart's Deployment with ``--peering``.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Iterator
from typing import Any

import kopf
import pytest

from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from tests.test_chart import container, one, render
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

CHART_VALUES = {"replicaCount": 2}
PEERING = "vault-access-operator"  # the chart's default peering.name
LIFETIME = 3  # seconds a peer's keep-alive counts (kopf's default is 60)
PEERINGS = "clusterkopfpeerings"


def _short_lifetime(settings: kopf.OperatorSettings) -> None:
    settings.peering.lifetime = LIFETIME


@contextlib.contextmanager
def _replica(kube: FakeKube, identity: OperatorIdentity, priority: int) -> Iterator[RunningOperator]:
    with run_operator(
        kube.connection_info(),
        identity=identity,
        backoff=Backoff(base=0.2, cap=2.0),
        standalone=False,
        peering_name=PEERING,
        priority=priority,
        configure=_short_lifetime,
    ) as running:
        yield running


def _peers(kube: FakeKube) -> dict[str, Any]:
    return (kube.get(PEERINGS, PEERING) or {}).get("status") or {}


def _live_tokens(vault: OpenBaoServer) -> int:
    """Vault tokens of the operator's role that are still valid (a stopping replica revokes its own)."""
    client = vault.client()
    accessors = client.auth.token.list_accessors()["data"]["keys"]
    metas = [client.auth.token.lookup_accessor(a)["data"].get("meta") or {} for a in accessors]
    return sum(1 for meta in metas if meta.get("role") == "operator")


def _active_with_new_token(kube: FakeKube, old_accessor: str) -> dict[str, Any] | None:
    status = status_of(kube, "vault-k8s")
    accessor = status.get("authStatus", {}).get("tokenAccessor")
    return status if status.get("phase") == "Active" and accessor not in (None, old_accessor) else None


def _logins(running: RunningOperator) -> float:
    """Successful logins by this replica (its own Prometheus registry)."""
    labels = {"connection": "vault-k8s", "method": "kubernetes", "result": "success"}
    return running.app.metrics.registry.get_sample_value("vault_access_operator_logins_total", labels) or 0


@pytest.fixture
def peering(fake_kube: FakeKube) -> str:
    """The ClusterKopfPeering object the chart renders for replicaCount > 1, created in the API."""
    objects = render(CHART_VALUES)
    assert f"--peering={PEERING}" in container(objects)["args"]
    fake_kube.create(PEERINGS, one(objects, "ClusterKopfPeering"))
    return PEERING


def test_only_the_leader_reconciles_and_the_follower_takes_over(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_identity: OperatorIdentity, peering: str
) -> None:
    with contextlib.ExitStack() as follower_stack:
        with _replica(fake_kube, operator_identity, priority=100) as leader:
            follower = follower_stack.enter_context(_replica(fake_kube, operator_identity, priority=10))
            wait_for(lambda: len(_peers(fake_kube)) == 2, timeout=10, message="both replicas in the peering")

            fake_kube.create_vaultconnection("vault-k8s", k8s_spec(vault_k8s.url, interval="30s"))
            first = wait_phase(fake_kube, "vault-k8s", "Active")["authStatus"]["tokenAccessor"]
            assert leader.app.manager.names == ["vault-k8s"]
            time.sleep(1.0)  # give a wrongly active follower the time to log in too
            assert follower.app.manager.names == []
            assert (_logins(leader), _logins(follower)) == (1, 0)
            assert _live_tokens(vault_k8s) == 1

        # The leader stopped (it leaves the peering on a clean exit): the follower resumes and logs in.
        wait_for(lambda: follower.app.manager.names == ["vault-k8s"], timeout=10, message="the follower took over")
        status = wait_for(lambda: _active_with_new_token(fake_kube, first), timeout=10, message="follower login")
        assert status is not None  # wait_for returns only a truthy value
        assert status["healthy"] is True
        assert _logins(follower) == 1
        assert vault_k8s.client().auth.token.lookup_accessor(status["authStatus"]["tokenAccessor"])
        assert len(_peers(fake_kube)) == 1  # the leader left the peering on its way out


def test_a_leader_that_vanished_without_leaving_is_replaced_after_its_lifetime(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_identity: OperatorIdentity, peering: str
) -> None:
    # A higher-priority replica that crashed: its last keep-alive is still in the peering object.
    now = datetime.datetime.now(datetime.UTC).isoformat()
    crashed = {"crashed-pod": {"priority": 100, "lifetime": LIFETIME, "lastseen": now}}
    fake_kube.patch(PEERINGS, PEERING, {"status": crashed})
    fake_kube.create_vaultconnection("vault-k8s", k8s_spec(vault_k8s.url, interval="30s"))
    started = time.monotonic()

    with _replica(fake_kube, operator_identity, priority=10) as survivor:
        assert survivor.app.manager.names == []  # paused in favour of the (dead) leader
        wait_phase(fake_kube, "vault-k8s", "Active", timeout=LIFETIME + 10)
        assert time.monotonic() - started >= LIFETIME - 0.5  # it waited for the keep-alive to expire
        assert survivor.app.manager.names == ["vault-k8s"]
        wait_for(lambda: "crashed-pod" not in _peers(fake_kube), timeout=5, message="the dead peer cleaned up")


def test_replicas_with_equal_priorities_all_pause(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_identity: OperatorIdentity, peering: str
) -> None:
    """kopf's rule, and why every replica needs its own --priority: equal priorities freeze them all."""
    with _replica(fake_kube, operator_identity, priority=5) as first, \
            _replica(fake_kube, operator_identity, priority=5) as second:
        wait_for(lambda: len(_peers(fake_kube)) == 2, timeout=10, message="both replicas in the peering")
        fake_kube.create_vaultconnection("vault-k8s", k8s_spec(vault_k8s.url, interval="30s"))
        time.sleep(1.5)
        assert first.app.manager.names == second.app.manager.names == []
        assert status_of(fake_kube, "vault-k8s") == {}
        assert _live_tokens(vault_k8s) == 0


def test_a_replica_that_loses_the_lead_stops_reconciling(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_identity: OperatorIdentity, peering: str
) -> None:
    with _replica(fake_kube, operator_identity, priority=10) as first:
        fake_kube.create_vaultconnection("vault-k8s", k8s_spec(vault_k8s.url, interval="30s"))
        wait_phase(fake_kube, "vault-k8s", "Active")
        # A replica with a higher priority joins (e.g. a rolling update's new pod): it takes over ...
        with _replica(fake_kube, operator_identity, priority=100) as second:
            wait_for(lambda: second.app.manager.names == ["vault-k8s"], timeout=10, message="the new leader")
            # ... and the paused one lets go.
            wait_for(lambda: first.app.manager.names == [], timeout=3, message="the old leader let go")
