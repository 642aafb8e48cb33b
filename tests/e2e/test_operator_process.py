"""The installed `vault-access-operator` command, as a separate process with a kubeconfig."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import hvac
import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from vault_access_operator.cli import main
from vault_access_operator.kinds import KINDS
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube


def test_run_command_works_outside_a_cluster_with_a_kubeconfig(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, tmp_path: Path
) -> None:
    env = {**os.environ, "KUBECONFIG": str(fake_kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
           "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(tmp_path)}
    command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone", "--metrics-port", "0"]
    log = (tmp_path / "operator.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        fake_kube.create_vaultconnection("process", k8s_spec(vault_k8s.url))
        status = wait_phase(fake_kube, "process", "Active", timeout=30)
        assert status["authStatus"]["details"]["serviceAccount"] == f"{OPERATOR_NS}/{OPERATOR_SA}"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        log.close()
    assert process.returncode == 0, (tmp_path / "operator.log").read_text()[-2000:]
    # The command's own event loop (uvloop) ran the graceful stop through: the token was revoked.
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault_k8s.client().auth.token.lookup_accessor(status["authStatus"]["tokenAccessor"])


def test_plugins_command_lists_methods_and_packages() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    for method in ("kubernetes", "oidc", "jwt", "appRole", "token"):
        assert method in lines and "vault-access-operator" in lines[method] and lines[method].endswith("ok")


def test_crds_command_prints_the_crd() -> None:
    result = CliRunner().invoke(main, ["crds"])
    crds = list(yaml.safe_load_all(result.output))
    assert [c["metadata"]["name"] for c in crds] == [kind.crd_name for kind in KINDS]  # one per kind, in order
    assert [c["metadata"]["name"] for c in crds][:3] == [
        "vaultconnections.vault.platform.io", "vaultpolicies.vault.platform.io",
        "vaultclusterpolicies.vault.platform.io"]
    short = {c["spec"]["names"]["kind"]: c["spec"]["names"].get("shortNames") for c in crds}
    assert (short["VaultConnection"], short["VaultPolicy"], short["VaultClusterPolicy"]) == (None, ["vp"], ["vcp"])
    assert (short["VaultRole"], short["VaultClusterRole"], short["VaultKVSecret"]) == (["vr"], ["vcr"], ["vks"])
    one = CliRunner().invoke(main, ["crds", "--kind", "VaultPolicy"])
    assert [c["metadata"]["name"] for c in yaml.safe_load_all(one.output)] == ["vaultpolicies.vault.platform.io"]
    assert CliRunner().invoke(main, ["crds", "--kind", "Nope"]).exit_code == 2
    crd = crds[0]
    assert crd["metadata"]["name"] == "vaultconnections.vault.platform.io"
    assert crd["spec"]["scope"] == "Cluster"
    columns = [c["name"] for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]]
    assert columns == ["Address", "Phase", "Healthy", "Version", "Age"]
