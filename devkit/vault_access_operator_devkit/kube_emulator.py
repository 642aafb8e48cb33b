"""kmock.KubernetesEmulator with the API-server behaviour kopf and the operator rely on.

kmock provides the HTTP server, discovery, request parsing, object storage and GETs.
This subclass takes over writes (create/patch/put/delete) and list/watch so that:
objects get uid/resourceVersion/generation; the status subresource is honoured; JSON-patch
`test` failures give 422 (kopf needs this); finalizers block deletion; watches honour
resourceVersion (no duplicate ADDED events); and the TokenRequest/TokenReview endpoints exist.
What kubectl needs besides (OpenAPI, Tables, CRDs, JSON watch streams) is in kube_kubectl.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from typing import Any

import aiohttp.web
import attrs
import kmock

from . import kube_objects as ko
from .kube_auth_api import AuthAPIMixin, encoded_response, json_response
from .kube_index import LiveIndex, resource_key
from .kube_kubectl import WATCH_HEADERS, KubectlMixin
from .kube_patch import apply_patch
from .kube_resources import CRDS, DEFAULT_RESOURCES, ResourceSpec, declare
from .kube_table import Column, wants_table
from .kube_tokens import TokenAuthority
from .kube_watch import Observer, Published, WatchMixin

Key = tuple[kmock.resource, str | None, str]
_SA = next(s for s in DEFAULT_RESOURCES if s.plural == "serviceaccounts")
_NS = next(s for s in DEFAULT_RESOURCES if s.plural == "namespaces")
# kmock finds a request's reaction by testing `request in view` for each registered one, which walks
# the whole request history: O(requests so far) per request, which dominated the emulator's CPU in the
# benchmarks (bench/README.md).
# Reads and discovery go straight to the fallbacks kmock would pick (no test adds reactions of its
# own); the history is still recorded.
_READS = {kmock.action.LIST: "_serve_list", kmock.action.WATCH: "_serve_watch", kmock.action.FETCH: "_serve_fetch"}
_DISCOVERY = ((re.compile(r"/"), "_serve_root"), (re.compile(r"/version"), "_serve_server_version"),
              (re.compile(r"/api"), "_serve_api"), (re.compile(r"/apis"), "_serve_apis"),
              (re.compile(r"/apis/[^/]+/[^/]+"), "_serve_version"), (re.compile(r"/apis/[^/]+"), "_serve_group"),
              (re.compile(r"/api/[^/]+"), "_serve_version"))


def _own_copy(request: kmock.Request) -> dict[str, Any]:
    """A copy of a create's body for the new object (kmock keeps ``request.data`` in its request history).

    Parsed again from the JSON text when it came as JSON: a third of the cost of a deep copy, which took a tenth of
    the emulator's CPU in bench.access_sync (one Event created per object synced)."""
    if request.text:  # kmock's request.data is json.loads of this very text when it is JSON
        with contextlib.suppress(ValueError):
            parsed = json.loads(request.text)
            if isinstance(parsed, dict):
                return parsed
    return copy.deepcopy(request.data)  # type: ignore[no-any-return]


@attrs.frozen
class _InjectedFailure(kmock.KubernetesError):
    headers: dict[str, str] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class KubeEmulator(KubectlMixin, WatchMixin, AuthAPIMixin, kmock.KubernetesEmulator):
    tokens: TokenAuthority = attrs.field(factory=TokenAuthority)
    specs: dict[tuple[str, str, str], ResourceSpec] = attrs.field(factory=dict)
    printer: dict[tuple[str, str, str], list[Column]] = attrs.field(factory=dict, init=False)
    schemas: dict[tuple[str, str, str], dict[str, Any]] = attrs.field(factory=dict, init=False)
    _rv: int = attrs.field(default=0, init=False)
    _log: list[tuple[int, Any, Published]] = attrs.field(factory=list, init=False)
    _compacted: int = attrs.field(default=0, init=False)
    _live: LiveIndex = attrs.field(factory=LiveIndex, init=False)  # what lists and GETs read (kube_index)
    expired_watches: int = attrs.field(default=0, init=False)
    observers: list[Observer] = attrs.field(factory=list, init=False)
    _faults: list[list[Any]] = attrs.field(factory=list, init=False)
    _faults_lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for spec in DEFAULT_RESOURCES:
            self.add_resource(spec)

    def add_resource(self, spec: ResourceSpec) -> None:
        self.specs[(spec.group, spec.version, spec.plural)] = spec
        declare(self, spec)

    def spec_of(self, resource: kmock.resource | None) -> ResourceSpec | None:
        if resource is None:
            return None
        return self.specs.get((resource.group or "", resource.version or "", resource.plural or ""))

    def inject_failure(self, method: str, path_regex: str, status: int = 500, times: int = 1,
                       headers: dict[str, str] | None = None) -> None:
        """The next `times` requests matching METHOD + path regex fail with `status` (and `headers`)."""
        with self._faults_lock:
            self._faults.append([method.upper(), re.compile(path_regex), status, times, headers or {}])

    def clear_failures(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _check_faults(self, request: kmock.Request) -> None:
        with self._faults_lock:
            for fault in self._faults:
                method, regex, status, left, headers = fault
                if left > 0 and method in ("*", request.method) and regex.search(request.url.path):
                    fault[3] -= 1
                    raise _InjectedFailure(status=status, reason="InjectedFailure", headers=headers,
                                           message=f"injected failure ({status})", details={"causes": []})

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        response = await super()._render_error(exc)
        if isinstance(exc, _InjectedFailure):
            response.headers.update(exc.headers)  # e.g. Retry-After on a 429
        return response

    # -- routing ----------------------------------------------------------------------
    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        self._check_faults(request)
        method = request.method
        if (discovery := self._issuer_discovery(request) or self._openapi(request)) is not None:
            return discovery
        spec = self.spec_of(request.resource)
        if spec is None:
            return await self._serve_directly(self._discovery(request), request)
        if spec.plural == "tokenreviews" and method == "POST":
            return await self._token_review(request)
        if spec == _SA and method == "POST" and request.subresource == "token":
            return await self._token_request(request)
        if method == "POST" and request.name is None:
            return await self._create(spec, request)
        if method in ("PATCH", "PUT") and request.name is not None:
            return await self._update(spec, request, replace=(method == "PUT"))
        if method == "DELETE" and request.name is not None and request.subresource is None:
            return await self._delete(spec, request)
        if request.action in _READS and wants_table(request.headers):
            return await self._table_read(spec, request)
        return await self._serve_directly(_READS.get(request.action) if request.action else None, request)

    def _discovery(self, request: kmock.Request) -> str | None:
        if request.method != "GET":
            return None
        return next((serve for pattern, serve in _DISCOVERY if pattern.fullmatch(request.url.path)), None)

    async def _serve_directly(self, serve: str | None, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if serve is None:
            return await super()._handle(request)  # kmock's own matching (and its 404)
        headers = WATCH_HEADERS if serve == "_serve_watch" else None  # kmock's default is octet-stream
        return await kmock.Response(payload=getattr(self, serve), headers=headers)(request)

    # -- storage primitives (call with self._lock held) ----------------------------------
    # A committed object is never changed in place (each write commits a new dict), so readers
    # that only serialise it share it; `live` copies for callers that modify what they get.
    def stored(self, key: Key) -> dict[str, Any] | None:
        return self._live.get(resource_key(key[0]), key[1], key[2])

    def live(self, key: Key) -> dict[str, Any] | None:
        obj = self.stored(key)
        return None if obj is None else copy.deepcopy(obj)

    def sa_uid(self, namespace: str, name: str) -> str | None:
        obj = self.stored((_SA.resource, namespace, name))
        return obj["metadata"]["uid"] if obj else None

    async def _commit(self, spec: ResourceSpec, key: Key, kind: str, obj: dict[str, Any]) -> Published:
        """Store ``obj`` (the caller must not change it afterwards) and publish its watch event."""
        obj["metadata"]["resourceVersion"] = self.next_rv()
        if kind == "DELETED":
            self._objects[key].delete()
            self._live.remove(resource_key(key[0]), key[1], key[2])
        else:
            if key in self._objects:
                self._objects[key].create(obj)  # appends a version to kmock's history
            else:
                self._objects[key] = obj
            self._live.put(resource_key(key[0]), key[1], key[2], obj)
        return await self.publish(spec, {"type": kind, "object": obj})

    # -- writes -------------------------------------------------------------------------
    async def _create(self, spec: ResourceSpec, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if not isinstance(request.data, dict):
            raise ko.bad_body(request.headers)
        namespace = None
        if spec.namespaced:
            namespace = request.namespace or request.data.get("metadata", {}).get("namespace") or "default"
        async with self._lock:
            if namespace is not None and self.stored((_NS.resource, None, namespace)) is None:
                raise ko.not_found(_NS, namespace)
            obj = ko.new_object(spec, namespace, _own_copy(request))
            key = (spec.resource, namespace, obj["metadata"]["name"])
            if self.stored(key) is not None:
                name = obj["metadata"]["name"]
                raise ko.error(409, "AlreadyExists", f'{spec.plural} "{name}" already exists',
                               name=name, kind=spec.plural)
            self.check_fields(spec, request, obj)
            if spec == CRDS:
                self.serve_crd(obj)
            published = await self._commit(spec, key, "ADDED", obj)
        return encoded_response(published.body, 201)

    async def _update(self, spec: ResourceSpec, request: kmock.Request, replace: bool) -> aiohttp.web.StreamResponse:
        sub = request.subresource
        if sub not in (None, "status") or (sub == "status" and not spec.has_status):
            raise ko.error(404, "NotFound", f"the server could not find the requested resource ({sub})")
        assert request.name is not None
        key = (spec.resource, request.namespace if spec.namespaced else None, request.name)
        content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        async with self._lock:
            current = self.stored(key)  # read only: the patch helpers build a new object
            if current is None:
                raise ko.not_found(spec, request.name)
            if replace:
                if not isinstance(request.data, dict):
                    raise ko.bad_body(request.headers)
                expected = request.data.get("metadata", {}).get("resourceVersion")
                if expected and expected != current["metadata"]["resourceVersion"]:
                    raise ko.conflict(current)
                new = ko.settle_update(spec, current, request.data, sub)
            else:
                new = ko.settle_update(spec, current, apply_patch(current, request.data, content_type), sub)
            self.check_fields(spec, request, new)
            if spec == CRDS and sub is None:
                self.serve_crd(new)
            if ko.same_content(current, new):
                return json_response(current)  # a no-op write: no new resourceVersion, no watch event
            published = await self._commit(spec, key, "MODIFIED", new)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                await self._commit(spec, key, "DELETED", copy.deepcopy(new))
        return encoded_response(published.body)

    async def _delete(self, spec: ResourceSpec, request: kmock.Request) -> aiohttp.web.StreamResponse:
        assert request.name is not None
        key = (spec.resource, request.namespace if spec.namespaced else None, request.name)
        async with self._lock:
            current = self.live(key)
            if current is None:
                raise ko.not_found(spec, request.name)
            result = await self._delete_locked(spec, key, current)
        return json_response(result)

    async def _delete_locked(self, spec: ResourceSpec, key: Key, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        if meta.get("finalizers"):  # soft-delete: wait until the finalizers are removed
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"], meta["deletionGracePeriodSeconds"] = ko.now_ts(), 0
                await self._commit(spec, key, "MODIFIED", obj)
            return obj
        if spec == _NS:  # simplified namespace cascade: delete (or soft-delete) everything inside
            for resource, name, stored in self._live.in_namespace(key[2]):
                inner = self.specs.get(resource)
                if inner is not None:
                    await self._delete_locked(inner, (inner.resource, key[2], name), copy.deepcopy(stored))
        await self._commit(spec, key, "DELETED", obj)
        return obj
