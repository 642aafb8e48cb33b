"""Whether a VaultConnection the registry does not show yet exists in the API server.

kopf watches VaultConnections and the access kinds on separate streams, so an object applied together with its
connection (or listed at a start before it) can run its first pass before the connection's daemon registered it.
Reporting ``ConnectionNotFound`` then would be untrue for a moment; one GET tells that case from a mistyped
``connectionRef``. The answer is shared by every object asking about the same name for ``fresh`` seconds, so a
burst of new objects costs one request per connection, not one per object.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..kube import KubeClient
from ..redact import REDACTOR
from .dependants import connection_gone

log = logging.getLogger(__name__)

#: How long an answer stands for the objects asking after it (seconds).
FRESH_SECONDS = 2.0


class ConnectionLookup:
    def __init__(self, kube: KubeClient, clock: Callable[[], float] = time.monotonic,
                 fresh: float = FRESH_SECONDS) -> None:
        self._kube, self._clock, self._fresh = kube, clock, fresh
        self._answers: dict[str, tuple[float, asyncio.Future[bool]]] = {}

    async def exists(self, name: str) -> bool:
        """True unless the API server says there is no VaultConnection ``name`` (unreachable counts as exists:
        the object then waits within its grace, and says so if the connection still has not come)."""
        now = self._clock()
        asked = self._answers.get(name)
        if asked is None or now - asked[0] > self._fresh:
            for stale in [n for n, (at, _) in self._answers.items() if now - at > self._fresh]:
                del self._answers[stale]  # bounded by the names asked about within one window
            answer = asyncio.ensure_future(self._ask(name))
            self._answers[name] = asked = (now, answer)
        return await asyncio.shield(asked[1])

    async def _ask(self, name: str) -> bool:
        try:
            return not await connection_gone(self._kube, name)
        except Exception as error:  # a bug here must not fail the object's pass: it waits out its grace instead
            log.warning("VaultConnection %s: could not tell whether it exists: %s", name, REDACTOR(str(error)))
            return True
