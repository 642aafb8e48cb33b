"""auth.gcp in the installed `vault-access-operator` command, a separate process configured only by its
environment (the Google endpoints are operator settings): a key-file iam connection and a gce connection
turn Active against the Google and Vault doubles; `plugins` lists the method."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import wait_phase
from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_metadata import Instance
from tests.support.gcp_vault_double import GcpVaultDouble
from vault_access_operator.cli import main
from vault_access_operator_devkit.kube import FakeKube

pytest_plugins = ["tests.support.gcp_fixtures"]
EMAIL = "vault-access-operator@vao-project.iam.gserviceaccount.com"


def test_the_run_command_logs_in_with_gcp(fake_kube: FakeKube, google: GoogleDouble, on_gke: Instance,
                                          gcp_vault: GcpVaultDouble, tmp_path: Path) -> None:
    fake_kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
    fake_kube.create_secret(OPERATOR_NS, "gcp-key", {"credentials.json": google.key_json(google.accounts[EMAIL])})
    gcp_vault.add_role("operator", bound_service_accounts=[EMAIL])
    gcp_vault.add_role("vm", type="gce", bound_service_accounts=[EMAIL])
    # os.environ holds the double's VAO_GCP_* and GCE_METADATA_* settings (the google fixture set them).
    env = {**os.environ, "KUBECONFIG": str(fake_kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
           "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(tmp_path)}
    command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone", "--metrics-port", "0"]
    log = (tmp_path / "operator.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        key_ref = {"name": "gcp-key", "key": "credentials.json"}
        fake_kube.create_vaultconnection("gcp-iam", {"address": gcp_vault.url, "auth": {
            "gcp": {"role": "operator", "credentialsSecretRef": key_ref}}})
        fake_kube.create_vaultconnection("gcp-gce", {"address": gcp_vault.url, "auth": {
            "gcp": {"role": "vm", "authType": "gce"}}})
        iam = wait_phase(fake_kube, "gcp-iam", "Active", timeout=30)
        gce = wait_phase(fake_kube, "gcp-gce", "Active", timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        log.close()
    output = (tmp_path / "operator.log").read_text()
    assert process.returncode == 0, output[-2000:]
    assert iam["authStatus"]["details"]["serviceAccount"] == EMAIL
    assert gce["authStatus"]["details"]["instance"] == on_gke.name
    assert google.token_requests == 1 and len(google.sign_requests) == 1 and len(google.identity_requests) == 1
    for secret in google.signed:
        assert secret not in output


def test_plugins_command_lists_gcp() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.split()[0] == "gcp")
    assert "vault-access-operator" in line and line.endswith("ok")
