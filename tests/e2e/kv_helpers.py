"""Helpers of the VaultKVSecret end-to-end tests: an operator Vault lets seed KV v2 secrets, and object calls."""

from __future__ import annotations

from typing import Any

import hvac

from tests.e2e.policy_helpers import OPERATOR_POLICY
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTKVSECRETS
from vault_access_operator_devkit.waiting import wait_for


def kv_operator_policy(*mounts: str) -> str:
    """Least privilege of the docs: create (never update) on data, read/update/delete on metadata, and the mount
    lookup (sys/internal/ui/mounts needs any capability on the path, which these give)."""
    rules = [OPERATOR_POLICY]
    for mount in mounts:
        rules.append(f'path "{mount}/data/*" {{ capabilities = ["create"] }}')
        rules.append(f'path "{mount}/metadata/*" {{ capabilities = ["read", "update", "delete", "list"] }}')
    return "\n".join(rules)


def allow_kv(root: hvac.Client, *mounts: str) -> None:
    vault_setup.write_policy(root, "operator-access", kv_operator_policy(*mounts))


def create_kv(kube: FakeKube, name: str, spec: dict[str, Any], namespace: str = "default",
              annotations: dict[str, str] | None = None) -> None:
    kube.ensure_namespace(namespace)
    meta: dict[str, Any] = {"name": name, "namespace": namespace, **({"annotations": annotations} if annotations
                                                                     else {})}
    kube.call("POST", VAULTKVSECRETS.url(namespace), json={"apiVersion": VAULTKVSECRETS.api_version,
                                                           "kind": "VaultKVSecret", "metadata": meta, "spec": spec})


def get_kv(kube: FakeKube, name: str, namespace: str = "default") -> dict[str, Any] | None:
    found: dict[str, Any] | None = kube.call("GET", VAULTKVSECRETS.url(namespace, name), missing_ok=True)
    return found


def delete_kv(kube: FakeKube, name: str, namespace: str = "default") -> None:
    kube.call("DELETE", VAULTKVSECRETS.url(namespace, name))


def wait_kv(kube: FakeKube, name: str, check: Any, what: str, namespace: str = "default",
            timeout: float = 20.0) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        status = (get_kv(kube, name, namespace) or {}).get("status") or {}
        return status if check(status) else None

    status = wait_for(probe, timeout=timeout,
                      message=f"{name} never {what}: {(get_kv(kube, name, namespace) or {}).get('status')}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def wait_gone(kube: FakeKube, name: str, namespace: str = "default", timeout: float = 20.0) -> None:
    wait_for(lambda: get_kv(kube, name, namespace) is None, timeout=timeout, message=f"{name} never went")


def kv_metadata(root: hvac.Client, mount: str, path: str) -> dict[str, Any] | None:
    try:
        answer = root.secrets.kv.v2.read_secret_metadata(path, mount_point=mount)
    except hvac.exceptions.InvalidPath:
        return None
    data: dict[str, Any] = answer["data"]
    return data


def kv_data(root: hvac.Client, mount: str, path: str) -> dict[str, Any]:
    answer = root.secrets.kv.v2.read_secret_version(path, mount_point=mount, raise_on_deleted_version=True)
    data: dict[str, Any] = answer["data"]["data"]
    return data
