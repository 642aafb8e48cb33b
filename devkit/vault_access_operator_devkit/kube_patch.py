"""JSON merge patches (RFC 7386) and JSON patches (RFC 6902) on stored objects, as the API server applies them.

Stored objects are never changed in place: a patch builds a new object that shares what it does not change.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from .kube_objects import Obj, conflict, error


def apply_patch(current: Obj, data: Any, content_type: str) -> Obj:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json-patch+json" and isinstance(data, list):
        try:
            return json_patch(current, data)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as e:
            raise error(422, "Invalid", f"the server rejected our request due to an error in our request: {e}") from e
    if kind in ("application/merge-patch+json", "application/strategic-merge-patch+json") and isinstance(data, dict):
        meta = data.get("metadata") or {}
        expected = meta.get("resourceVersion")
        if expected is not None and expected != current["metadata"]["resourceVersion"]:
            raise conflict(current)
        return merge_patch(current, data)  # type: ignore[no-any-return]
    raise error(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (null deletes; non-dicts replace wholesale)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(current: Obj, operations: list[Any]) -> Obj:
    """RFC 6902 on a stored object, which is never changed in place, without deep-copying it.

    Before each operation, the containers on the path it changes are copied (shallowly), so everything
    else stays shared with ``current``: a deep copy of the object dominated the cost of a status write
    (bench/README.md).
    """
    doc: Any = current
    for operation in operations:
        doc = _own_path(doc, operation)
        doc = jsonpatch.JsonPatch([operation]).apply(doc, in_place=True)
    return doc  # type: ignore[no-any-return]


def _own_path(doc: Any, operation: Any) -> Any:
    """A shallow copy of ``doc`` with its own copy of every container down to the parent of each changed path."""
    if not isinstance(operation, dict) or operation.get("op") == "test":
        return doc
    changed = [operation.get("path"), operation.get("from") if operation.get("op") == "move" else None]
    root = copy.copy(doc)
    for pointer in changed:
        if not isinstance(pointer, str):
            continue  # none, or not a pointer: jsonpatch reports the latter
        node = root
        for part in jsonpointer.JsonPointer(pointer).parts[:-1]:
            key: Any = int(part) if isinstance(node, list) and part.isdigit() else part
            try:
                child = node[key]
            except (KeyError, IndexError, TypeError):
                break  # jsonpatch reports the bad path
            if not isinstance(child, (dict, list)):
                break
            copied = copy.copy(child)
            node[key] = copied
            node = copied
    return root
