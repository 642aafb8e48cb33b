"""Bounds how many connections log in to one Vault at a time."""

from __future__ import annotations

import asyncio

from .addresses import address_key


class LoginGate:
    """At most ``per_vault`` logins at a time per Vault address.

    After a restart every connection logs in at once; unbounded, each login's requests queue
    behind everyone else's, so the first connection turns Active only when nearly all do. Gated,
    logins flow through as a pipeline. Per address, so a hung Vault holds only its own slots.
    """

    def __init__(self, per_vault: int = 32) -> None:
        self.per_vault = per_vault
        self._slots: dict[str, asyncio.Semaphore] = {}

    def slot(self, address: str) -> asyncio.Semaphore:
        key = address_key(address)
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(self.per_vault)
        return self._slots[key]

    def forget(self, address: str) -> None:
        """No connection uses ``address`` any more (nobody holds or waits for its slots)."""
        self._slots.pop(address_key(address), None)

    def __len__(self) -> int:
        return len(self._slots)
