"""The Reporter of one VaultConnection: its status sink and event poster, or neither on a shard that does not own
the VaultConnections (the owning shard writes their status and events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import Clock
from .events import EventEmitter, EventPoster, ObjectRef
from .kinds import VAULT_CONNECTION
from .kube import KubeClient, ObjectStatus
from .redact import REDACTOR
from .reporting import Reporter
from .status import Observation


class _Unwritten:
    """The status sink of a shard that does not own the VaultConnections: it keeps what it sees to itself."""

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        return True


async def _unposted(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    """The event poster of such a shard: the owning shard posts the connection's events."""


def connection_reporter(name: str, obs: Observation, kube: KubeClient | None, post_event: EventPoster, clock: Clock,
                        on_phase: Callable[[str, str | None, str, str], None]) -> Reporter:
    """The connection's Reporter; with ``kube`` None (another shard owns the connections) it writes nothing."""

    # The uid is read at each write: the manager sets it on the observation right after this call.
    def ref() -> ObjectRef:
        return VAULT_CONNECTION.ref(name, uid=obs.uid)

    if kube is None:
        return Reporter(name, obs, _Unwritten(), EventEmitter(ref, _unposted, REDACTOR), clock, REDACTOR,
                        on_phase=on_phase)
    sink = ObjectStatus(kube, lambda: obs.uid)
    return Reporter(name, obs, sink, EventEmitter(ref, post_event, REDACTOR), clock, REDACTOR, on_phase=on_phase)
