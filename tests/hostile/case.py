"""One row of the hostile-input table: a VaultConnection spec and the exact outcome it must get."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class HostileCase:
    """``spec`` may use "{listener}" (an HTTP listener standing in for an attacker's Vault) and
    "{vault}" (a real OpenBao whose kubernetes auth trusts the emulator, role "operator") in strings.
    ``secrets`` are created first: {"namespace/name": {key: value}} (values are text; bytes allowed).
    The runner asserts the status reaches ``phase`` with ``reason`` and a message containing
    ``message``; that the listener received no request at all when ``listener_silent``; that no
    secret value named in ``secrets`` nor any operator token reached the listener, status, events or
    logs; and that a healthy canary connection kept passing its health checks meanwhile.
    """

    id: str
    spec: dict[str, Any]
    reason: str
    message: str
    phase: str = "Error"
    secrets: dict[str, dict[str, str | bytes]] = dataclasses.field(default_factory=dict)
    listener_silent: bool = True
