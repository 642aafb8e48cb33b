"""Assembles the operator: plugins, Kubernetes client, connection manager, the access kinds.

The kopf handlers (core/handlers.py) are thin: each one calls a plain method of :class:`OperatorApp`
(core/app_entry.py), which tests can drive without a cluster. Its settings: core/operator_config.py.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import kopf

from .access.builtin_kinds import builtin_adapters
from .access.controller import AccessController, KindAdapter
from .access.dependants_gate import DeletionGate
from .access.discovery import DiscoveryRunner
from .access.discovery_metrics import AccessCollector
from .access.policy_reads import PolicyReads
from .access.role_refs import Key, PolicyView, policy_view
from .admission import admit
from .app_entry import KopfEntryPoints
from .clock import Clock, utc_now
from .connection_reporters import connection_reporter
from .context import CoreAuthContext
from .follow import SpecFollower
from .kinds import VAULT_CLUSTER_POLICY, VAULT_POLICY
from .kube import KubeClient
from .manager import ConnectionManager
from .metrics import Metrics
from .operator_config import OperatorConfig, login
from .registry import ProviderRegistry, load_providers
from .reporting import Reporter
from .runtime_deps import RuntimeDeps
from .status import Observation
from .trust import describe_policy
from .trust_config import discover_api_audiences
from .validation import ValidatedConnection

__all__ = ["SHUTDOWN_REVOKE_SECONDS", "OperatorApp", "OperatorConfig", "login"]

log = logging.getLogger(__name__)
SHUTDOWN_REVOKE_SECONDS = 10.0


class OperatorApp(KopfEntryPoints):
    """The operator's parts wired together; the kopf-facing entry points are :class:`KopfEntryPoints`'."""

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
        self.access_kinds: dict[str, KindAdapter] = builtin_adapters(
            config.access, config.tenancy_confinement, self.registry, self._policy_view,
            lambda namespace, name, key: self.kube.read_secret(namespace, name, key), clock)
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
        seen = self.access.view_for_role(key)  # the policy's status decoded, not its whole body
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
        # Another shard writes the connection's status and events when this one does not own the connections.
        kube = self.kube if self.config.shard.cluster_scoped else None
        return connection_reporter(name, obs, kube, self.post_event, self.clock, self._phase_changed)

    async def post_event(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        """An EventPoster: a namespaced object's events go to its namespace, a cluster-scoped one's to ours."""
        namespace = involved.get("namespace") or self.config.events_namespace or self.config.identity.namespace
        await self.kube.post_event(involved, kind, reason, message, namespace)

    def _phase_changed(self, name: str, old: str | None, new: str, reason: str) -> None:
        self.connections.phase_changed(name)  # borrowers of the connection hear of it

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
