"""``vault-access-operator demo``: see a VaultConnection turn Active with no cluster.

Starts a local OpenBao dev server and an in-process Kubernetes API (the same ones the test
suite uses), configures Vault's kubernetes auth to trust that API, runs the real operator
against it, applies a sample VaultConnection, and prints what ``kubectl`` would show.
"""

from __future__ import annotations

import time
from typing import Any

import click
import yaml

from .context import OperatorIdentity
from .testing import vault_setup
from .testing.kube import FakeKube
from .testing.openbao import OpenBaoServer
from .testing.operator import run_operator

NAMESPACE = "vault-access-operator-system"
ACCOUNT = "vault-access-operator-controller-manager"


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


def _table(obj: dict[str, Any]) -> str:
    status = obj.get("status") or {}
    rows = [
        ("NAME", "ADDRESS", "PHASE", "HEALTHY", "VERSION"),
        (
            obj["metadata"]["name"],
            obj["spec"]["address"],
            str(status.get("phase", "")),
            str(status.get("healthy", "")).lower(),
            str(status.get("vaultVersion", "")),
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def run_demo(timeout: float = 60.0, keep_running: bool = False) -> int:
    step = lambda text: click.secho(f"==> {text}", fg="cyan", bold=True)  # noqa: E731
    step("starting a local OpenBao dev server")
    with OpenBaoServer("dev") as bao, FakeKube() as kube:
        click.echo(f"    OpenBao at {bao.url}; Kubernetes API emulator at {kube.url}")
        step("configuring Vault: kubernetes auth trusting the emulated API server, role vault-access-operator")
        kube.create_service_account(NAMESPACE, ACCOUNT)
        client = bao.client()
        vault_setup.enable_kubernetes_auth(client, kube.url)
        vault_setup.create_kubernetes_role(client, "vault-access-operator", [ACCOUNT], [NAMESPACE], ttl="1h")
        step("starting the operator")
        identity = OperatorIdentity(namespace=NAMESPACE, service_account=ACCOUNT, token_file="/nonexistent")
        with run_operator(kube.connection_info(), identity=identity):
            manifest = sample(bao.url)
            step("applying this VaultConnection:")
            click.echo(yaml.safe_dump(manifest, sort_keys=False))
            kube.create_vaultconnection("demo", manifest["spec"])
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
            click.echo(_table(obj))
            step("kubectl get vaultconnection demo -o yaml  (status)")
            click.echo(yaml.safe_dump({"status": obj.get("status")}, sort_keys=False))
            if phase != "Active":
                click.secho(f"the connection did not turn Active within {timeout:.0f}s", fg="red", err=True)
                return 1
            click.secho("The VaultConnection is Active: the operator logged in to OpenBao.", fg="green", bold=True)
            if keep_running:
                click.echo(f"Running until Ctrl-C. Vault UI/API: {bao.url} (root token: root)")
                try:
                    while True:
                        time.sleep(1)
                except KeyboardInterrupt:
                    pass
    return 0
