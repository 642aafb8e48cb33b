"""Assembles the operator: plugins, Kubernetes client, connection manager.

The kopf handlers (core/handlers.py) are thin: each one calls a plain method of :class:`OperatorApp`,
which tests can drive without a cluster.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Mapping
from typing import Any

import aiohttp
import kopf

from .access.controller import AccessController, KindAdapter
from .access.dependants_gate import DEPENDANTS_FINALIZER, DeletionGate
from .access.discovery import DiscoveryRunner
from .access.discovery_metrics import AccessCollector
from .access.kv_adapter import KVSecretAdapter
from .access.name_snapshot import NameSnapshots
from .access.naming import cluster_name_from_env
from .access.policy_adapter import PolicyAdapter
from .access.policy_reads import PolicyReads
from .access.role_adapter import RoleAdapter
from .access.role_refs import Key, PolicyView, policy_view
from .access.settings import AccessSettings
from .access.tenancy import confinement_override
from .admission import admit
from .clock import Clock, utc_now
from .context import CoreAuthContext, OperatorIdentity
from .events import EventEmitter, ObjectRef
from .follow import SpecFollower
from .kinds import (
    VAULT_CLUSTER_POLICY,
    VAULT_CLUSTER_ROLE,
    VAULT_CONNECTION,
    VAULT_KV_SECRET,
    VAULT_POLICY,
    VAULT_ROLE,
    KindDefinition,
)
from .kube import KubeClient, ObjectStatus
from .lifecycle import Backoff
from .manager import ConnectionManager
from .metrics import Metrics
from .models import Confinement
from .peering import DEFAULT_PEERING_LIFETIME, peering_lifetime_from_env
from .redact import REDACTOR
from .registry import ProviderRegistry, load_providers
from .reporting import Reporter
from .runtime_deps import RuntimeDeps
from .shards import ShardSettings
from .status import Observation
from .trust import TrustPolicy, describe_policy
from .trust_config import discover_api_audiences, policy_from_env
from .validation import ValidatedConnection

log = logging.getLogger(__name__)
SHUTDOWN_REVOKE_SECONDS = 10.0


class _Unwritten:
    """The status sink of a shard that does not own the VaultConnections: it keeps what it sees to itself."""

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        return True


async def _unposted(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    """The event poster of such a shard: the owning shard posts the connection's events."""


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


class OperatorApp:
    def __init__(
        self, config: OperatorConfig, registry: ProviderRegistry | None = None, clock: Clock = utc_now
    ) -> None:
        self.config = config
        self.clock = clock  # the one clock: runtimes, contexts, status, events and metrics all read it
        self.registry = registry if registry is not None else load_providers()
        self._kube: KubeClient | None = None
        self.kopf_settings = kopf.OperatorSettings()  # replaced by the running operator's at login
        self._http: aiohttp.ClientSession | None = None
        self.trust = config.trust  # plus the API server's audiences, once discovered
        self._api_server: str | None = None  # the URL the operator reaches the API server at
        self.metrics = Metrics(clock)
        deps = RuntimeDeps(
            context_factory=self._context,
            reporter_factory=self._reporter,
            backoff=config.backoff,
            clock=clock,
            metrics=self.metrics,
        )
        self.manager = ConnectionManager(self.registry, deps)
        self.manager.admit = self._admit
        self.connections = self.manager.connections  # for other controllers: core/connections.py
        self.metrics.watch(self.manager.observations, self.registry)
        self.specs = SpecFollower(self.manager.apply)
        self._following: asyncio.Task[None] | None = None
        names = NameSnapshots()  # one LIST per connection and folder for the policy and role kinds alike
        self.access_kinds: dict[str, KindAdapter] = {
            kind.kind: PolicyAdapter(kind, config.access, config.tenancy_confinement, names)
            for kind in (VAULT_POLICY, VAULT_CLUSTER_POLICY)}
        for kind in (VAULT_ROLE, VAULT_CLUSTER_ROLE):
            self.access_kinds[kind.kind] = RoleAdapter(kind, config.access, self.registry, self._policy_view,
                                                       config.tenancy_confinement, names)
        self.access_kinds[VAULT_KV_SECRET.kind] = KVSecretAdapter(
            config.access, lambda namespace, name, key: self.kube.read_secret(namespace, name, key), clock,
            config.tenancy_confinement)
        self._access: AccessController | None = None
        self._policy_reads: PolicyReads | None = None  # made on first use, on the operator's event loop
        #: The operator is exiting (kopf stopped a connection daemon for it): no connection is served again.
        self.exiting = False
        self.discovery: DiscoveryRunner | None = None
        self.access_gate = DeletionGate(self)  # a connection's deletion waits for its dependants

    @property
    def access(self) -> AccessController:
        """The controller of the access kinds (made on first use, on the operator's event loop)."""
        if self._access is None:
            self._access = AccessController(self.connections, self.kube, self.post_event, self.config.access,
                                            self.clock, metrics=self.metrics.access)
            if self.config.shard.cluster_scoped:  # only the owning shard writes to the connections
                self._access.dependants.on_change = self.access_gate.set_finalizer
        return self._access

    async def _policy_view(self, key: Key) -> PolicyView | None:
        """A referenced policy as the controller knows it; one the watch has not shown yet (the operator just
        started) is read from the API server, so a role does not flap to not-Ready at every start."""
        seen = self.access.view(key)
        if seen is None:  # a burst of them shares a LIST of the namespace (policy_reads.py)
            if self._policy_reads is None:
                self._policy_reads = PolicyReads(self.kube)
            kind = VAULT_POLICY if key[0] == VAULT_POLICY.kind else VAULT_CLUSTER_POLICY
            seen = await self._policy_reads.read(kind, key[1], key[2])
        return policy_view(seen)

    def serve_metrics(self) -> None:
        if self.config.metrics_port is not None:
            self.metrics.serve(self.config.metrics_port)

    def login(self) -> kopf.ConnectionInfo:
        info = login(self.config, self.kopf_settings)
        self._api_server = info.server
        return info

    @property
    def kube(self) -> KubeClient:
        if self._kube is None:
            self._kube = KubeClient(self.login(), relogin=self.login, clock=self.clock)
        return self._kube

    def _http_session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._http

    def _context(self, name: str) -> CoreAuthContext:
        return CoreAuthContext(
            connection_name=name,
            identity=self.config.identity,
            kube=self.kube,
            session_factory=self._http_session,
            clock=self.clock,
            trust=self.trust,
        )

    def _admit(self, name: str, validated: ValidatedConnection) -> None:
        admit(validated, self._context(name))

    async def learn_api_audiences(self) -> None:
        """Refuse the API server's own audiences too: its issuer (from discovery) and its URLs."""
        self.trust = self.trust.with_api_audiences(await discover_api_audiences(self.kube, self._api_server))
        log.info("trust policy: %s", describe_policy(self.trust, self.config.identity.namespace))

    def _reporter(self, name: str, obs: Observation) -> Reporter:
        # The uid is read at each write: the manager sets it on the observation right after this call.
        def ref() -> ObjectRef:
            return VAULT_CONNECTION.ref(name, uid=obs.uid)

        if not self.config.shard.cluster_scoped:  # another shard writes the connection's status and events
            return Reporter(name, obs, _Unwritten(), EventEmitter(ref, _unposted, REDACTOR), self.clock, REDACTOR,
                            on_phase=self._phase_changed)
        sink = ObjectStatus(self.kube, lambda: obs.uid)
        events = EventEmitter(ref, self.post_event, REDACTOR)
        return Reporter(name, obs, sink, events, self.clock, REDACTOR, on_phase=self._phase_changed)

    async def post_event(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        """An EventPoster: a namespaced object's events go to its namespace, a cluster-scoped one's to ours."""
        namespace = involved.get("namespace") or self.config.events_namespace or self.config.identity.namespace
        await self.kube.post_event(involved, kind, reason, message, namespace)

    def _phase_changed(self, name: str, old: str | None, new: str, reason: str) -> None:
        self.connections.phase_changed(name)  # borrowers of the connection hear of it

    # --- what the kopf handlers call -------------------------------------------------------

    async def reconcile(self, name: str, uid: str | None, generation: int | None, spec: dict[str, Any],
                        status: Mapping[str, Any] | None = None) -> None:
        if self._access is not None:
            self._access.released.discard(name)  # served here again
        await self.manager.apply(name, generation, dict(spec), uid=uid, found=status)

    def observe_access(self, kind: KindDefinition, body: dict[str, Any]) -> None:
        """An access object (VaultPolicy, ...) was added or changed."""
        self.access.observe(self.access_kinds[kind.kind], body)

    async def forget_access(self, kind: KindDefinition, body: dict[str, Any]) -> None:
        """An access object is gone from the API: stop its worker."""
        await self.access.forget(kind, body)

    async def delete_access(self, kind: KindDefinition, body: dict[str, Any], retry: int) -> float | None:
        """An access object is being deleted: None once Vault is done with, else seconds until the next try."""
        return await self.access.delete(self.access_kinds[kind.kind], body, retry)

    def start(self) -> None:
        """Start following spec changes (call on the operator's event loop)."""
        if self._following is None:
            log.info("serving %s", self.config.shard.describe())
            self._following = asyncio.create_task(self.specs.run(), name="spec-follower")
        if self.discovery is None and self.config.shard.cluster_scoped:  # spec.discovery of every connection
            self.discovery = DiscoveryRunner(self.connections, self.kube, self.post_event, self.config.access,
                                             self.clock, self.metrics.registry)
            self.metrics.registry.register(AccessCollector(lambda: self.discovery.results if self.discovery else {},
                                                           lambda: self._access.dependants.all() if self._access
                                                           else {}))  # scraped on another thread: never made there

    async def release(self, name: str, uid: str | None = None) -> None:
        """Stop serving ``name`` (this replica was paused): revoke, keep the status for the next leader."""
        if self._access is not None:  # before the registry forgets it: its objects must not report it gone
            self._access.released.add(name)
        await self.manager.release(name, uid)

    async def delete(self, name: str, uid: str | None = None) -> None:
        """The object ``uid`` is deleted (a later object of the same name is left alone)."""
        await self.manager.remove(name, uid)

    async def connection_stopped(self, name: str, uid: str | None, finalizers: list[str]) -> None:
        """The connection's daemon stopped because the object is deleted: revoke now, unless dependants still
        need its token (it holds their finalizer; core/access/dependants_gate.py lets it go later)."""
        if DEPENDANTS_FINALIZER not in finalizers:
            await self.delete(name, uid)

    def connection_seen(self, name: str, body: dict[str, Any]) -> None:
        """A watch event of a VaultConnection: one being deleted may have to wait for its dependants."""
        finalizers = (body.get("metadata") or {}).get("finalizers") or []
        shown = (body.get("status") or {}).get("dependants")
        self.access.dependants.seen(name, DEPENDANTS_FINALIZER in finalizers,
                                    shown if isinstance(shown, dict) else None)
        if (body.get("metadata") or {}).get("deletionTimestamp"):
            self.access_gate.deleted(name, body)

    async def shutdown(self) -> None:
        if self._following is not None:
            self._following.cancel()
        await self.specs.close()
        if self._access is not None:
            await self._access.close()
        if self.discovery is not None:
            await self.discovery.close()
        await self.access_gate.close()
        try:
            await asyncio.wait_for(self.manager.stop_all(revoke=True), SHUTDOWN_REVOKE_SECONDS)
        except TimeoutError:
            log.warning("some tokens were not revoked within %ss; they expire by themselves", SHUTDOWN_REVOKE_SECONDS)
        self.metrics.close()
        await self.manager.deps.vault_http.close()
        if self._kube is not None:
            await self._kube.close()
        if self._http is not None:
            await self._http.close()
