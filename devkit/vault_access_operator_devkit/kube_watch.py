"""List/watch with resourceVersion semantics, replacing kmock's (which ignores resourceVersion).

kmock's own watch always re-sends every existing object as ADDED (so kopf sees them twice:
once from the LIST, once from the WATCH), and it can miss events that happen between its
snapshot and its subscription. Here: every write gets a global resourceVersion and is logged;
a watch with ?resourceVersion=N replays the log after N, then streams live events.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import kmock

from . import kube_objects as ko
from .kube_index import LiveIndex, resource_key

if TYPE_CHECKING:
    from .kube_resources import ResourceSpec

MAX_LOG = 20000  # older resourceVersions answer "410 Gone", as etcd compaction would
log = logging.getLogger(__name__)
# What a watch stream would carry, for an observer in the same process that must not cost the emulator a
# stream of its own (a benchmark's status watcher, say). Objects are shared: never change them.
Observer = Callable[["ResourceSpec", dict[str, Any]], None]


def encode(obj: Any) -> bytes:
    """Compact JSON: what watch lines and write responses carry."""
    return json.dumps(obj, separators=(",", ":")).encode()


class Published:
    """A watch event, serialised once for every watcher (as the API server's watch cache does).

    ``body`` is the object's JSON, which the write's response carries too: one encoding of the object per write,
    not one for the response and another for the watchers."""

    __slots__ = ("body", "event", "line")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.body = encode(event["object"])
        self.line = b'{"type":' + encode(event["type"]) + b',"object":' + self.body + b"}\n"


class StreamsClosed(Exception):
    """Pushed into the buses at shutdown so that open watch responses end at once."""


class WatchMixin:
    __slots__ = ()
    # Provided by KubeEmulator / kmock.KubernetesEmulator:
    _lock: asyncio.Lock
    _objects: kmock.ObjectsArray
    _live: LiveIndex  # the committed objects by resource and namespace: what lists and GETs read
    _buses: dict[Any, kmock.Bus[Any]]
    _rv: int
    _log: list[tuple[int, Any, Published]]
    _compacted: int  # watches from a resourceVersion older than this get "410 Gone"
    expired_watches: int  # how many got it
    observers: list[Observer]  # called in the emulator's thread with every event it publishes

    def spec_of(self, resource: kmock.resource | None) -> ResourceSpec | None:
        raise NotImplementedError

    def next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    async def publish(self, spec: ResourceSpec, event: dict[str, Any]) -> Published:
        """Log + broadcast an event. Call with self._lock held (keeps the log and buses in step)."""
        rv = int(event["object"]["metadata"]["resourceVersion"])
        published = Published(event)
        self._log.append((rv, spec.resource, published))
        if len(self._log) > MAX_LOG:
            self._compacted = self._log[-MAX_LOG][0] - 1
            del self._log[:-MAX_LOG]
        await self._buses[spec.resource].put(published)
        for observer in tuple(self.observers):
            try:
                observer(spec, event)
            except Exception:  # an observer's bug must not fail the write that published the event
                log.exception("watch observer %r failed", observer)
        return published

    async def compact(self) -> None:
        """Forget every logged event, as etcd compaction does: watches resuming from any resourceVersion
        seen so far get "410 Gone" and must list again."""
        async with self._lock:
            self._compacted = self._rv
            self._log.clear()

    async def close_streams(self) -> None:
        for bus in list(self._buses.values()):
            await bus.put(StreamsClosed)

    def _selected(self, request: kmock.Request, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata", {})
        if request.namespace is not None and meta.get("namespace") != request.namespace:
            return False
        if request.name is not None and meta.get("name") != request.name:
            return False
        return ko.matches_selectors(obj, request.params.get("labelSelector"), request.params.get("fieldSelector"))

    # Stored objects are never changed in place (see KubeEmulator.stored): reads serialise them as they are.
    def _current(self, request: kmock.Request) -> list[dict[str, Any]]:
        spec = self.spec_of(request.resource)
        if spec is None:
            return []
        live = self._live.objects(resource_key(spec.resource), request.namespace)
        return sorted((obj for obj in live if self._selected(request, obj)), key=_sort_key)

    async def _serve_list(self, request: kmock.Request) -> dict[str, Any]:
        spec = self.spec_of(request.resource)
        if spec is None:
            raise kmock.KubernetesResourceNotFoundError()
        async with self._lock:
            items, rv = self._current(request), str(self._rv)
        meta: dict[str, Any] = {"resourceVersion": rv}
        limit = request.params.get("limit", "")
        if limit.isdigit() and int(limit) > 0:  # a list in chunks (kopf's settings.watching.chunk_size, kubectl)
            items, meta = _chunk(items, rv, int(limit), request.params.get("continue", ""))
        return {"apiVersion": spec.api_version, "kind": f"{spec.kind}List", "metadata": meta, "items": items}

    async def _serve_fetch(self, request: kmock.Request) -> dict[str, Any]:
        spec = self.spec_of(request.resource)
        if spec is None or request.name is None:
            raise kmock.KubernetesResourceNotFoundError()
        obj = self._live.get(resource_key(spec.resource), request.namespace if spec.namespaced else None,
                             request.name)
        if obj is None:
            raise ko.not_found(spec, request.name)
        return obj

    def _initial(self, request: kmock.Request, spec: ResourceSpec) -> list[dict[str, Any] | bytes]:
        since = request.params.get("resourceVersion", "")
        if since.isdigit() and int(since) > 0:
            if int(since) < self._compacted:
                self.expired_watches += 1
                gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                        "code": 410, "reason": "Expired", "message": "too old resource version"}
                return [{"type": "ERROR", "object": gone}]
            after = bisect.bisect_right(self._log, int(since), key=_logged_rv)  # the log is in resourceVersion order
            return [ev.line for _, res, ev in self._log[after:]
                    if (res is spec.resource or res == spec.resource) and self._selected(request, ev.event["object"])]
        events: list[dict[str, Any] | bytes] = [{"type": "ADDED", "object": obj} for obj in self._current(request)]
        if request.params.get("sendInitialEvents") == "true":
            events.append({"type": "BOOKMARK", "object": {
                "kind": spec.kind, "apiVersion": spec.api_version,
                "metadata": {"resourceVersion": str(self._rv), "annotations": {"k8s.io/initial-events-end": "true"}}}})
        return events

    async def _serve_watch(self, request: kmock.Request) -> AsyncIterator[Any]:
        yield b""  # makes kmock send the headers now (as kmock's own watch does)
        spec = self.spec_of(request.resource)
        if spec is None:
            return
        bus = self._buses[spec.resource]
        async with self._lock:  # writers hold it too: no event falls between snapshot and mark
            marker = await bus.mark()
            initial = self._initial(request, spec)
        timeout = float(request.params.get("timeoutSeconds") or 0) or None
        deadline = asyncio.get_running_loop().time() + timeout if timeout else None
        stream = bus.stream(since=marker)
        try:
            for event in initial:
                yield event
            while True:
                left = None if deadline is None else deadline - asyncio.get_running_loop().time()
                if left is not None and left <= 0:
                    return
                try:
                    event = await asyncio.wait_for(anext(stream), left)
                except (TimeoutError, StreamsClosed, StopAsyncIteration):
                    return
                if self._selected(request, event.event["object"]):
                    yield event.line
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
            with contextlib.suppress(Exception):
                await bus.unmark(marker)


def _logged_rv(entry: tuple[int, Any, Published]) -> int:
    return entry[0]


def _sort_key(obj: dict[str, Any]) -> list[str]:
    return [obj["metadata"].get("namespace") or "", obj["metadata"]["name"]]


def _chunk(items: list[dict[str, Any]], rv: str, limit: int, token: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Up to ``limit`` items after the ``continue`` token, and the list's metadata (a token if more follow).

    The token holds the first chunk's resourceVersion, which every chunk reports (a watch from it replays what
    changed meanwhile), and the last item's sort key: a chunk starts where the previous one ended even when
    objects come and go in between (a real API server serves all chunks from one snapshot; the emulator from now).
    """
    if token:
        rv, *start = json.loads(token)
        items = [item for item in items if _sort_key(item) > start]
    meta: dict[str, Any] = {"resourceVersion": rv}
    if len(items) > limit:
        items = items[:limit]
        meta["continue"] = json.dumps([rv, *_sort_key(items[-1])])
    return items, meta
