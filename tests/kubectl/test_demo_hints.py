"""The kubectl commands `demo --keep-running` prints work, pasted as they are, against what the demo sets up."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.kubectl.conftest import Kubectl
from vault_access_operator_devkit.demo import NAMESPACE, _table, apply_crds, apply_sample, kubectl_hints, sample
from vault_access_operator_devkit.demo_policy import POLICY_NAMESPACE, policy_sample
from vault_access_operator_devkit.demo_role import role_sample
from vault_access_operator_devkit.kube import FakeKube


def test_every_printed_command_runs(kubectl: Kubectl, fake_kube: FakeKube, tmp_path: Path) -> None:
    fake_kube.create_namespace(NAMESPACE)
    apply_crds(fake_kube)
    apply_sample(fake_kube, sample("http://127.0.0.1:8200"))
    fake_kube.patch_vaultconnection_status("demo", {"phase": "Active", "conditions": [
        {"type": "Ready", "status": "True", "reason": "Connected", "message": "ok",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}]})
    fake_kube.ensure_namespace(POLICY_NAMESPACE)
    fake_kube.create("vaultpolicies", policy_sample("demo"))
    fake_kube.create("vaultroles", role_sample("demo"))
    kubeconfig = tmp_path / "kubeconfig"
    hints = kubectl_hints(kubeconfig, "demo").splitlines()
    assert f"  export KUBECONFIG={kubeconfig}" in hints
    commands = [shlex.split(line, comments=True) for line in hints if line.startswith("  kubectl ")]
    assert [c[:3] for c in commands[:4]] == [["kubectl", "get", "vaultconnections"],
                                             ["kubectl", "describe", "vaultconnection"],
                                             ["kubectl", "wait", "--for=condition=Ready"],
                                             ["kubectl", "get", "events"]]
    # The sample was created as `kubectl apply` creates: applying it again changes nothing and warns of nothing.
    again = kubectl("apply", "-f", "-", stdin=json.dumps(sample("http://127.0.0.1:8200")))
    assert again.stdout.strip() == "vaultconnection.vault.platform.io/demo unchanged" and not again.stderr
    outputs = {}
    for command in commands:
        if "-w" not in command:  # a watch runs until stopped (test_kubectl_verbs covers it)
            outputs[" ".join(command[1:3])] = kubectl(*command[1:]).stdout
    assert outputs["get vaultconnections"].split()[:6] == ["NAME", "ADDRESS", "PHASE", "HEALTHY", "VERSION", "AGE"]
    assert "condition met" in outputs["wait --for=condition=Ready"]
    assert outputs["get vp"].split()[:2] == ["NAMESPACE", "NAME"] and "app-read" in outputs["get vp"]
    assert outputs["get vr"].split()[:5] == ["NAMESPACE", "NAME", "VAULT", "ROLE", "PHASE"]
    assert "demo" in outputs["get vr"] and "app" in outputs["get vr"]
    assert "deleted" in outputs["delete vaultconnection"]


def test_the_demo_prints_get_as_kubectl_does(kubectl: Kubectl, fake_kube: FakeKube) -> None:
    apply_crds(fake_kube)
    apply_sample(fake_kube, sample("http://127.0.0.1:8200"))
    fake_kube.patch_vaultconnection_status("demo", {"phase": "Active", "healthy": True, "vaultVersion": "2.7.2"})
    printed = [line.split()[:-1] for line in _table(fake_kube, "demo").splitlines()]  # all but AGE, which ticks
    shown = [line.split()[:-1] for line in kubectl("get", "vaultconnection", "demo").stdout.splitlines()]
    assert printed == shown == [["NAME", "ADDRESS", "PHASE", "HEALTHY", "VERSION"],
                                ["demo", "http://127.0.0.1:8200", "Active", "true", "2.7.2"]]
