"""One ``sys/health`` answer per Vault, shared by every connection that logs in to it.

Seal state, initialisation and version belong to the server, not to a connection: after a
restart, a thousand logins to one Vault need one health request, not a thousand. An answer
is reused for ``max_age`` seconds; concurrent askers share the request in flight. Only a healthy
answer is kept: after a failure, or while Vault is sealed, the next login asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .vault import Health, VaultClient


class HealthCache:
    def __init__(self, max_age: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._answers: dict[object, tuple[float, Health]] = {}
        self._in_flight: dict[object, asyncio.Future[Health]] = {}

    async def get(self, vault: VaultClient) -> Health:
        key = vault.identity
        answer = self._answers.get(key)
        if answer is not None and self._clock() - answer[0] < self.max_age:
            return answer[1]
        flight = self._in_flight.get(key)
        if flight is None:
            flight = asyncio.ensure_future(vault.health())
            self._in_flight[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        # A cancelled asker must not cancel the request the others wait for.
        return await asyncio.shield(flight)

    def forget(self, address: str) -> None:
        """No connection uses ``address`` any more: drop its answers (and the SSL contexts in their keys)."""
        address = address.rstrip("/")
        for table in (self._answers, self._in_flight):
            for key in [k for k in table if isinstance(k, tuple) and k[0] == address]:
                del table[key]

    def __len__(self) -> int:
        return len(self._answers) + len(self._in_flight)

    def _landed(self, key: object, flight: asyncio.Future[Health]) -> None:
        # exception() also marks the error retrieved when every asker was cancelled.
        health = None if flight.cancelled() or flight.exception() is not None else flight.result()
        if self._in_flight.get(key) is not flight:
            return  # forgotten while in flight: its address has no user left to keep the answer for
        del self._in_flight[key]
        if health is not None and health.initialized and not health.sealed:
            self._answers[key] = (self._clock(), health)
        else:  # a sealed or failing Vault is asked again at the next login: it may be back already
            self._answers.pop(key, None)
