"""The OpenAPI v3 documents kubectl reads before ``apply`` (and ``create``/``replace``).

kubectl validates what it sends (``--validate=strict`` by default). It first asks the server's
OpenAPI v3 document whether the kind's PATCH takes the ``fieldValidation`` query parameter; if so,
it leaves validation to the server. Otherwise it validates on the client with the OpenAPI v2
document, which it only reads as protobuf. So each served group/version gets a document with a
PATCH operation per kind that declares ``fieldValidation``; the emulator then refuses fields a CRD does
not declare when kubectl asks for ``fieldValidation=Strict`` (built-in kinds are not checked).
The PATCH declares no strategic-merge body, so kubectl computes JSON merge patches for custom
resources and falls back to its compiled-in types for built-in kinds, as against a CRD server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from .kube_resources import ResourceSpec

Obj = dict[str, Any]
_INFO = {"title": "Kubernetes", "version": "v1.32.0"}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def group_version_docs(specs: Iterable[ResourceSpec]) -> dict[str, Obj]:
    """{"apis/group/version": OpenAPI v3 document} for every group/version served."""
    docs: dict[str, Obj] = {}
    for spec in specs:
        doc = docs.setdefault(_gv_path(spec.group, spec.version),
                              {"openapi": "3.0.0", "info": _INFO, "paths": {}, "components": {"schemas": {}}})
        if "patch" not in spec.verbs:
            continue
        template = spec.url("{namespace}" if spec.namespaced else None, "{name}")
        doc["paths"][template] = {"patch": {
            "operationId": f"patch{spec.kind}",
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": spec.group, "version": spec.version, "kind": spec.kind},
            "parameters": [
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
                {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            ],
            "responses": {"200": {"description": "OK"}},
        }}
    return docs


def root(docs: dict[str, Obj]) -> Obj:
    """The /openapi/v3 index: each group/version's document URL, with a hash that changes with it."""
    paths = {}
    for path, doc in sorted(docs.items()):
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32].upper()
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}
