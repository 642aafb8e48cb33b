"""Runs spec.discovery of each VaultConnection: a scan at its interval while the connection is Active.

One task per connection with ``discovery.enabled``; the first scan is due ``interval`` after the last one
(status.discoveryStatus.lastScanAt), so restarts and re-logins cost no extra scan. A scan: two Vault LISTs
(policies, the role mount's roles), one Kubernetes LIST per access kind (which objects exist, which Vault
names they hold), and, with autoCreateCRs, the objects still missing (discovery_adopt.py). The result goes on
the connection's status and into the metrics; nothing is ever deleted.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

import prometheus_client

from ..clock import Clock, rfc3339
from ..connection_handle import ConnectionChange, ConnectionHandle
from ..connections import ConnectionRegistry
from ..errors import VaultAccessError
from ..events import EventEmitter, EventPoster
from ..kinds import KINDS, VAULT_CONNECTION
from ..kube import KubeClient
from ..models import DiscoverySpec
from ..redact import REDACTOR
from .connection_status import publish
from .discovery_adopt import auto_create
from .discovery_hold import DISCOVERY_PENDING
from .discovery_models import DiscoveryStatus, ResourceType
from .discovery_scan import Known, scan
from .settings import AccessSettings

log = logging.getLogger(__name__)
POLICY_KINDS, ROLE_KINDS = ("VaultPolicy", "VaultClusterPolicy"), ("VaultRole", "VaultClusterRole")


def role_mount(handle: ConnectionHandle, login_mount: str | None) -> str | None:
    """spec.defaults.authPath (without ``auth/`` and slashes), else the mount the connection logs in at."""
    defaults = getattr(handle.spec, "defaults", None) or {}
    path = defaults.get("authPath") if isinstance(defaults, dict) else None
    if isinstance(path, str) and path.strip("/"):
        return path.strip("/").removeprefix("auth/").strip("/")
    return login_mount


class DiscoveryRunner:
    def __init__(self, connections: ConnectionRegistry, kube: KubeClient, post: EventPoster,
                 settings: AccessSettings, clock: Clock, registry: prometheus_client.CollectorRegistry) -> None:
        self.connections, self.kube, self.settings, self.clock = connections, kube, settings, clock
        self._post = post
        self._tasks: dict[str, tuple[DiscoverySpec, asyncio.Task[None]]] = {}
        self.results: dict[str, DiscoveryStatus] = {}  # the last scan of each connection (read by the metrics)
        self.scans = prometheus_client.Counter(
            "vault_access_operator_discovery_scans", "Discovery scans by connection and result.",
            ["connection", "result"], registry=registry)
        self._unsubscribe = connections.subscribe(self._changed)

    async def close(self) -> None:
        self._unsubscribe()
        for _, task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*(t for _, t in self._tasks.values()), return_exceptions=True)
        self._tasks.clear()

    def _changed(self, change: ConnectionChange) -> None:
        name, handle = change.name, self.connections.get(change.name)
        self.reapply(name)
        spec = getattr(handle.spec, "discovery", None) if handle is not None and handle.spec is not None else None
        wanted = spec if isinstance(spec, DiscoverySpec) and spec.enabled and handle and handle.active else None
        current = self._tasks.get(name)
        if wanted is None and change.removed:
            self.results.pop(name, None)
        if current is not None and current[0] == wanted:
            return
        if current is not None:
            current[1].cancel()
            del self._tasks[name]
        if wanted is not None:
            self._tasks[name] = (wanted, asyncio.create_task(self._loop(name, wanted), name=f"discovery/{name}"))

    def interval(self, spec: DiscoverySpec) -> float:
        return max(spec.interval, self.settings.discovery_min_seconds)

    async def _loop(self, name: str, spec: DiscoverySpec) -> None:
        while True:
            last = self.results.get(name)
            due = 0.0
            if last is not None and last.last_scan_at:
                then = datetime.datetime.fromisoformat(last.last_scan_at.replace("Z", "+00:00"))
                due = self.interval(spec) - (self.clock() - then).total_seconds()
            if due > 0:
                await asyncio.sleep(due)
            try:
                if await self.scan_once(name, spec) is None:
                    return  # not Active (any more): the next change to Active starts a new loop
            except Exception:  # a bug: keep scanning at the interval
                log.exception("VaultConnection %s: discovery scan failed", name)
                await asyncio.sleep(self.interval(spec))

    async def scan_once(self, name: str, spec: DiscoverySpec) -> DiscoveryStatus | None:
        handle = self.connections.get(name)
        slot = self.connections.slot(name)
        if handle is None or slot is None or not handle.active:
            return None
        now = rfc3339(self.clock()) or ""
        previous = self.results.get(name)
        try:
            known, targets = await self._known(spec.target_namespace)
            client = handle.client()
            mount = role_mount(handle, slot.obs.mount)
            result = await scan(client, spec, mount, self.settings.identity, known, previous, now)
            if spec.auto_create_crs and spec.target_namespace:
                login = handle.login
                own = getattr(login[2], "role", None) if login and login[1] == mount else None
                listed = await auto_create(self.kube, client, result.discovered_resources, name,
                                           spec.target_namespace, targets, now, mount if known.role_kinds else None,
                                           own if isinstance(own, str) else None)
                result = result.model_copy(update={"discovered_resources": listed})
            self.scans.labels(name, "success").inc()
        except VaultAccessError as error:
            self.scans.labels(name, "failure").inc()
            text = REDACTOR(error.message)
            result = (previous or DiscoveryStatus()).model_copy(update={"last_scan_at": now, "message": text})
            await self._events(name, slot.obs.uid).post("Warning", "DiscoveryScanFailed", text, masked=True)
        self.results[name] = result
        if previous is None or _counts(previous) != _counts(result):
            await self._events(name, slot.obs.uid).post("Normal", "DiscoveryScanComplete", _summary(result))
        if any(r.adoption_status == "failed" for r in result.discovered_resources) and not (
                previous and any(r.adoption_status == "failed" for r in previous.discovered_resources)):
            failed = [r.name for r in result.discovered_resources if r.adoption_status == "failed"]
            await self._events(name, slot.obs.uid).post(
                "Warning", "AutoCreateFailed", f"no object made for {', '.join(failed[:10])}: a policy whose rules a "
                "VaultPolicy cannot express exactly, a role that could not be read, or the create failed (create on "
                "VaultPolicy and VaultRole in spec.discovery.targetNamespace); adopt it by hand")
        slot.obs.discovery = result
        await publish(self.connections, name)
        return result

    async def _known(self, target: str | None) -> tuple[Known, dict[tuple[ResourceType, str], dict[str, str]]]:
        objects: set[tuple[ResourceType, str]] = set()
        vault_names: set[tuple[ResourceType, str]] = set()
        targets: dict[tuple[ResourceType, str], dict[str, str]] = {}  # the targetNamespace's VaultPolicy / VaultRole
        served = {kind.kind: kind for kind in KINDS}
        for kind_name in POLICY_KINDS + ROLE_KINDS:
            kind = served.get(kind_name)
            if kind is None:
                continue
            typed: ResourceType = "policy" if kind_name in POLICY_KINDS else "role"
            code, body = await self.kube.request("GET", f"/apis/{kind.group}/{kind.version}/{kind.plural}",
                                                 what=f"listing {kind.plural}")
            if code >= 300:
                raise VaultAccessError(f"listing {kind.plural} failed (HTTP {code}): the operator needs 'list' on it")
            for item in (body or {}).get("items") or []:
                meta: dict[str, Any] = item.get("metadata") or {}
                namespace = meta.get("namespace") if kind.scope == "Namespaced" else None
                objects.add((typed, f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))))
                status = item.get("status") or {}
                # An object awaiting review shows the name it will adopt, but manages nothing yet: still listed.
                held = (meta.get("annotations") or {}).get(DISCOVERY_PENDING) == "true"
                for field in ("vaultName", "vaultRoleName"):
                    if isinstance(status.get(field), str) and not held:
                        vault_names.add((typed, status[field]))
                if kind_name in ("VaultPolicy", "VaultRole") and namespace == target:
                    targets[(typed, str(meta.get("name")))] = dict(meta.get("annotations") or {})
        roles = any(k in served for k in ROLE_KINDS)
        return Known(frozenset(objects), frozenset(vault_names), role_kinds=roles), targets

    def _events(self, name: str, uid: str | None) -> EventEmitter:
        ref = VAULT_CONNECTION.ref(name, uid=uid)
        return EventEmitter(lambda: ref, self._post, REDACTOR)

    def reapply(self, name: str) -> None:
        """A new runtime (a spec edit) starts with an empty observation: give it the last result again."""
        slot = self.connections.slot(name)
        if slot is not None and name in self.results and slot.obs.discovery is None:
            slot.obs.discovery = self.results[name]


def _counts(status: DiscoveryStatus) -> tuple[int, int, int, int]:
    return status.unmanaged_policies, status.unmanaged_roles, status.orphaned_policies, status.orphaned_roles


def _summary(status: DiscoveryStatus) -> str:
    return (f"{status.unmanaged_policies} unmanaged policies, {status.unmanaged_roles} unmanaged roles, "
            f"{status.orphaned_policies + status.orphaned_roles} orphans (see status.discoveryStatus)")
