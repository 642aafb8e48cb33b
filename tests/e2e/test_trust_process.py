"""The trust policy in the installed `vault-access-operator run` command: flags and env reach it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.test_trust_policy import LEGACY_TOKEN, wait_refused
from tests.support.listener import Listener
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube


def test_the_run_command_takes_the_policy_from_flags_and_env(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, tmp_path: Path
) -> None:
    fake_kube.create_service_account("apps", "login")
    fake_kube.create_service_account("apps", "other")
    vault_setup.create_kubernetes_role(vault_k8s.client(), "apps", ["login"], ["apps"], ttl="1h")
    fake_kube.create_secret("kube-system", "legacy", {"token": LEGACY_TOKEN})
    env = {**os.environ, "KUBECONFIG": str(fake_kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
           "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(tmp_path),
           "VAO_TOKEN_SERVICE_ACCOUNTS": "apps/login"}
    command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone", "--metrics-port", "0",
               "--max-token-lifetime", "2h"]
    log_path = tmp_path / "operator.log"
    with Listener() as listener, log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            ref = {"name": "legacy", "namespace": "kube-system", "key": "token"}
            fake_kube.create_vaultconnection("steal", {"address": listener.url,
                                                       "auth": {"jwt": {"role": "r", "jwtSecretRef": ref}}})
            fake_kube.create_vaultconnection("other", k8s_spec(listener.url, serviceAccount="apps/other"))
            spec = k8s_spec(vault_k8s.url, role="apps", serviceAccount="apps/login", tokenDuration="2h")
            fake_kube.create_vaultconnection("allowed", spec)
            assert "--secret-namespace" in wait_refused(fake_kube, "steal")["message"]
            assert "service account apps/other" in wait_refused(fake_kube, "other")["message"]
            wait_phase(fake_kube, "allowed", "Active", timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)
        assert listener.received == []
    assert process.returncode == 0, log_path.read_text()[-2000:]
    assert LEGACY_TOKEN not in log_path.read_text()
