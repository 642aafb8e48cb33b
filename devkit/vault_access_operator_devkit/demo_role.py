"""The demo's third act: a VaultRole binds the demo namespace's service account ``app`` to the VaultPolicy, and a
workload logs in as that account (a TokenRequest token, reviewed by OpenBao against the emulated API) and reads
its namespace's secret, and only that."""

from __future__ import annotations

from typing import Any

import click
import hvac
import yaml

from . import vault_setup
from .demo_policy import OPERATOR_ACL as POLICY_ACL
from .demo_policy import POLICY_NAME, POLICY_NAMESPACE, wait_active
from .kube import FakeKube
from .kube_resources import VAULTROLES

ROLE_NAME, ACCOUNT = "app", "app"
SECRET, OTHER = "demo/greeting", "payments/db"
#: What the operator's own Vault policy must grant for VaultPolicy and VaultRole objects on the kubernetes mount.
OPERATOR_ACL = POLICY_ACL + '\npath "auth/kubernetes/role/*" { capabilities = ["create", "read", "update", ' \
    '"delete", "list"] }'


def role_sample(connection: str) -> dict[str, Any]:
    return {
        "apiVersion": "vault.platform.io/v1alpha1",
        "kind": "VaultRole",
        "metadata": {"name": ROLE_NAME, "namespace": POLICY_NAMESPACE},
        "spec": {
            "connectionRef": connection,
            "serviceAccounts": [ACCOUNT],
            "policies": [{"kind": "VaultPolicy", "name": POLICY_NAME}],
            "tokenTTL": "15m",
        },
    }


def _read(client: hvac.Client, path: str) -> str:
    try:
        data = client.secrets.kv.v2.read_secret_version(path=path, mount_point="secret",
                                                        raise_on_deleted_version=True)["data"]["data"]
    except hvac.exceptions.Forbidden:
        return "permission denied"
    return f"ok: {data}"


def show_role(kube: FakeKube, bao_url: str, root: hvac.Client, connection: str, timeout: float) -> bool:
    """Apply the sample VaultRole, wait for Active, log in as the workload and read; False if it never synced."""
    vault_setup.enable_kv2(root)
    root.secrets.kv.v2.create_or_update_secret(path=SECRET, secret={"message": "hello from Vault"},
                                               mount_point="secret")
    root.secrets.kv.v2.create_or_update_secret(path=OTHER, secret={"password": "not yours"}, mount_point="secret")
    manifest = role_sample(connection)
    _step("applying this VaultRole:")
    click.echo(yaml.safe_dump(manifest, sort_keys=False))
    kube.create_service_account(POLICY_NAMESPACE, ACCOUNT)
    kube.create(VAULTROLES, manifest)
    status = wait_active(kube, VAULTROLES, ROLE_NAME, timeout)
    if status.get("phase") != "Active":
        click.secho(f"the VaultRole did not turn Active within {timeout:.0f}s: {status.get('message')}",
                    fg="red", err=True)
        return False
    role = status["vaultRoleName"]
    _step(f"a workload logs in: service account {POLICY_NAMESPACE}/{ACCOUNT}, role {role} at auth/kubernetes")
    token = kube.request_token(POLICY_NAMESPACE, ACCOUNT, ["vault"])
    auth = vault_setup.kubernetes_login(bao_url, role, token)
    click.echo(f"    policies: {', '.join(auth['policies'])}; lease {auth['lease_duration']}s")
    workload = hvac.Client(url=bao_url, token=auth["client_token"])
    _step(f"its reads: secret/data/{SECRET} and secret/data/{OTHER}")
    mine, theirs = _read(workload, SECRET), _read(workload, OTHER)
    click.echo(f"    secret/data/{SECRET}: {mine}\n    secret/data/{OTHER}: {theirs}")
    if not mine.startswith("ok") or theirs != "permission denied":
        click.secho("the workload's access is not what the role grants", fg="red", err=True)
        return False
    click.secho("The VaultRole is Active: the workload reads its namespace's secret, and nothing else.",
                fg="green", bold=True)
    return True


def _step(text: str) -> None:
    click.secho(f"==> {text}", fg="cyan", bold=True)
