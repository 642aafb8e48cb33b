"""What a pass's outcome becomes on the object: held back for a while (a role whose policies are about to pass
for the first time), or its status, written only when it changed, and an event on each transition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..conditions import status_body
from ..events import EventEmitter, EventPoster
from ..kinds import KindDefinition
from ..redact import REDACTOR
from .outcome import Outcome
from .policy_delete import Deletion
from .status_writer import StatusWriter, next_status, previous_status
from .tracked import Key, Tracked


def unreported(tracked: Tracked, raw: dict[str, Any]) -> bool:
    """The object shows no status yet (nor did this replica write one): only then may a pass stay unreported."""
    return not tracked.wrote_status and not (raw.get("status") or {}).get("phase")


def holding(tracked: Tracked, raw: dict[str, Any], outcome: Outcome, grace_seconds: float) -> float | None:
    """Seconds an outcome may stay unreported: one the pass marked ``hold`` on an object that shows no status
    yet (a role created with its policies, whose first passes are about to come), within the grace; None to
    report it now. A role would otherwise show "not resolved" and post a warning, then "synced" a moment later."""
    if not outcome.hold or not unreported(tracked, raw):
        return None
    left = tracked.since + grace_seconds - time.monotonic()
    return left if left > 0 else None


def _identity(status: Any) -> tuple[Any, ...]:
    return getattr(status, "phase", None), getattr(status, "vault_name", None)


class PassReporter:
    """Writes a pass's status and posts its event; ``wake_dependants(key)`` when what a role resolves a policy
    reference by (its phase, its Vault name) changed."""

    def __init__(self, status: StatusWriter, post: EventPoster, wake_dependants: Callable[[Key], None]) -> None:
        self.status, self._post, self._wake_dependants = status, post, wake_dependants

    def events(self, kind: KindDefinition, raw: dict[str, Any]) -> EventEmitter:
        meta = raw.get("metadata") or {}
        ref = kind.ref(meta.get("name", ""), meta.get("namespace"), meta.get("uid"))
        return EventEmitter(lambda: ref, self._post, REDACTOR)

    async def report(self, key: Key, tracked: Tracked, raw: dict[str, Any], outcome: Outcome) -> None:
        """``key``'s status written if it changed, its event posted."""
        kind = tracked.adapter.kind
        previous = outcome.previous  # as the adapter parsed it from raw["status"]; else parsed here
        if not isinstance(previous, kind.status_model):
            previous = previous_status(kind, raw.get("status"))
        generation = (raw.get("metadata") or {}).get("generation")
        status = next_status(kind, previous, outcome, generation, self.status.clock())
        changed = await self.status.write(kind, raw, status, previous)
        if changed:
            tracked.status = status_body(status)
            if _identity(previous) != _identity(status):  # what a role resolves a policy reference by
                self._wake_dependants(key)
        if outcome.event is not None and (changed or outcome.wrote):
            kind_of, reason, message = outcome.event
            await self.events(kind, raw).post(kind_of, reason, message, masked=outcome.event_ours)
        if outcome.drop_annotation:
            await self.status.drop_annotation(kind, raw, outcome.drop_annotation)

    async def deletion(self, kind: KindDefinition, raw: dict[str, Any], result: Deletion, retry: int) -> None:
        """A deletion's try on the object: done, its event; not done, the status (written if it changed) and a
        warning when it changed, or on the first try."""
        events = self.events(kind, raw)
        if result.done:
            await events.post("Warning" if result.warning else "Normal", result.reason, result.message)
            return
        outcome = Outcome("Deleting", (False, result.reason, result.message), "retry")
        previous = previous_status(kind, raw.get("status"))
        status = next_status(kind, previous, outcome, (raw.get("metadata") or {}).get("generation"),
                             self.status.clock())
        if await self.status.write(kind, raw, status, previous) or retry == 0:
            await events.post("Warning", result.reason, result.message)
