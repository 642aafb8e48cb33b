"""Policy objects the watch has not shown yet, read from the API server: one LIST per namespace for a burst.

A role's pass resolves its policy references from what the controller knows of the policy objects; at a start
the watch may show the roles before their policies (kopf lists the kinds side by side), and each role then read
its policy with a GET (1,486 GETs for 1,500 roles in one bench.access_sync run at 3,000 objects). Here, misses
for several names of one kind and namespace within :data:`WINDOW_SECONDS` share one LIST of that namespace's
objects of the kind (at most :data:`LIST_LIMIT`, one page); a lone miss, and a name the LIST does not show, are
read with a GET as before. A LIST's answer serves for the window, then it is dropped (nothing kept per object).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from typing import Any

from ..kinds import KindDefinition
from ..kube import KubeClient
from ..kube_errors import raise_for

WINDOW_SECONDS = 2.0
LIST_LIMIT = 500  # kubectl's page size: a namespace with more names reads the rest one by one

Seen = tuple[dict[str, Any], dict[str, Any]]  # (body, status), as the controller's view gives them
RBAC = "get and list on vaultpolicies and vaultclusterpolicies"


@dataclasses.dataclass
class _Namespace:
    listed: dict[str, Seen] | None = None  # name -> what the LIST showed of it
    listed_at: float = -math.inf
    listing: asyncio.Task[dict[str, Seen] | None] | None = None
    last_ask: float = -math.inf
    last_name: str = ""


def _essentials(item: dict[str, Any]) -> Seen:
    """What a role reads of a policy object (policy_view): its deletion mark and its status's name and phase. Kept
    instead of the whole object, so that a LIST of 500 holds no 500 bodies for its window."""
    meta, status = item.get("metadata") or {}, item.get("status") or {}
    kept = {key: status[key] for key in ("vaultName", "phase") if key in status}
    return {"metadata": {"deletionTimestamp": meta.get("deletionTimestamp")}}, kept


class PolicyReads:
    """Reads for one operator; ``lists`` and ``gets`` count the requests sent (tests and benchmarks)."""

    def __init__(self, kube: KubeClient, window: float = WINDOW_SECONDS) -> None:
        self.kube, self.window = kube, window
        self._states: dict[tuple[str, str | None], _Namespace] = {}
        self.lists = self.gets = 0

    async def read(self, kind: KindDefinition, namespace: str | None, name: str) -> Seen | None:
        """The object as the API server has it (None: it does not exist); a KubeError when it cannot say."""
        listed = await self._listed(kind, namespace, name)
        if listed is not None and name in listed:
            return listed[name]
        return await self._get(kind, namespace, name)

    async def _get(self, kind: KindDefinition, namespace: str | None, name: str) -> Seen | None:
        self.gets += 1
        what = f"reading {kind.kind} {namespace + '/' if namespace else ''}{name}"
        code, body = await self.kube.request("GET", kind.path(name, namespace), what=what)
        if code == 404:
            return None
        raise_for(code, body, what, rbac=RBAC)
        return (body, body.get("status") or {}) if isinstance(body, dict) else None

    async def _listed(self, kind: KindDefinition, namespace: str | None, name: str) -> dict[str, Seen] | None:
        """A fresh LIST's objects by name (sent now when a burst asks), None for a lone ask."""
        loop = asyncio.get_running_loop()
        now, key = loop.time(), (kind.kind, namespace)
        state = self._states.setdefault(key, _Namespace())
        burst = now - state.last_ask < self.window and name != state.last_name
        state.last_ask, state.last_name = now, name
        if state.listed is not None and now - state.listed_at < self.window:
            return state.listed
        if state.listing is None:
            if not burst:
                loop.call_later(self.window, self._forget_if_idle, key, state)
                return None
            state.listing = asyncio.create_task(self._list(kind, namespace, state))
        return await asyncio.shield(state.listing)

    async def _list(self, kind: KindDefinition, namespace: str | None, state: _Namespace) -> dict[str, Seen] | None:
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        self.lists += 1
        collection = kind.path("", namespace).rstrip("/")
        try:
            code, body = await self.kube.request("GET", f"{collection}?limit={LIST_LIMIT}",
                                                 what=f"listing {kind.plural} in {namespace or 'the cluster'}")
        except Exception:  # the GETs that follow say what is wrong, each for its own role
            code, body = 0, None
        finally:
            state.listing = None
        if code >= 300 or not isinstance(body, dict):
            return None
        listed: dict[str, Seen] = {}
        for item in body.get("items") or []:
            if isinstance(item, dict) and isinstance(name := (item.get("metadata") or {}).get("name"), str):
                listed[name] = _essentials(item)
        state.listed, state.listed_at = listed, sent_at
        loop.call_later(self.window, self._forget_if_idle, (kind.kind, namespace), state)
        return listed

    def _forget_if_idle(self, key: tuple[str, str | None], state: _Namespace) -> None:
        """Drop a namespace's answer after its window, and its state once nobody asked for a window."""
        loop = asyncio.get_running_loop()
        if state.listed is not None and loop.time() - state.listed_at >= self.window:
            state.listed = None
        if state.listing is None and state.listed is None and loop.time() - state.last_ask >= self.window:
            if self._states.get(key) is state:
                del self._states[key]
        elif state.listing is None:
            loop.call_later(self.window, self._forget_if_idle, key, state)
