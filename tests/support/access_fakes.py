"""Stand-ins for the access controller's Kubernetes side in unit tests: a status sink that accepts every write (and
knows no VaultConnection the registry does not show) and an event poster that drops every event."""

from __future__ import annotations

from typing import Any

#: A drift interval no unit test comes near: tests that count the passes of hundreds of objects use it. At the
#: default 300 s, each object's first drift check falls at a random point of the interval, moved up to the end of
#: its 2 s slot; the dozen objects whose point falls in the slot under way are checked when that slot ends, within
#: 2 s, and on a loaded machine the test was still counting then (CI after session 13: 2001 passes of 2000).
QUIET_RESYNC_SECONDS = 1_000_000.0


class StatusSink:
    async def patch_status(self, name: str, status: dict[str, Any], uid: str | None = None, **_: Any) -> bool:
        return True

    async def request(self, method: str, path: str, **_: Any) -> tuple[int, Any]:
        return 404, None  # the controller asks after a connection its registry lacks: there is none


async def no_event(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    pass
