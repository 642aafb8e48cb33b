"""Helpers of the VaultPolicy end-to-end tests: an operator Vault may trust with ACL policies, and counters."""

from __future__ import annotations

from collections import Counter
from typing import Any

import hvac

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCLUSTERPOLICIES, VAULTPOLICIES
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

OPERATOR_POLICY = 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }'


def vault_calls(proxy: CountingProxy, path: str) -> Counter[str]:
    """HTTP methods the operator sent to Vault for ``path`` (through the counting proxy)."""
    calls: Counter[str] = Counter()
    for line in proxy.requests_since(0):
        method, _, target = line.partition(" ")
        if target.split("?")[0] == f"/v1/{path}":
            calls[method] += 1
    return calls


def policy_text(client: hvac.Client, name: str) -> str | None:
    answer = client.sys.read_acl_policy(name) if name in client.sys.list_acl_policies()["data"]["keys"] else None
    return None if answer is None else str(answer["data"]["policy"])


def status_writes(kube: FakeKube, plural: str, name: str) -> int:
    assert kube.emulator is not None
    return sum(1 for r in list(kube.emulator) if str(r.method).endswith("PATCH") and r.resource is not None
               and r.resource.plural == plural and r.subresource == "status" and r.url.path.split("/")[-2] == name)


def create_policy(kube: FakeKube, name: str, spec: dict[str, Any], namespace: str | None = "default",
                  annotations: dict[str, str] | None = None) -> None:
    resource = VAULTPOLICIES if namespace else VAULTCLUSTERPOLICIES
    kind = "VaultPolicy" if namespace else "VaultClusterPolicy"
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    if annotations:
        meta["annotations"] = annotations
    kube.call("POST", resource.url(namespace), json={"apiVersion": resource.api_version, "kind": kind,
                                                    "metadata": meta, "spec": spec})


def get_policy(kube: FakeKube, name: str, namespace: str | None = "default") -> dict[str, Any] | None:
    resource = VAULTPOLICIES if namespace else VAULTCLUSTERPOLICIES
    found: dict[str, Any] | None = kube.call("GET", resource.url(namespace, name), missing_ok=True)
    return found


def patch_policy(kube: FakeKube, name: str, patch: dict[str, Any], namespace: str | None = "default") -> None:
    resource = VAULTPOLICIES if namespace else VAULTCLUSTERPOLICIES
    kube.call("PATCH", resource.url(namespace, name), json=patch,
              headers={"Content-Type": "application/merge-patch+json"})


def delete_policy(kube: FakeKube, name: str, namespace: str | None = "default") -> None:
    resource = VAULTPOLICIES if namespace else VAULTCLUSTERPOLICIES
    kube.call("DELETE", resource.url(namespace, name))


def wait_policy(kube: FakeKube, name: str, check: Any, what: str, namespace: str | None = "default",
                timeout: float = 20.0) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        status = (get_policy(kube, name, namespace) or {}).get("status") or {}
        return status if check(status) else None

    status = wait_for(probe, timeout=timeout,
                      message=f"{name} never {what}: {(get_policy(kube, name, namespace) or {}).get('status')}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions", []) if c["type"] == kind), {})
