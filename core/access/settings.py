"""Operator-wide settings of the access kinds (VaultPolicy and those that follow)."""

from __future__ import annotations

import dataclasses
import math
import random

from .naming import DEFAULT_CLUSTER_NAME, identity

DEFAULT_RESYNC_SECONDS = 300.0  # the replaced operator's OPERATOR_REQUEUE_SUCCESS_INTERVAL
#: +-5% on each drift interval after the first: the first check of each object falls at a uniformly random point
#: of the interval (objects synced together, as after a start, check at an even rate), and the small jitter keeps
#: them from lining up again.
RESYNC_JITTER = 0.05
#: Drift checks fall due on a grid of this many slots per interval (2 s at the default 300 s): the checks of one
#: slot run together, on one wake-up of the process. A wake-up of an idle process costs about as much CPU as the
#: check itself, so checks at thousands of distinct random instants cost far more than the same checks in batches
#: (bench/README.md, "Figures formerly in code comments"). 150 slots keep the checks spread over the interval.
DRIFT_SLOTS = 150


@dataclasses.dataclass(frozen=True)
class AccessSettings:
    cluster_name: str = DEFAULT_CLUSTER_NAME  # --cluster-name / VAO_CLUSTER_NAME: the identity in Vault names
    resync_seconds: float = DEFAULT_RESYNC_SECONDS  # how often Vault's copy is compared (drift detection)
    retry_base_seconds: float = 1.0  # first retry after a failed sync or delete; doubles up to the cap
    retry_cap_seconds: float = 300.0
    #: How long an object synced before waits, silently, for its connection to log in after this replica
    #: starts or takes over, before it reports the connection not ready: a restart writes no status.
    connection_grace_seconds: float = 60.0
    discovery_min_seconds: float = 300.0  # the least spec.discovery.interval in force (tests shorten it)

    @property
    def identity(self) -> str:
        return identity(self.cluster_name)

    def resync_delay(self, rng: random.Random) -> float:
        """From one drift check to the next: one interval, +-RESYNC_JITTER."""
        return self.resync_seconds * rng.uniform(1 - RESYNC_JITTER, 1 + RESYNC_JITTER)

    def drift_check_due(self, due: float | None, now: float, checked: bool, rng: random.Random) -> float:
        """When an object's next drift check is due (``now`` and the result on the same clock), after a pass that
        ends well: one interval after a drift check (``checked``); else the time already set, if still ahead (a
        pass woken by an edit or by the connection does not push the check back); else (the first pass, or the
        time passed while the object waited or failed) a uniformly random point of the next interval, so that
        10,000 objects synced at once read Vault at an even rate rather than all within one window."""
        if checked:
            return self.on_grid(now + self.resync_delay(rng))
        if due is not None and due > now:
            return due
        return self.on_grid(now + self.resync_seconds * rng.random())

    def on_grid(self, when: float) -> float:
        """``when`` moved up to the next of the drift slots (:data:`DRIFT_SLOTS`), on the loop's clock, which
        every object shares: objects falling due within one slot are checked together."""
        slot = self.resync_seconds / DRIFT_SLOTS
        return math.ceil(when / slot) * slot

    def retry_delay(self, failures: int, rng: random.Random) -> float:
        delay = min(self.retry_cap_seconds, self.retry_base_seconds * 2.0 ** max(0, failures - 1))
        return float(delay * rng.uniform(0.8, 1.0))
