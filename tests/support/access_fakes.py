"""Stand-ins for the access controller's Kubernetes side in unit tests: a status sink that accepts every write (and
knows no VaultConnection the registry does not show) and an event poster that drops every event."""

from __future__ import annotations

from typing import Any


class StatusSink:
    async def patch_status(self, name: str, status: dict[str, Any], uid: str | None = None, **_: Any) -> bool:
        return True

    async def request(self, method: str, path: str, **_: Any) -> tuple[int, Any]:
        return 404, None  # the controller asks after a connection its registry lacks: there is none


async def no_event(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    pass
