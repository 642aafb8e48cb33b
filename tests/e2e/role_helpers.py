"""Helpers of the VaultRole end-to-end tests: objects of any access kind, and a workload that logs in."""

from __future__ import annotations

from typing import Any

import hvac

from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import (
    VAULTCLUSTERPOLICIES,
    VAULTCLUSTERROLES,
    VAULTPOLICIES,
    VAULTROLES,
    ResourceSpec,
)
from vault_access_operator_devkit.waiting import wait_for

from .policy_helpers import OPERATOR_POLICY

#: What the operator's Vault policy grants in these tests: ACL policies and the kubernetes mount's roles.
OPERATOR_ROLE_POLICY = OPERATOR_POLICY + '\npath "auth/kubernetes/role/*" { capabilities = ["create", "read", ' \
    '"update", "delete", "list"] }'
KINDS = {"VaultPolicy": VAULTPOLICIES, "VaultClusterPolicy": VAULTCLUSTERPOLICIES, "VaultRole": VAULTROLES,
         "VaultClusterRole": VAULTCLUSTERROLES}


def create(kube: FakeKube, kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> None:
    resource = KINDS[kind]
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    kube.call("POST", resource.url(namespace), json={"apiVersion": resource.api_version, "kind": kind,
                                                    "metadata": meta, "spec": spec})


def get(kube: FakeKube, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
    found: dict[str, Any] | None = kube.call("GET", KINDS[kind].url(namespace, name), missing_ok=True)
    return found


def patch(kube: FakeKube, kind: str, name: str, body: dict[str, Any], namespace: str | None = None) -> None:
    kube.call("PATCH", KINDS[kind].url(namespace, name), json=body,
              headers={"Content-Type": "application/merge-patch+json"})


def delete(kube: FakeKube, kind: str, name: str, namespace: str | None = None) -> None:
    kube.call("DELETE", KINDS[kind].url(namespace, name))


def wait_object(kube: FakeKube, kind: str, name: str, check: Any, what: str, namespace: str | None = None,
                timeout: float = 20.0) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        status = (get(kube, kind, name, namespace) or {}).get("status") or {}
        return status if check(status) else None

    status = wait_for(probe, timeout=timeout, message=f"{kind} {name} never {what}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def ready(status: dict[str, Any]) -> bool:
    return status.get("phase") == "Active" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))


def status_writes(kube: FakeKube, resource: ResourceSpec, name: str) -> int:
    assert kube.emulator is not None
    return sum(1 for r in list(kube.emulator) if str(r.method).endswith("PATCH") and r.resource is not None
               and r.resource.plural == resource.plural and r.subresource == "status"
               and r.url.path.split("/")[-2] == name)


def workload_login(kube: FakeKube, vault_url: str, namespace: str, account: str, role: str,
                   mount: str = "kubernetes") -> hvac.Client:
    """Log in as a workload: its TokenRequest token, checked by OpenBao's TokenReview against the emulator."""
    token = kube.request_token(namespace, account, ["vault"])
    auth = vault_setup.kubernetes_login(vault_url, role, token, mount=mount)
    return hvac.Client(url=vault_url, token=auth["client_token"])


def can_read(client: hvac.Client, path: str) -> bool:
    try:
        client.secrets.kv.v2.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    except hvac.exceptions.Forbidden:
        return False
    return True
