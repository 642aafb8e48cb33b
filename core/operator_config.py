"""Operator-wide settings (from the CLI and the environment) and the Kubernetes credentials they lead to."""

from __future__ import annotations

import dataclasses
import logging
import os

import kopf

from .access.naming import cluster_name_from_env
from .access.settings import AccessSettings
from .access.tenancy import confinement_override
from .context import OperatorIdentity
from .lifecycle import Backoff
from .models import Confinement
from .peering import DEFAULT_PEERING_LIFETIME, peering_lifetime_from_env
from .shards import ShardSettings
from .trust import TrustPolicy
from .trust_config import policy_from_env

log = logging.getLogger("vault_access_operator.app")  # kopf's login lines keep the logger they had


@dataclasses.dataclass
class OperatorConfig:
    """Operator-wide settings (from the CLI and environment)."""

    identity: OperatorIdentity = dataclasses.field(default_factory=OperatorIdentity)
    backoff: Backoff = dataclasses.field(default_factory=Backoff)
    kube_connection: kopf.ConnectionInfo | None = None  # None: in-cluster, else kubeconfig
    events_namespace: str | None = None  # events of cluster-scoped objects; default: operator namespace
    metrics_port: int | None = None  # serve Prometheus metrics here; None: do not serve
    trust: TrustPolicy = dataclasses.field(default_factory=TrustPolicy)  # what a VaultConnection may use
    access: AccessSettings = dataclasses.field(default_factory=AccessSettings)  # VaultPolicy and the like
    #: --tenancy-confinement / VAO_TENANCY_CONFINEMENT: namespace forces confinement on every connection.
    tenancy_confinement: Confinement | None = None
    #: --peering-lifetime / VAO_PEERING_LIFETIME: seconds a replica's peering record counts; a killed leader
    #: is replaced at most this long after its last keep-alive (kopf's own default, 60 s, is too slow).
    peering_lifetime: int = DEFAULT_PEERING_LIFETIME
    #: --shard and friends: which objects this deployment acts on (default: all of them).
    shard: ShardSettings = dataclasses.field(default_factory=ShardSettings)

    @classmethod
    def from_env(cls) -> OperatorConfig:
        """Identity and trust policy from the environment; raises ValueError naming a bad VAO_* variable."""
        identity = OperatorIdentity(
            namespace=os.environ.get("OPERATOR_NAMESPACE") or _pod_namespace() or OperatorIdentity.namespace,
            service_account=os.environ.get("OPERATOR_SERVICE_ACCOUNT") or OperatorIdentity.service_account,
        )
        access = AccessSettings(cluster_name=cluster_name_from_env(os.environ))
        return cls(
            identity=identity,
            trust=policy_from_env(os.environ),
            access=access,
            tenancy_confinement=confinement_override(None, os.environ),
            peering_lifetime=peering_lifetime_from_env(os.environ),
        )


def _pod_namespace() -> str | None:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def login(config: OperatorConfig, settings: kopf.OperatorSettings) -> kopf.ConnectionInfo:
    """Credentials like kubectl's: explicit, then in-cluster service account, then kubeconfig."""
    if config.kube_connection is not None:
        return config.kube_connection
    info = kopf.login_with_service_account(logger=log, settings=settings) or kopf.login_with_kubeconfig(
        logger=log, settings=settings
    )
    if info is None:
        raise kopf.LoginError("no Kubernetes credentials: not in a cluster, and no KUBECONFIG or ~/.kube/config")
    return info
