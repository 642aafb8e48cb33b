"""The real kubectl against the API emulator: each verb a newcomer tries on the demo works as on a cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.kubectl.conftest import Kubectl
from vault_access_operator.kinds import KINDS
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.waiting import wait_for

CONNECTION = """apiVersion: vault.platform.io/v1alpha1
kind: VaultConnection
metadata:
  name: vault-k8s
spec:
  address: {address}
  auth:
    kubernetes:
      role: vault-access-operator
"""
READY = {"phase": "Active", "healthy": True, "vaultVersion": "2.1.0", "conditions": [
    {"type": "Ready", "status": "True", "reason": "Active", "message": "logged in",
     "lastTransitionTime": "2026-01-01T00:00:00Z"}]}


def watch_started(kube: FakeKube, path: str) -> bool:
    """kubectl has opened a watch on ``path`` (the emulator records every request)."""
    assert kube.emulator is not None
    return any(r.url.path == path and r.params.get("watch") in ("true", "1") for r in list(kube.emulator))


def crds_yaml() -> str:
    """What `vault-access-operator crds` prints, from the installed command as the README pipes it."""
    command = Path(sys.executable).parent / "vault-access-operator"
    return subprocess.run([str(command), "crds"], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture
def applied(kubectl: Kubectl) -> Kubectl:
    """The CRDs and one VaultConnection, applied with kubectl."""
    assert "created" in kubectl("apply", "-f", "-", stdin=crds_yaml()).stdout
    kubectl("apply", "-f", "-", stdin=CONNECTION.format(address="https://vault.example.com:8200"))
    return kubectl


def test_apply_of_the_crds_serves_the_kind_and_is_established(kubectl: Kubectl, fake_kube: FakeKube) -> None:
    first = kubectl("apply", "-f", "-", stdin=crds_yaml()).stdout
    crd = "customresourcedefinition.apiextensions.k8s.io/vaultconnections.vault.platform.io"
    assert first.split("\n")[0] == f"{crd} created"
    assert first.count(" created") == len(KINDS)  # one CRD per kind the operator serves
    assert "unchanged" in kubectl("apply", "-f", "-", stdin=crds_yaml()).stdout
    waited = kubectl("wait", "--for=condition=Established", "crd/vaultconnections.vault.platform.io", "--timeout=10s")
    assert "condition met" in waited.stdout
    assert kubectl("get", "crds", "-o", "name").stdout.split() == sorted(
        f"customresourcedefinition.apiextensions.k8s.io/{plural}.vault.platform.io"
        for plural in [kind.plural for kind in KINDS])
    assert {"vaultconnections", "vaultpolicies", "vaultclusterpolicies", "vaultkvsecrets"} <= {k.plural for k in KINDS}


def test_apply_creates_then_patches_with_the_last_applied_annotation(applied: Kubectl, fake_kube: FakeKube) -> None:
    created = fake_kube.get_vaultconnection("vault-k8s")
    assert created is not None
    assert "kubectl.kubernetes.io/last-applied-configuration" in created["metadata"]["annotations"]
    assert "unchanged" in applied("apply", "-f", "-", stdin=CONNECTION.format(
        address="https://vault.example.com:8200")).stdout
    changed = applied("apply", "-f", "-", stdin=CONNECTION.format(address="https://other.example.com:8200"))
    assert changed.stdout.strip() == "vaultconnection.vault.platform.io/vault-k8s configured"
    now = fake_kube.get_vaultconnection("vault-k8s")
    assert now is not None and now["spec"]["address"] == "https://other.example.com:8200"
    assert now["metadata"]["uid"] == created["metadata"]["uid"] and now["metadata"]["generation"] == 2


def test_apply_asks_the_server_to_validate_and_needs_no_flag(applied: Kubectl, fake_kube: FakeKube) -> None:
    # kubectl validates by default; it leaves that to a server whose OpenAPI says PATCH takes fieldValidation.
    bad = CONNECTION.format(address="https://vault.example.com:8200").replace("  auth:", "  unknownField: 1\n  auth:")
    result = applied("apply", "-f", "-", stdin=bad, check=False)
    assert result.returncode != 0
    assert 'unknown field "spec.unknownField"' in result.stderr


def test_get_prints_the_crd_printer_columns(applied: Kubectl, fake_kube: FakeKube) -> None:
    lines = applied("get", "vaultconnections").stdout.splitlines()
    assert lines[0].split() == ["NAME", "ADDRESS", "PHASE", "HEALTHY", "VERSION", "AGE"]
    assert lines[1].split()[:2] == ["vault-k8s", "https://vault.example.com:8200"]
    fake_kube.patch_vaultconnection_status("vault-k8s", READY)
    row = applied("get", "vaultconnection", "vault-k8s").stdout.splitlines()[1].split()
    assert row[:5] == ["vault-k8s", "https://vault.example.com:8200", "Active", "true", "2.1.0"]
    assert row[5].endswith("s")  # an age such as 0s or 3s


POLICY = """apiVersion: vault.platform.io/v1alpha1
kind: VaultPolicy
metadata: {name: app, namespace: default}
spec:
  connectionRef: vault-k8s
  rules: [{path: "secret/data/{{namespace}}/*", capabilities: [read]}]
"""


def test_get_vp_prints_vault_name_phase_rules_and_age(applied: Kubectl, fake_kube: FakeKube) -> None:
    applied("apply", "-f", "-", stdin=POLICY)
    fake_kube.call("PATCH", "/apis/vault.platform.io/v1alpha1/namespaces/default/vaultpolicies/app/status",
                   json={"status": {"phase": "Active", "vaultName": "vao.default.default.app", "rulesCount": 1}},
                   headers={"Content-Type": "application/merge-patch+json"})
    lines = applied("get", "vp", "-n", "default").stdout.splitlines()
    assert lines[0].split() == ["NAME", "VAULT", "NAME", "PHASE", "RULES", "AGE"]
    assert lines[1].split()[:4] == ["app", "vao.default.default.app", "Active", "1"]


def test_get_prints_columns_for_built_in_kinds(kubectl: Kubectl, fake_kube: FakeKube) -> None:
    fake_kube.create_secret("default", "token", {"a": "1", "b": "2"})
    lines = kubectl("get", "secrets").stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert lines[1].split()[:3] == ["token", "Opaque", "2"]


def test_get_yaml_and_describe_show_status_and_events(applied: Kubectl, fake_kube: FakeKube) -> None:
    fake_kube.patch_vaultconnection_status("vault-k8s", READY)
    uid = fake_kube.get_vaultconnection("vault-k8s")["metadata"]["uid"]  # type: ignore[index]
    fake_kube.create("events", {"metadata": {"name": "vault-k8s.1"}, "type": "Normal", "reason": "LoggedIn",
                                "message": "logged in to Vault", "involvedObject": {
                                    "apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultConnection",
                                    "name": "vault-k8s", "uid": uid}}, namespace="default")
    assert "phase: Active" in applied("get", "vaultconnection", "vault-k8s", "-o", "yaml").stdout
    described = applied("describe", "vaultconnection", "vault-k8s").stdout
    assert "Phase:  " in described and "Active" in described
    events = described.split("Events:", 1)[1]
    assert "LoggedIn" in events and "logged in to Vault" in events


def test_wait_for_ready_returns_once_the_status_says_so(applied: Kubectl, fake_kube: FakeKube) -> None:
    fake_kube.patch_vaultconnection_status("vault-k8s", {"phase": "Pending"})  # not Ready yet
    waiting = applied.start("wait", "--for=condition=Ready", "vaultconnection/vault-k8s", "--timeout=30s")
    try:
        # Ready only once kubectl watches: the change must reach it through the watch stream.
        wait_for(lambda: watch_started(fake_kube, "/apis/vault.platform.io/v1alpha1/vaultconnections"),
                 timeout=30, message="kubectl wait never opened a watch")
        assert waiting.poll() is None
        fake_kube.patch_vaultconnection_status("vault-k8s", READY)
        out, err = waiting.communicate(timeout=40)
    finally:
        waiting.kill()
    assert waiting.returncode == 0, err
    assert err == ""  # a watch kubectl cannot read only logs an error and relists: that is not "works"
    assert out.strip() == "vaultconnection.vault.platform.io/vault-k8s condition met"
    by_jsonpath = applied("wait", "--for=jsonpath={.status.phase}=Active", "vaultconnection/vault-k8s",
                          "--timeout=10s")
    assert "condition met" in by_jsonpath.stdout


def test_get_watch_streams_each_change_as_a_row(applied: Kubectl, fake_kube: FakeKube) -> None:
    watching = applied.start("get", "vaultconnections", "-w")
    try:
        assert watching.stdout is not None
        assert watching.stdout.readline().split()[:5] == ["NAME", "ADDRESS", "PHASE", "HEALTHY", "VERSION"]
        assert watching.stdout.readline().split()[0] == "vault-k8s"  # the object as it is
        fake_kube.patch_vaultconnection_status("vault-k8s", READY)
        changed = watching.stdout.readline().split()
    finally:
        watching.kill()
        watching.communicate()
    assert changed[:5] == ["vault-k8s", "https://vault.example.com:8200", "Active", "true", "2.1.0"]


def test_delete_removes_the_connection(applied: Kubectl, fake_kube: FakeKube) -> None:
    assert applied("delete", "vaultconnection", "vault-k8s").stdout.strip() == \
        'vaultconnection.vault.platform.io "vault-k8s" deleted'
    assert fake_kube.get_vaultconnection("vault-k8s") is None
    assert "No resources found" in applied("get", "vaultconnections").stderr
    missing = applied("get", "vaultconnection", "vault-k8s", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == ('Error from server (NotFound): vaultconnections.vault.platform.io '
                                      '"vault-k8s" not found')


def test_protobuf_bodies_are_refused_with_what_to_use_instead(kubectl: Kubectl, fake_kube: FakeKube) -> None:
    # `kubectl create namespace X` sends protobuf, which the emulator cannot read; a manifest goes as JSON.
    refused = kubectl("create", "namespace", "team-a", check=False)
    assert refused.returncode == 1
    assert "reads JSON and YAML only, not protobuf: use `kubectl apply -f FILE`" in refused.stderr
    created = kubectl("create", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n")
    assert created.stdout.strip() == "namespace/team-a created"
    assert fake_kube.get("namespaces", "team-a") is not None
