"""Operator-wide settings of the access kinds (VaultPolicy and those that follow)."""

from __future__ import annotations

import dataclasses
import random

from .naming import DEFAULT_CLUSTER_NAME, identity

DEFAULT_RESYNC_SECONDS = 300.0  # the replaced operator's OPERATOR_REQUEUE_SUCCESS_INTERVAL
RESYNC_JITTER = 0.2  # +-20%: objects created together do not all read Vault at the same moment


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
        return self.resync_seconds * rng.uniform(1 - RESYNC_JITTER, 1 + RESYNC_JITTER)

    def retry_delay(self, failures: int, rng: random.Random) -> float:
        delay = min(self.retry_cap_seconds, self.retry_base_seconds * 2.0 ** max(0, failures - 1))
        return float(delay * rng.uniform(0.8, 1.0))
