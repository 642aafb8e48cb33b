"""Counts the connections using each Vault address, so per-address state goes with its last user.

The login gate's semaphores, the proxy map and the health answers (which hold SSL contexts) are
keyed by address. Kept forever, creating and deleting connections with ever new addresses would grow
them without bound; the manager acquires an address when a runtime starts and releases it when the
runtime stops, and the last release drops the address everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def address_key(address: str) -> str:
    """The form every per-address map uses (Vault clients strip the trailing slash)."""
    return address.rstrip("/")


class AddressUsers:
    def __init__(self, forgetters: Iterable[Callable[[str], None]]) -> None:
        self._forgetters = list(forgetters)
        self._users: dict[str, int] = {}

    def acquire(self, address: str) -> None:
        key = address_key(address)
        self._users[key] = self._users.get(key, 0) + 1

    def release(self, address: str) -> None:
        key = address_key(address)
        left = self._users.get(key, 0) - 1
        if left > 0:
            self._users[key] = left
            return
        self._users.pop(key, None)
        for forget in self._forgetters:
            forget(key)

    def __len__(self) -> int:
        return len(self._users)
