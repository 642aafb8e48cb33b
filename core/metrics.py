"""Prometheus metrics. Counters are recorded as things happen; per-connection gauges are read
from the live runtimes at scrape time, so they cost nothing between scrapes.

Each operator instance has its own CollectorRegistry (tests run several in one process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import prometheus_client
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .access_metrics import AccessMetrics
from .clock import Clock, utc_now

if TYPE_CHECKING:
    from .registry import ProviderRegistry
    from .status import Observation

PREFIX = "vault_access_operator"


class Metrics:
    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock  # token TTLs at scrape time
        self.registry = prometheus_client.CollectorRegistry()
        labels = ["connection", "method", "result"]
        self.logins = prometheus_client.Counter(
            f"{PREFIX}_logins", "Vault logins by connection, method and result (success or the failure reason).",
            labels, registry=self.registry)
        self.renewals = prometheus_client.Counter(
            f"{PREFIX}_renewals", "Token renewals by connection, method and result.", labels, registry=self.registry)
        self.health_checks = prometheus_client.Counter(
            f"{PREFIX}_health_checks", "Health checks (token lookups) by connection and result.",
            ["connection", "result"], registry=self.registry)
        self.login_seconds = prometheus_client.Histogram(
            f"{PREFIX}_login_duration_seconds", "Time to build and send a login request, by method.", ["method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=self.registry)
        self.access = AccessMetrics(self.registry)  # VaultPolicy and the other access kinds

    def forget(self, connection: str) -> None:
        """Drop a deleted connection's series so they do not linger."""
        for counter in (self.logins, self.renewals):
            for labels in list(counter._metrics):  # no public API lists label sets
                if labels[0] == connection:
                    counter.remove(*labels)
        for labels in list(self.health_checks._metrics):
            if labels[0] == connection:
                self.health_checks.remove(*labels)

    def watch(self, observations: Callable[[], Iterable[tuple[str, Observation]]], plugins: ProviderRegistry) -> None:
        self.registry.register(_LiveCollector(observations, plugins, self._clock))

    def serve(self, port: int, address: str = "0.0.0.0") -> None:
        if getattr(self, "_server", None) is not None:  # `run` serves before kopf's startup handler asks again
            return
        self._server, _ = prometheus_client.start_http_server(port, addr=address, registry=self.registry)

    def close(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server.shutdown()
            server.server_close()


class _LiveCollector(Collector):
    def __init__(self, observations: Callable[[], Iterable[tuple[str, Observation]]],
                 plugins: ProviderRegistry, clock: Clock) -> None:
        self._observations = observations
        self._plugins = plugins
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        healthy = GaugeMetricFamily(f"{PREFIX}_connection_healthy", "1 when the connection is Active.",
                                    labels=["connection", "method"])
        failures = GaugeMetricFamily(f"{PREFIX}_consecutive_failures", "Failures since the last success.",
                                     labels=["connection", "method"])
        ttl = GaugeMetricFamily(f"{PREFIX}_token_ttl_seconds", "Seconds until the current token expires.",
                                labels=["connection", "method"])
        now = self._clock()
        for name, obs in self._observations():
            labels = [name, obs.method]
            healthy.add_metric(labels, 1.0 if obs.phase == "Active" else 0.0)
            failures.add_metric(labels, float(obs.consecutive_failures))
            if obs.expires_at is not None and obs.authenticated:
                ttl.add_metric(labels, max(0.0, (obs.expires_at - now).total_seconds()))
        plugin_failures = GaugeMetricFamily(
            f"{PREFIX}_plugin_load_failures", "1 for each auth plugin entry point that failed to load.",
            labels=["plugin", "package"])
        for plugin in self._plugins.plugins:
            if plugin.error:
                plugin_failures.add_metric([plugin.name, plugin.package], 1.0)
        yield from (healthy, failures, ttl, plugin_failures)
