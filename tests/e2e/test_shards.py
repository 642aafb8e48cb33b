"""Two shards of the operator, as separate processes on one cluster and one OpenBao (audited).

Shard a owns the objects labelled vao-shard=a and the cluster-scoped objects; shard b (two replicas with
peering) owns vao-shard=b. Each shard runs as its own service account, so OpenBao's audit log says which
shard wrote what: every policy is written exactly once, by its own shard; a stopped replica of shard b is
replaced by the other; a policy relabelled from b to a is handed over without a write, and its next
change is written by shard a alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from bench.openbao import AuditedOpenBao
from tests.conftest import OPERATOR_NS
from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from tests.e2e.policy_helpers import OPERATOR_POLICY, create_policy, get_policy, patch_policy
from vault_access_operator.testing.process import kill_on_exit, terminate
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.waiting import wait_for

ACCOUNTS = {"a": "vao-shard-a", "b": "vao-shard-b"}


class Shard:
    def __init__(self, kube: FakeKube, tmp: Path, shard: str, pod: str, *extra: str) -> None:
        env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
               "OPERATOR_SERVICE_ACCOUNT": ACCOUNTS[shard], "HOME": str(tmp), "POD_ID": pod}
        command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--metrics-port=0",
                   f"--shard={shard}", f"--shard-selector=vao-shard={shard}", *extra]
        self.log_path = tmp / f"{pod}.log"
        self._log: IO[str] = self.log_path.open("w")
        self.proc = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        kill_on_exit(self.proc)

    def stop(self) -> None:
        terminate(self.proc, signal.SIGINT, timeout=30)
        self._log.close()


@pytest.fixture
def audited(fake_kube: FakeKube) -> Iterator[AuditedOpenBao]:
    server = AuditedOpenBao().start()
    try:
        client = server.client()
        vault_setup.enable_kubernetes_auth(client, fake_kube.url)
        vault_setup.write_policy(client, "operator-access", OPERATOR_POLICY)
        for account in ACCOUNTS.values():
            fake_kube.create_service_account(OPERATOR_NS, account)
        vault_setup.create_kubernetes_role(client, "operator", list(ACCOUNTS.values()), [OPERATOR_NS],
                                           policies=("default", "operator-access"))
        yield server
    finally:
        server.stop()


def policy_writes(server: AuditedOpenBao) -> Counter[tuple[str, str]]:
    """(Vault policy name, writing service account) of every policy write in the audit log."""
    writes: Counter[tuple[str, str]] = Counter()
    for line in server.audit.path.read_text().splitlines():
        entry: dict[str, Any] = json.loads(line)
        request = entry.get("request") or {}
        path = str(request.get("path", ""))
        if entry.get("type") == "request" and request.get("operation") in ("create", "update") \
                and path.startswith("sys/policies/acl/"):
            account = ((entry.get("auth") or {}).get("metadata") or {}).get("service_account_name", "?")
            writes[(path.removeprefix("sys/policies/acl/"), account)] += 1
    return writes


def _active(kube: FakeKube, name: str, namespace: str) -> bool:
    return ((get_policy(kube, name, namespace) or {}).get("status") or {}).get("phase") == "Active"


def test_two_shards_each_write_their_own_objects_once(
    fake_kube: FakeKube, audited: AuditedOpenBao, tmp_path: Path
) -> None:
    fake_kube.create("clusterkopfpeerings", {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering",
                                             "metadata": {"name": "vao-b"}})
    a = Shard(fake_kube, tmp_path, "a", "a-0", "--standalone", "--cluster-scoped")
    b1 = Shard(fake_kube, tmp_path, "b", "b-0", "--peering=vao-b", "--priority=100")
    b2 = Shard(fake_kube, tmp_path, "b", "b-1", "--peering=vao-b", "--priority=10")
    shards = [a, b1, b2]
    try:
        fake_kube.create_vaultconnection("vault", k8s_spec(audited.url, interval="5s"))
        status = wait_phase(fake_kube, "vault", "Active", timeout=60)
        # Only shard a writes the connection's status: the token on it is shard a's.
        assert status["authStatus"]["details"]["serviceAccount"] == f"{OPERATOR_NS}/{ACCOUNTS['a']}"

        for namespace in ("team-1", "team-2"):
            fake_kube.ensure_namespace(namespace)
            for shard in ("a", "b"):
                rules = [{"path": f"{namespace}/{shard}", "capabilities": ["read"]}]
                create_policy(fake_kube, f"p-{shard}", {"connectionRef": "vault", "rules": rules}, namespace)
                patch_policy(fake_kube, f"p-{shard}", {"metadata": {"labels": {"vao-shard": shard}}}, namespace)
        objects = [(f"p-{s}", ns, s) for ns in ("team-1", "team-2") for s in ("a", "b")]
        wait_for(lambda: all(_active(fake_kube, n, ns) for n, ns, _ in objects), timeout=60,
                 message="every policy Active")
        writes = policy_writes(audited)
        expected = {(f"vao.default.{ns}.{n}", ACCOUNTS[s]): 1 for n, ns, s in objects}
        assert writes == expected, writes

        # Shard b's leader stops: the other replica of shard b takes its objects over (no rewrite needed).
        b1.stop()
        patch_policy(fake_kube, "p-b", {"spec": {"rules": [{"path": "team-1/b2", "capabilities": ["list"]}]}},
                     "team-1")
        wait_for(lambda: policy_writes(audited)[("vao.default.team-1.p-b", ACCOUNTS["b"])] == 2, timeout=60,
                 message="shard b's second replica writes the change")

        # A policy relabelled from shard b to shard a: handed over without a write ...
        patch_policy(fake_kube, "p-b", {"metadata": {"labels": {"vao-shard": "a"}}}, "team-2")
        before = policy_writes(audited)
        patch_policy(fake_kube, "p-b", {"spec": {"rules": [{"path": "team-2/moved", "capabilities": ["read"]}]}},
                     "team-2")
        # ... and its next change is written once, by shard a, never by shard b.
        wait_for(lambda: policy_writes(audited)[("vao.default.team-2.p-b", ACCOUNTS["a"])] == 1, timeout=60,
                 message="shard a writes the relabelled policy")
        assert policy_writes(audited)[("vao.default.team-2.p-b", ACCOUNTS["b"])] == \
            before[("vao.default.team-2.p-b", ACCOUNTS["b"])] == 1
        assert status_of(fake_kube, "vault")["phase"] == "Active"
        # Three logins (a, b's first replica, b's second), one LoggedIn event: shard a's; shard b is silent.
        assert [e["reason"] for e in fake_kube.list_events(involved_name="vault")] == ["LoggedIn"]
    finally:
        for replica in shards:
            replica.stop()
