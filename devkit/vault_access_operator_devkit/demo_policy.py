"""The demo's second act: a VaultPolicy turns Active and OpenBao holds the policy the operator wrote."""

from __future__ import annotations

import time
from typing import Any

import click
import hvac
import yaml

from .kube import FakeKube
from .kube_resources import VAULTPOLICIES, ResourceSpec

POLICY_NAMESPACE, POLICY_NAME = "demo", "app-read"
#: What the operator's own Vault policy must grant for VaultPolicy objects (the AWS IAM guide's step 5).
OPERATOR_ACL = 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }'


def policy_sample(connection: str) -> dict[str, Any]:
    return {
        "apiVersion": "vault.platform.io/v1alpha1",
        "kind": "VaultPolicy",
        "metadata": {"name": POLICY_NAME, "namespace": POLICY_NAMESPACE},
        "spec": {
            "connectionRef": connection,
            "rules": [{"path": "secret/data/{{namespace}}/*", "capabilities": ["read", "list"],
                       "description": "the demo namespace's secrets, read-only"}],
        },
    }


def wait_active(kube: FakeKube, resource: ResourceSpec, name: str, timeout: float) -> dict[str, Any]:
    """The demo object's status once Active (or the last one seen when ``timeout`` runs out), phases echoed."""
    deadline, phase, status = time.monotonic() + timeout, None, dict[str, Any]()
    while time.monotonic() < deadline:
        status = (kube.get(resource, name, POLICY_NAMESPACE) or {}).get("status") or {}
        if status.get("phase") != phase:
            phase = status.get("phase")
            click.echo(f"    phase: {phase or '(none yet)'}")
        if phase == "Active":
            break
        time.sleep(0.1)
    return status


def show_policy(kube: FakeKube, client: hvac.Client, connection: str, timeout: float) -> bool:
    """Apply the sample VaultPolicy, wait for Active, print the policy as OpenBao holds it; False if it never synced."""
    manifest = policy_sample(connection)
    _step("applying this VaultPolicy:")
    click.echo(yaml.safe_dump(manifest, sort_keys=False))
    kube.ensure_namespace(POLICY_NAMESPACE)
    kube.create(VAULTPOLICIES, manifest)
    status = wait_active(kube, VAULTPOLICIES, POLICY_NAME, timeout)
    if status.get("phase") != "Active":
        click.secho(f"the VaultPolicy did not turn Active within {timeout:.0f}s: {status.get('message')}",
                    fg="red", err=True)
        return False
    vault_name = status["vaultName"]
    _step(f"bao policy read {vault_name}  (as OpenBao holds it, read with the root token)")
    click.echo(client.sys.read_acl_policy(vault_name)["data"]["policy"])
    click.secho("The VaultPolicy is Active: the operator wrote it to OpenBao.", fg="green", bold=True)
    return True


def _step(text: str) -> None:
    click.secho(f"==> {text}", fg="cyan", bold=True)
