"""What kubectl needs from an API server beyond kopf's needs: OpenAPI, Tables, CRDs, JSON watches.

Checked against Debian's kubectl 1.32: ``apply`` reads /openapi/v3 (kube_openapi), ``get`` asks for
a meta.k8s.io/v1 Table (kube_table), ``apply`` of a CRD makes its kind served (kube_crds), and
``wait`` / ``get -w`` refuse a watch stream whose Content-Type is not application/json.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp.web
import kmock

from . import kube_crds, kube_openapi, kube_table
from .kube_auth_api import json_response
from .kube_objects import error

if TYPE_CHECKING:
    from .kube_resources import ResourceSpec

Obj = dict[str, Any]
WATCH_HEADERS = {"Content-Type": "application/json"}


class KubectlMixin:
    __slots__ = ()
    # Provided by KubeEmulator / kmock.KubernetesEmulator:
    specs: dict[tuple[str, str, str], ResourceSpec]
    printer: dict[tuple[str, str, str], list[kube_table.Column]]
    schemas: dict[tuple[str, str, str], Obj]  # a CRD-defined kind's openAPIV3Schema
    _lock: asyncio.Lock
    _rv: int
    if TYPE_CHECKING:  # declared only for type checkers: a body here would shadow the real ones in the MRO
        def add_resource(self, spec: ResourceSpec) -> None: ...
        def _current(self, request: kmock.Request) -> list[Obj]: ...
        async def _serve_fetch(self, request: kmock.Request) -> Obj: ...
        def _serve_watch(self, request: kmock.Request) -> AsyncIterator[Any]: ...

    async def _serve_version(self, request: kmock.Request) -> Obj:
        # kmock names the core group "/v1", so kubectl finds no core kind ("no resource type secrets"); and
        # it lists a subresource ("x/status") with its resource's short names, so kubectl warns that "crds"
        # is ambiguous: a real APIResourceList says "v1" and gives subresources no short names.
        listing: Obj = await super()._serve_version(request)  # type: ignore[misc]
        listing["groupVersion"] = listing["groupVersion"].lstrip("/")
        for resource in listing["resources"]:
            if "/" in resource["name"]:
                resource["shortNames"], resource["categories"] = [], []
        return listing

    # -- OpenAPI --------------------------------------------------------------------------
    def _openapi(self, request: kmock.Request) -> aiohttp.web.Response | None:
        path = request.url.path.rstrip("/")
        if request.method != "GET" or not path.startswith("/openapi/"):
            return None
        docs = kube_openapi.group_version_docs(self.specs.values())
        if path == "/openapi/v3":
            return json_response(kube_openapi.root(docs))
        doc = docs.get(path.removeprefix("/openapi/v3/"))
        if doc is None:  # /openapi/v2 too: kubectl reads it only as protobuf, and needs it not when v3 answers
            return json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                  "reason": "NotFound", "message": f"no OpenAPI document at {path}"}, 404)
        return json_response(doc)

    # -- CustomResourceDefinitions --------------------------------------------------------
    def serve_crd(self, crd: Obj) -> None:
        """Serve the kinds a CRD defines (call with the lock held, before storing it)."""
        for spec, version in kube_crds.served(crd):
            self.add_resource(spec)
            key = (spec.group, spec.version, spec.plural)
            self.printer[key] = kube_table.printer_columns(version.get("additionalPrinterColumns") or [])
            self.schemas[key] = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        if not crd.get("status"):
            crd["status"] = kube_crds.established(crd)

    def check_fields(self, spec: ResourceSpec, request: kmock.Request, obj: Obj) -> None:
        """fieldValidation=Strict (what kubectl sends, see kube_openapi): refuse fields the CRD does not declare."""
        schema = self.schemas.get((spec.group, spec.version, spec.plural))
        if schema is None or request.params.get("fieldValidation") != "Strict":
            return
        if unknown := kube_crds.unknown_fields(obj, schema):
            raise error(400, "BadRequest", f"{spec.kind} in version \"{spec.version}\" cannot be handled as a "
                        f"{spec.kind}: strict decoding error: "
                        + ", ".join(f'unknown field "{path}"' for path in unknown))

    # -- Tables ----------------------------------------------------------------------------
    def _columns(self, spec: ResourceSpec) -> list[kube_table.Column]:
        key = (spec.group, spec.version, spec.plural)
        return self.printer.get(key) or kube_table.BUILT_IN.get(spec.plural) or [kube_table.NAME, kube_table.AGE]

    def _table(self, spec: ResourceSpec, request: kmock.Request, objects: list[Obj], rv: str) -> Obj:
        include = request.params.get("includeObject") or "Metadata"
        return kube_table.table(self._columns(spec), objects, rv, include)

    async def _table_read(self, spec: ResourceSpec, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if request.action == kmock.action.WATCH:
            stream = self._table_watch(spec, request)
            return await kmock.Response(payload=stream, headers=WATCH_HEADERS)(request)
        if request.action == kmock.action.FETCH:
            obj = await self._serve_fetch(request)
            return json_response(self._table(spec, request, [obj], obj["metadata"]["resourceVersion"]))
        async with self._lock:
            objects, rv = self._current(request), str(self._rv)
        return json_response(self._table(spec, request, objects, rv))

    async def _table_watch(self, spec: ResourceSpec, request: kmock.Request) -> AsyncIterator[Any]:
        # Each event carries a one-row Table (as kube-apiserver sends to `kubectl get -w`).
        async for item in self._serve_watch(request):
            event = json.loads(item) if isinstance(item, bytes) and item.strip() else item
            if isinstance(event, dict) and event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                obj = event["object"]
                event = {"type": event["type"],
                         "object": self._table(spec, request, [obj], obj["metadata"]["resourceVersion"])}
            yield event
