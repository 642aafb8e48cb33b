"""What an access kind gives the shared controller (core/access/controller.py): its pass and its delete."""

from __future__ import annotations

from typing import Any, Protocol

from ..connection_handle import ConnectionHandle
from ..kinds import KindDefinition
from .outcome import Outcome
from .policy_delete import Deletion


class KindAdapter(Protocol):
    """One access kind's work: a sync pass of an object, and the undoing of it in Vault (see policy_adapter.py)."""

    kind: KindDefinition

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome: ...

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion: ...
