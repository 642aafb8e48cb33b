"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

from vault_access_operator.runtime import ConnectionRuntime
from vault_access_operator.session import VaultSession
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.waiting import wait_for


def status_of(kube: FakeKube, name: str) -> dict[str, Any]:
    obj = kube.get_vaultconnection(name) or {}
    return obj.get("status") or {}


def wait_phase(kube: FakeKube, name: str, phase: str, timeout: float = 20.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = status_of(kube, name)
        return status if status.get("phase") == phase else None

    status = wait_for(check, timeout=timeout, message=f"{name} never reached {phase}: {status_of(kube, name)}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def wait_status(kube: FakeKube, name: str, check: Any, what: str, timeout: float = 20.0) -> dict[str, Any]:
    """Wait until ``check(status)`` holds; the timeout message says what never happened."""

    def probe() -> dict[str, Any] | None:
        status = status_of(kube, name)
        return status if check(status) else None

    status = wait_for(probe, timeout=timeout, message=f"{name} never {what}: {status_of(kube, name)}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def held_token(runtime: ConnectionRuntime | None) -> str:
    """The Vault token a connection's runtime holds now (its session is the operator's own VaultSession)."""
    assert runtime is not None and isinstance(runtime.session, VaultSession) and runtime.session._grant is not None
    return runtime.session._grant.token


def condition(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in status.get("conditions", []) if c["type"] == kind)


def k8s_spec(address: str, interval: str = "1s", **auth: Any) -> dict[str, Any]:
    return {"address": address, "auth": {"kubernetes": {"role": "operator", **auth}}, "healthCheckInterval": interval}
