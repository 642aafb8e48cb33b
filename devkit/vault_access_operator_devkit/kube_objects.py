"""Pure helpers that give stored objects the API-server semantics kmock leaves out.

kmock stores whatever JSON it gets; a real API server also assigns uid/creationTimestamp/
resourceVersion/generation, converts Secret stringData, honours the status subresource,
fails JSON-patch `test` ops with 422, and refuses conflicting resourceVersions with 409.
"""

from __future__ import annotations

import base64
import copy
import datetime
import secrets
import uuid
from typing import Any

import kmock

from .kube_resources import ResourceSpec

Obj = dict[str, Any]
_IMMUTABLE_META = ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                   "deletionGracePeriodSeconds", "generation", "resourceVersion")


def now_ts() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, reason: str, message: str, **details: Any) -> kmock.KubernetesError:
    # `details` must be non-empty, or kmock substitutes a traceback.
    return kmock.KubernetesError(status=status, reason=reason, message=message, details=details or {"causes": []})


def bad_body(headers: dict[str, str]) -> kmock.KubernetesError:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "protobuf" in content_type:  # `kubectl create <kind> ...` sends built-in kinds as protobuf
        return error(415, "UnsupportedMediaType", "this Kubernetes API emulator reads JSON and YAML only, not "
                     "protobuf: use `kubectl apply -f FILE` (or `kubectl create -f FILE`) instead")
    return error(400, "BadRequest", "the request body must be a JSON object")


def not_found(spec: ResourceSpec, name: str) -> kmock.KubernetesError:
    qualified = f"{spec.plural}.{spec.group}" if spec.group else spec.plural
    return error(404, "NotFound", f'{qualified} "{name}" not found', name=name, group=spec.group, kind=spec.plural)


def _normalise_secret(obj: Obj) -> None:
    # The API server folds stringData into base64 `data` and never stores stringData.
    string_data = obj.pop("stringData", None) or {}
    data = dict(obj.get("data") or {})
    data.update({k: base64.b64encode(v.encode()).decode() for k, v in string_data.items()})
    obj["data"] = data
    obj.setdefault("type", "Opaque")


def new_object(spec: ResourceSpec, namespace: str | None, body: Obj) -> Obj:
    """The object a create of ``body`` stores. ``body`` becomes part of it: pass a copy nobody else holds."""
    obj = body
    meta = obj.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
    if not meta.get("name"):
        raise error(422, "Invalid",
                    f"{spec.kind} is invalid: metadata.name: Required value: name or generateName is required")
    if spec.namespaced:
        if meta.get("namespace") not in (None, namespace):
            raise error(400, "BadRequest",
                        "the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "generation"):
        meta.pop(key, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_ts()
    if spec.has_status and spec.group:
        meta["generation"] = 1
        obj.pop("status", None)  # ignored on create when the status subresource is enabled
    obj["apiVersion"], obj["kind"] = spec.api_version, spec.kind
    if spec.plural == "secrets":
        _normalise_secret(obj)
    return obj


def conflict(current: Obj) -> kmock.KubernetesError:
    name = current["metadata"]["name"]
    return error(409, "Conflict", f'Operation cannot be fulfilled on "{name}": the object has been modified; '
                 "please apply your changes to the latest version and try again", name=name)


def settle_update(spec: ResourceSpec, current: Obj, new: Obj, subresource: str | None) -> Obj:
    """Keep server-owned fields; apply status-subresource and finalizer rules."""
    if subresource == "status":
        result = {**current, "metadata": dict(current["metadata"])}  # stored objects are never changed in place
        if "status" in new:
            result["status"] = new["status"]
        else:
            result.pop("status", None)
        return result
    result = copy.deepcopy(new)
    meta = result.setdefault("metadata", {})
    old_meta = current["metadata"]
    for key in _IMMUTABLE_META:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if spec.has_status:  # status changes through the main endpoint are ignored
        if "status" in current:
            result["status"] = current["status"]
        else:
            result.pop("status", None)
    if old_meta.get("deletionTimestamp"):
        added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        if added:
            raise error(422, "Invalid", f"metadata.finalizers: Forbidden: no new finalizers can be added "
                        f"if the object is being deleted, found new finalizers {sorted(added)}")
    if spec.plural == "secrets":
        _normalise_secret(result)
    if "generation" in old_meta and _content(result) != _content(current):
        meta["generation"] = old_meta["generation"] + 1
    return result


def _content(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def same_content(a: Obj, b: Obj) -> bool:
    """True if an update would be a no-op (the API server then emits no event, no new RV)."""
    strip = ("resourceVersion", "managedFields")
    ma = {k: v for k, v in a.get("metadata", {}).items() if k not in strip}
    mb = {k: v for k, v in b.get("metadata", {}).items() if k not in strip}
    rest_a = {k: v for k, v in a.items() if k != "metadata"}
    rest_b = {k: v for k, v in b.items() if k != "metadata"}
    return ma == mb and rest_a == rest_b


def matches_selectors(obj: Obj, label_selector: str | None, field_selector: str | None) -> bool:
    """Equality-based label selectors; field selectors on metadata.name/namespace and, for Events (as
    ``kubectl describe`` sends them), on involvedObject.*, reason and type. A missing field is ""."""
    meta = obj.get("metadata", {})
    labels = meta.get("labels") or {}
    fields = {"metadata.name": meta.get("name") or "", "metadata.namespace": meta.get("namespace") or ""}
    if obj.get("kind") == "Event":
        involved = obj.get("involvedObject") or {}
        fields |= {f"involvedObject.{key}": involved.get(key) or "" for key in
                   ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")}
        fields |= {"reason": obj.get("reason") or "", "type": obj.get("type") or ""}
    for term in filter(None, (label_selector or "").split(",")):
        if not _term_ok(term.strip(), labels):
            return False
    for term in filter(None, (field_selector or "").split(",")):
        if not _term_ok(term.strip(), fields):
            return False
    return True


def _term_ok(term: str, values: dict[str, Any]) -> bool:
    if "!=" in term:
        key, value = term.split("!=", 1)
        return values.get(key.strip()) != value.strip()
    if "=" in term:
        key, value = term.replace("==", "=").split("=", 1)
        return values.get(key.strip()) == value.strip()
    if term.startswith("!"):
        return values.get(term[1:]) is None
    return values.get(term) is not None
