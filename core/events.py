"""Kubernetes events about any object the operator manages, posted by one emitter per object.

Each message is masked and clipped once, here (or masked by the caller, who says so), and a Warning is
posted once per reason per episode: a failure retried every few seconds is one event, not hundreds,
until :meth:`EventEmitter.rearm` says the episode is over (the object was healthy again).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from .clip import clip
from .redact import Redactor

log = logging.getLogger(__name__)
EVENT_MESSAGE_LIMIT = 1024  # what the API server stores of an event's message


@dataclasses.dataclass(frozen=True)
class ObjectRef:
    """The ``involvedObject`` of an event; ``namespace`` None for a cluster-scoped object."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None
    uid: str | None = None

    def involved(self) -> dict[str, str]:
        found = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name,
                 "namespace": self.namespace, "uid": self.uid}
        return {key: value for key, value in found.items() if value}


#: Posts one event: (involvedObject, type, reason, message). The app's picks the namespace it goes to.
EventPoster = Callable[[dict[str, str], str, str, str], Awaitable[None]]


class EventEmitter:
    """Posts the events of one object; a failed post is logged, never raised (events are best effort)."""

    def __init__(self, ref: Callable[[], ObjectRef], post: EventPoster, redactor: Redactor) -> None:
        self._ref = ref  # read at each post: a uid may be learnt after the emitter is made
        self._post, self._redact = post, redactor
        self._warned: set[str] = set()  # reasons posted as a Warning in this episode

    async def normal(self, reason: str, message: str, *, masked: bool = False) -> None:
        """``masked``: the caller masked ``message``, or built it from nothing secret (it is not masked here)."""
        await self.post("Normal", reason, message, masked=masked)

    async def warning_once(self, reason: str, message: str, *, masked: bool = False) -> bool:
        """Post a Warning unless one with ``reason`` was posted in this episode; True when posted."""
        if reason in self._warned:
            return False
        self._warned.add(reason)
        await self.post("Warning", reason, message, masked=masked)
        return True

    def rearm(self, reason: str | None = None) -> None:
        """A new episode for ``reason`` (None: for every reason): its next Warning is news again."""
        if reason is None:
            self._warned.clear()
        else:
            self._warned.discard(reason)

    async def post(self, kind: str, reason: str, message: str, *, masked: bool = False) -> None:
        """``masked``: the caller already masked ``message`` (it is not masked twice)."""
        ref = self._ref()
        text = clip(message if masked else self._redact(message), EVENT_MESSAGE_LIMIT)
        try:
            await self._post(ref.involved(), kind, reason, text)
        except Exception as error:  # the API server may be down; the status says the same
            log.warning("%s %s: event not posted: %s", ref.kind, ref.name, self._redact(str(error)))
