"""An access object's deletion: undo it in Vault before its finalizer goes (core/access/controller.py's ``delete``).

Its connection is borrowed as for a pass; a connection that is deleted (the API server says so) leaves Vault as it
is, so a finalizer never stays for good. The outcome is reported (pass_report.py) and, when not done, retried.
"""

from __future__ import annotations

import random
from typing import Any

from ..access_metrics import AccessMetrics
from ..connections import ConnectionRegistry
from ..kube import KubeClient
from .dependants import DependantCounter, connection_gone
from .kind_adapter import KindAdapter
from .pass_report import PassReporter
from .policy_delete import Deletion
from .settings import AccessSettings
from .tracked import Key


class ObjectDeletion:
    """Runs a kind's delete for an object the controller has already let go of."""

    def __init__(self, connections: ConnectionRegistry, kube: KubeClient, dependants: DependantCounter,
                 reporter: PassReporter, metrics: AccessMetrics, settings: AccessSettings,
                 rng: random.Random) -> None:
        self.connections, self.kube, self.dependants = connections, kube, dependants
        self.reporter, self.metrics, self.settings, self.rng = reporter, metrics, settings, rng

    async def run(self, adapter: KindAdapter, raw: dict[str, Any], key: Key, retry: int) -> float | None:
        """None when done, else seconds until the next try."""
        ref = (raw.get("spec") or {}).get("connectionRef")
        self.dependants.set(key, ref if isinstance(ref, str) else None)  # its delete still needs the connection
        handle = self.connections.get(ref) if isinstance(ref, str) else None
        if handle is None and isinstance(ref, str) and await connection_gone(self.kube, ref):
            # Never a finalizer that cannot go: with the connection deleted, Vault is left as it is.
            result = Deletion(True, "ConnectionGone", f"VaultConnection {ref} is deleted: nothing was deleted in "
                              "Vault; the Vault object this object managed, if any, stays", warning=True)
        else:
            result = await adapter.run_delete(raw, handle)
        if result.done:
            self.dependants.set(key, None)
        else:
            self.metrics.deletion_failed(key, result.reason)
        await self.reporter.deletion(adapter.kind, raw, result, retry)
        return None if result.done else self.settings.retry_delay(retry + 1, self.rng)
