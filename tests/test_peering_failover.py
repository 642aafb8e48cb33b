"""Failover of two `vault-access-operator run --peering` processes when the leader is killed (SIGKILL).

The replica that takes over waits for the dead leader's peering record to expire: at most the peering
lifetime after the leader's last keep-alive. kopf's default lifetime (60 s) made that 50 s; the
operator's default is 15 s, as controller-runtime's lease. This test runs the processes as the chart
does, with the default lifetime, kills the leader and measures how long the connection goes unserved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from tests.test_chart import container, one, render
from vault_access_operator.peering import DEFAULT_PEERING_LIFETIME
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.process import kill_on_exit, terminate
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.waiting import wait_for

PEERINGS = "clusterkopfpeerings"


class Replica:
    """One operator process of the chart's Deployment (its own process group, so SIGKILL reaches it all)."""

    def __init__(self, kube: FakeKube, tmp: Path, name: str, priority: int) -> None:
        objects = render({"replicaCount": 2})
        args = [a for a in container(objects)["args"] if a.startswith(("--peering=", "--peering-lifetime="))]
        self.peering = args[0].split("=", 1)[1]
        env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
               "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(tmp), "POD_ID": name}
        command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", *args,
                   f"--priority={priority}", "--metrics-port=0"]
        self.log_path = tmp / f"{name}.log"
        self._log: IO[str] = self.log_path.open("w")
        self.proc = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        kill_on_exit(self.proc)

    def stop(self, sig: int = signal.SIGINT) -> None:
        terminate(self.proc, sig, timeout=30)
        self._log.close()


@pytest.fixture
def replicas(fake_kube: FakeKube, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    fake_kube.create(PEERINGS, one(render({"replicaCount": 2}), "ClusterKopfPeering"))
    leader = Replica(fake_kube, tmp_path, "pod-leader", priority=100)
    follower = Replica(fake_kube, tmp_path, "pod-follower", priority=10)
    try:
        yield leader, follower
    finally:
        for replica in (leader, follower):
            replica.stop()


def _live_operator_tokens(vault: OpenBaoServer) -> int:
    client = vault.client()
    accessors = client.auth.token.list_accessors()["data"]["keys"]
    metas = [client.auth.token.lookup_accessor(a)["data"].get("meta") or {} for a in accessors]
    return sum(1 for meta in metas if meta.get("role") == "operator")


def test_a_killed_leader_is_replaced_within_the_peering_lifetime(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, replicas: tuple[Replica, Replica]
) -> None:
    leader, follower = replicas

    def peers() -> dict[str, Any]:
        return (fake_kube.get(PEERINGS, leader.peering) or {}).get("status") or {}

    wait_for(lambda: len(peers()) == 2, timeout=60, message="both replicas in the peering")
    assert {p["lifetime"] for p in peers().values()} == {DEFAULT_PEERING_LIFETIME}

    fake_kube.create_vaultconnection("vault-k8s", k8s_spec(vault_k8s.url, interval="5s"))
    first = wait_phase(fake_kube, "vault-k8s", "Active", timeout=60)["authStatus"]["tokenAccessor"]
    time.sleep(2)  # a follower that wrongly reconciles would log in within this
    assert _live_operator_tokens(vault_k8s) == 1

    os.killpg(leader.proc.pid, signal.SIGKILL)  # a crash: no revocation, no goodbye to the peering
    killed = time.monotonic()

    def served_by_follower() -> bool:
        status = status_of(fake_kube, "vault-k8s")
        return status.get("phase") == "Active" and status["authStatus"]["tokenAccessor"] != first

    wait_for(served_by_follower, timeout=4 * DEFAULT_PEERING_LIFETIME, message="the follower never took over")
    failover = time.monotonic() - killed
    print(f"failover after SIGKILL: {failover:.1f} s (peering lifetime {DEFAULT_PEERING_LIFETIME} s)")
    # The record expires at most a lifetime after the last keep-alive; the login follows. kopf's 60 s
    # default took 50 s here: twice the lifetime is a bound that fails for it and holds on a loaded machine.
    assert failover < 2 * DEFAULT_PEERING_LIFETIME, leader.log_path.read_text()[-2000:]
    # One new login: the dead leader's token (never revoked) and the follower's, nothing more.
    time.sleep(2)
    assert _live_operator_tokens(vault_k8s) == 2
    assert follower.proc.poll() is None
