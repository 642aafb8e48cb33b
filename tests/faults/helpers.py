"""Helpers for the fault suite: many connections at once, and waiting on all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS
from vault_access_operator_devkit.waiting import wait_for

Status = dict[str, Any]


def all_objects(kube: FakeKube) -> dict[str, dict[str, Any]]:
    """Every VaultConnection by name, in one LIST (cheaper than one GET each)."""
    return {obj["metadata"]["name"]: obj for obj in kube.list_objects(VAULTCONNECTIONS)}


def ready_reason(status: Status) -> str | None:
    return next((c.get("reason") for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)


def is_phase(phase: str, reason: str | None = None) -> Callable[[Status], bool]:
    def check(status: Status) -> bool:
        return status.get("phase") == phase and (reason is None or ready_reason(status) == reason)

    return check


def wait_all(kube: FakeKube, names: Iterable[str], check: Callable[[Status], bool], timeout: float,
             what: str) -> dict[str, Status]:
    """Wait until ``check`` holds for the status of every named connection; return those statuses."""
    wanted = sorted(names)
    lagging: list[str] = []

    def probe() -> dict[str, Status] | None:
        objects = all_objects(kube)
        statuses = {name: (objects.get(name) or {}).get("status") or {} for name in wanted}
        lagging[:] = [name for name, status in statuses.items() if not check(status)]
        return None if lagging else statuses

    try:
        found = wait_for(probe, timeout=timeout, interval=0.1)
        assert found is not None  # wait_for returns only a truthy value
        return found
    except TimeoutError:
        objects = all_objects(kube)
        sample = {name: (objects.get(name) or {}).get("status") for name in lagging[:3]}
        raise AssertionError(f"{len(lagging)}/{len(wanted)} connections never became {what}: {sample}") from None
