"""Gauges of discovery (unmanaged and orphaned objects) and of each connection's dependants, read at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .discovery_models import DependantsStatus, DiscoveryStatus

PREFIX = "vault_access_operator"


class AccessCollector(Collector):
    def __init__(self, discovery: Callable[[], Mapping[str, DiscoveryStatus]],
                 dependants: Callable[[], Mapping[str, DependantsStatus]]) -> None:
        self._discovery, self._dependants = discovery, dependants

    def collect(self) -> Iterator[GaugeMetricFamily]:
        unmanaged = GaugeMetricFamily(f"{PREFIX}_discovery_unmanaged_resources",
                                      "Vault policies and roles no object manages, at the last scan.",
                                      labels=["connection", "type"])
        orphaned = GaugeMetricFamily(f"{PREFIX}_vault_orphaned_resources",
                                     "Vault objects of this operator identity whose object is gone (never deleted).",
                                     labels=["connection", "type"])
        for name, status in sorted(dict(self._discovery()).items()):  # a copy: the loop thread changes it
            unmanaged.add_metric([name, "policy"], float(status.unmanaged_policies))
            unmanaged.add_metric([name, "role"], float(status.unmanaged_roles))
            orphaned.add_metric([name, "policy"], float(status.orphaned_policies))
            orphaned.add_metric([name, "role"], float(status.orphaned_roles))
        dependants = GaugeMetricFamily(f"{PREFIX}_connection_dependants",
                                       "Access objects (policies, roles, KV secrets) that use the connection.",
                                       labels=["connection", "kind"])
        for name, counted in sorted(dict(self._dependants()).items()):
            dependants.add_metric([name, "policies"], float(counted.policies))
            dependants.add_metric([name, "roles"], float(counted.roles))
            dependants.add_metric([name, "kv_secrets"], float(counted.kv_secrets))
        yield from (unmanaged, orphaned, dependants)
