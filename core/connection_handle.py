"""A controller's view of one VaultConnection, by name: phase, readiness, a borrowed client, token reports.

Handed out by :class:`connections.ConnectionRegistry` (see there for the whole picture).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .borrowed import BorrowedClient
from .errors import ConnectionNotReadyError
from .status import Observation

if TYPE_CHECKING:
    from .connections import ConnectionRegistry
    from .runtime import ConnectionRuntime
    from .runtime_deps import ConnectionSession


@dataclasses.dataclass(frozen=True)
class ConnectionChange:
    """What a subscriber is told. ``generation`` changes whenever the connection's token does."""

    name: str
    phase: str | None  # None once removed
    active: bool
    reason: str | None
    generation: int
    removed: bool = False


@dataclasses.dataclass
class Slot:
    obs: Observation
    runtime: ConnectionRuntime | None  # None for a spec that never got one (invalid, refused)
    generation: int
    told: tuple[Any, ...] | None = None  # the state subscribers last heard of


class ConnectionHandle:
    """A view of the connection named ``name`` as it is at each access; cheap, and safe to keep."""

    def __init__(self, registry: ConnectionRegistry, name: str) -> None:
        self.name, self._registry = name, registry

    @property
    def _slot(self) -> Slot | None:
        return self._registry.slot(self.name)

    @property
    def phase(self) -> str | None:
        slot = self._slot
        return slot.obs.phase if slot else None

    @property
    def reason(self) -> str | None:
        slot = self._slot
        return slot.obs.reason if slot else None

    @property
    def message(self) -> str:
        slot = self._slot
        return slot.obs.message if slot else ""

    @property
    def spec(self) -> Any:
        """The validated VaultConnectionSpec the connection runs with (None without a runtime)."""
        slot = self._slot
        return slot.runtime.validated.spec if slot is not None and slot.runtime is not None else None

    @property
    def login(self) -> tuple[str, str, Any] | None:
        """The connection's login method, its mount and its parsed config (None without a runtime)."""
        slot = self._slot
        if slot is None or slot.runtime is None:
            return None
        validated = slot.runtime.validated
        return validated.method, validated.mount, validated.config

    @property
    def token_generation(self) -> int:
        slot = self._slot
        return slot.generation if slot else 0

    @property
    def active(self) -> bool:
        """Active phase and a token in hand (False for the moment of a re-login)."""
        slot = self._slot
        return bool(slot and slot.runtime and slot.obs.phase == "Active" and slot.runtime.session.has_token)

    def client(self, namespace: str | None = None) -> BorrowedClient:
        """Vault calls with this connection's current token; ``namespace`` sets ``X-Vault-Namespace``."""
        return BorrowedClient(self, namespace)

    async def wait_active(self, timeout: float | None = None) -> ConnectionHandle:  # noqa: ASYNC109 (see the registry's)
        return await self._registry.wait_active(self.name, timeout)

    def report_token_rejected(self, generation: int | None = None) -> bool:
        """Vault refused a call made with this connection's token (``generation``: the token it used).

        The runtime looks the token up now and logs in again only if Vault rejects it. True when a
        check was asked for; False when the connection is not Active, the token was replaced since
        (``generation`` is old), or a check is pending already.
        """
        slot = self._slot
        if slot is None or slot.runtime is None or not self.active:
            return False
        if generation is not None and generation != slot.generation:
            return False
        return slot.runtime.request_token_check()

    def borrow(self) -> tuple[ConnectionSession, int]:
        """The session to call through and its token generation; raises ConnectionNotReadyError unless Active."""
        slot = self._slot
        if slot is None or slot.runtime is None or not self.active:
            raise self.not_ready()
        return slot.runtime.session, slot.generation

    def not_ready(self, why: str | None = None) -> ConnectionNotReadyError:
        slot, name = self._slot, self.name
        if slot is None:
            text = f"VaultConnection {name} does not exist (or this operator replica does not serve it)"
        elif slot.obs.phase == "Active":
            text = f"VaultConnection {name} is logging in again"
        else:
            obs = slot.obs
            text = f"VaultConnection {name} is not Active (phase {obs.phase}, reason {obs.reason}): {obs.message}"
        return ConnectionNotReadyError(f"{text}{f'; {why}' if why else ''}", connection=name, phase=self.phase)
