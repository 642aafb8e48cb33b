"""Stand-ins for the access controller's Kubernetes side in unit tests: a status sink that accepts every write and
an event poster that drops every event."""

from __future__ import annotations

from typing import Any


class StatusSink:
    async def patch_status(self, name: str, status: dict[str, Any], uid: str | None = None, **_: Any) -> bool:
        return True


async def no_event(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    pass
