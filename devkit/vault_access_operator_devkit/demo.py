"""``vault-access-operator demo`` (from the devkit): see a VaultConnection turn Active with no cluster.

Starts a local OpenBao dev server and an in-process Kubernetes API (the same ones the test
suite uses), configures Vault's kubernetes auth to trust that API, runs the real operator
against it, applies a sample VaultConnection, and prints what ``kubectl`` would show; then a
VaultPolicy, and the policy the operator wrote to OpenBao; then a VaultRole, and a workload that logs in
with it and reads its namespace's secret. With
``--keep-running`` it prints a KUBECONFIG for the emulator, so the real kubectl can explore it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import click
import yaml

from vault_access_operator.context import OperatorIdentity
from vault_access_operator.crd import render_crds
from vault_access_operator.testing.openbao import OpenBaoServer

from . import vault_setup
from .demo_policy import show_policy
from .demo_role import OPERATOR_ACL, show_role
from .kube import FakeKube
from .kube_resources import VAULTCONNECTIONS
from .operator import run_operator

NAMESPACE = "vault-access-operator-system"
ACCOUNT = "vault-access-operator-controller-manager"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"  # what kubectl get asks for


def sample(address: str) -> dict[str, Any]:
    return {
        "apiVersion": "vault.platform.io/v1alpha1",
        "kind": "VaultConnection",
        "metadata": {"name": "demo"},
        "spec": {
            "address": address,
            "auth": {"kubernetes": {"role": "vault-access-operator"}},
            "healthCheckInterval": "10s",
        },
    }


def apply_crds(kube: FakeKube) -> None:
    """Create what ``vault-access-operator crds`` prints, as the Helm chart does: kubectl then shows the
    printer columns and ``kubectl get crds`` lists them."""
    for crd in yaml.safe_load_all(render_crds()):
        if crd:
            kube.create("customresourcedefinitions", crd)


def apply_sample(kube: FakeKube, manifest: dict[str, Any]) -> None:
    """Create ``manifest`` as ``kubectl apply`` does (with its last-applied annotation), so that a later
    ``kubectl apply`` of an edited copy patches it without a warning."""
    # kubectl's own form: the manifest with empty annotations, as Go marshals it (sorted keys, a newline).
    applied = {**manifest, "metadata": {**manifest["metadata"], "annotations": {}}}
    last_applied = json.dumps(applied, separators=(",", ":"), sort_keys=True) + "\n"
    annotations = {"kubectl.kubernetes.io/last-applied-configuration": last_applied}
    kube.create_vaultconnection(manifest["metadata"]["name"], manifest["spec"], annotations=annotations)


def kubectl_hints(kubeconfig: Path, name: str) -> str:
    """What to paste into another terminal to explore the running demo with kubectl."""
    lines = [
        "Explore it with kubectl, in another terminal:",
        f"  export KUBECONFIG={kubeconfig}",
        "  kubectl get vaultconnections",
        f"  kubectl describe vaultconnection {name}",
        f"  kubectl wait --for=condition=Ready vaultconnection/{name} --timeout=30s",
        f"  kubectl get events -n {NAMESPACE}",
        f"  kubectl get vaultconnection {name} -o yaml",
        "  kubectl get vp -A",
        "  kubectl get vr -A",
        "  kubectl get vaultconnections -w    # and in a third terminal:",
        f"  kubectl delete vaultconnection {name}",
    ]
    if shutil.which("kubectl") is None:
        lines.append("(kubectl is not installed here: on Debian, apt-get install kubernetes-client)")
    return "\n".join(lines)


def _table(kube: FakeKube, name: str) -> str:
    """``kubectl get vaultconnection NAME`` as kubectl prints it: the emulator's server-side Table."""
    table = kube.call("GET", VAULTCONNECTIONS.url(name=name), headers={"Accept": TABLE})
    cells = [["" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in row["cells"]]
             for row in table["rows"]]
    rows = [[column["name"].upper() for column in table["columnDefinitions"]], *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def run_demo(timeout: float = 60.0, keep_running: bool = False) -> int:
    step = lambda text: click.secho(f"==> {text}", fg="cyan", bold=True)  # noqa: E731
    step("starting a local OpenBao dev server")
    with OpenBaoServer("dev") as bao, FakeKube() as kube:
        click.echo(f"    OpenBao at {bao.url}; Kubernetes API emulator at {kube.url}")
        step("configuring Vault: kubernetes auth trusting the emulated API server, role vault-access-operator"
             " (its policy lets the operator manage sys/policies/acl/* and auth/kubernetes/role/*)")
        kube.create_service_account(NAMESPACE, ACCOUNT)
        apply_crds(kube)
        client = bao.client()
        vault_setup.enable_kubernetes_auth(client, kube.url)
        vault_setup.write_policy(client, "vault-access-operator", OPERATOR_ACL)
        vault_setup.create_kubernetes_role(client, "vault-access-operator", [ACCOUNT], [NAMESPACE], ttl="1h",
                                           policies=("default", "vault-access-operator"))
        step("starting the operator")
        identity = OperatorIdentity(namespace=NAMESPACE, service_account=ACCOUNT, token_file="/nonexistent")
        # Events go to the operator's namespace, as in a cluster (the test harness defaults to "default").
        with run_operator(kube.connection_info(), identity=identity, events_namespace=NAMESPACE):
            manifest = sample(bao.url)
            step("applying this VaultConnection:")
            click.echo(yaml.safe_dump(manifest, sort_keys=False))
            apply_sample(kube, manifest)
            deadline, phase = time.monotonic() + timeout, None
            while time.monotonic() < deadline:
                obj = kube.get_vaultconnection("demo") or {}
                current = (obj.get("status") or {}).get("phase")
                if current != phase:
                    phase = current
                    click.echo(f"    phase: {phase or '(none yet)'}")
                if phase == "Active":
                    break
                time.sleep(0.1)
            step("kubectl get vaultconnection demo")
            click.echo(_table(kube, "demo"))
            step("kubectl get vaultconnection demo -o yaml  (status)")
            click.echo(yaml.safe_dump({"status": obj.get("status")}, sort_keys=False))
            if phase != "Active":
                click.secho(f"the connection did not turn Active within {timeout:.0f}s", fg="red", err=True)
                return 1
            click.secho("The VaultConnection is Active: the operator logged in to OpenBao.", fg="green", bold=True)
            if not show_policy(kube, client, "demo", timeout):
                return 1
            if not show_role(kube, bao.url, client, "demo", timeout):
                return 1
            if not keep_running:
                click.echo("Run it with --keep-running to explore it with kubectl.")
                return 0
            click.echo(kubectl_hints(kube.kubeconfig_path(), "demo"))
            click.echo(f"Running until Ctrl-C. Vault UI/API: {bao.url} (root token: root)")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    return 0
