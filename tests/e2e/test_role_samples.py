"""Every role sample in the replaced operator's shapes (tests/data/role_samples.yaml) applied through the real
operator against real OpenBao, on the mount its upstream connection resolves to, turns Active with the role
in Vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import OPERATOR_POLICY
from tests.e2e.role_helpers import KINDS, create, ready, wait_object
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/role_samples.yaml").read_text()))
MOUNT_ANNOTATION = "vault-access-operator.test/mount"
#: The upstream connections the samples name, as (auth mount type, spec.defaults); vault-main logs in there.
CONNECTIONS: dict[str, tuple[str, str, dict[str, str] | None]] = {
    "vault-main": ("kubernetes", "kubernetes", None),
    "vault-jwt": ("jwt", "jwt", {"authPath": "jwt"}),
    "vault-ci": ("jwt-ci", "jwt", {"authPath": "jwt-ci"}),
    "vault-custom-idp": ("custom-idp", "jwt", {"authPath": "custom-idp", "authType": "jwt"}),
    "vault-oidc": ("oidc", "oidc", {"authPath": "oidc"}),  # upstream logs in at oidc; the roles go there
}


@pytest.fixture
def vault_mounts(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> OpenBaoServer:
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    roles = "\n".join(f'path "auth/{mount}/role/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}'
                      for mount, _, _ in CONNECTIONS.values())
    vault_setup.write_policy(client, "operator-access", OPERATOR_POLICY + "\n" + roles)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "operator-access"))
    for mount, kind, _ in CONNECTIONS.values():
        if mount != "kubernetes":
            client.sys.enable_auth_method(kind, path=mount)
    return openbao


@pytest.fixture
def role_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="e2e", resync_seconds=30.0, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def referenced_policies() -> set[tuple[str, str, str | None]]:
    """(kind, name, namespace) of every policy the samples reference."""
    found = set()
    for sample in SAMPLES:
        for ref in sample["spec"]["policies"]:
            namespace = ref.get("namespace", sample["metadata"].get("namespace"))
            found.add((ref["kind"], ref["name"], namespace if ref["kind"] == "VaultPolicy" else None))
    return found


def apply(kube: FakeKube, sample: dict[str, Any]) -> None:
    resource, namespace = KINDS[sample["kind"]], sample["metadata"].get("namespace")
    kube.call("POST", resource.url(namespace), json=sample)


def test_every_sample_turns_active(fake_kube: FakeKube, vault_mounts: OpenBaoServer,
                                   role_operator: RunningOperator) -> None:
    for name, (_, _, defaults) in CONNECTIONS.items():
        spec = k8s_spec(vault_mounts.url, interval="30s")
        fake_kube.create_vaultconnection(name, {**spec, "defaults": defaults} if defaults else spec)
    for name in CONNECTIONS:
        wait_phase(fake_kube, name, "Active")
    policies = referenced_policies()
    for kind, name, namespace in sorted(policies, key=str):
        if namespace:
            fake_kube.ensure_namespace(namespace)
        path = "secret/data/{{namespace}}/*" if namespace else "secret/data/shared/*"
        # Each policy through the connection of a role that references it: any Active connection will do.
        create(fake_kube, kind, name, {"connectionRef": "vault-main", "rules": [
            {"path": path, "capabilities": ["read"]}]}, namespace)
    for sample in SAMPLES:
        if sample["metadata"].get("namespace"):
            fake_kube.ensure_namespace(sample["metadata"]["namespace"])
        apply(fake_kube, sample)
    root = vault_mounts.client()
    for sample in SAMPLES:
        meta = sample["metadata"]
        status = wait_object(fake_kube, sample["kind"], meta["name"], ready, "turned Active", meta.get("namespace"),
                             timeout=60)
        mount = meta["annotations"][MOUNT_ANNOTATION]
        assert status["binding"]["authMount"] == mount, meta["name"]
        assert root.adapter.get(f"/v1/auth/{mount}/role/{status['vaultRoleName']}")["data"], meta["name"]
    assert len(SAMPLES) == 27
