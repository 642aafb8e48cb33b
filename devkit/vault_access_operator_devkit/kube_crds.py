"""CustomResourceDefinitions: what serving one means for the emulator.

Applying a CRD (``kubectl apply -f crds.yaml``) makes each served version a resource of its own,
with its printer columns, and marks the CRD Established at once (no controller to wait for).
"""

from __future__ import annotations

from typing import Any

from .kube_objects import error, now_ts
from .kube_resources import ResourceSpec

Obj = dict[str, Any]


def served(crd: Obj) -> list[tuple[ResourceSpec, Obj]]:
    """Each served version's resource and its entry in ``spec.versions``; 422 on a malformed CRD."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not (group and plural and kind):
        raise error(422, "Invalid", "CustomResourceDefinition is invalid: spec.group, spec.names.plural and "
                    "spec.names.kind are required")
    expected = f"{plural}.{group}"
    if crd["metadata"]["name"] != expected:
        raise error(422, "Invalid", f'CustomResourceDefinition.apiextensions.k8s.io "{crd["metadata"]["name"]}" '
                    f'is invalid: metadata.name: Invalid value: must be spec.names.plural+"."+spec.group: {expected}')
    result = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = tuple(name for name in ("status", "scale") if name in (version.get("subresources") or {}))
        resource = ResourceSpec(group, version["name"], plural, kind,
                                namespaced=spec.get("scope", "Namespaced") == "Namespaced", subresources=subresources,
                                short_names=tuple(names.get("shortNames") or ()))
        result.append((resource, version))
    return result


def established(crd: Obj) -> Obj:
    """The status kube-apiserver's CRD controllers write once the names are accepted and served."""
    spec = crd.get("spec") or {}
    now = now_ts()
    conditions = [
        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
         "message": "no conflicts found", "lastTransitionTime": now},
        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
         "message": "the initial names have been accepted", "lastTransitionTime": now},
    ]
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    return {"conditions": conditions, "acceptedNames": spec.get("names") or {}, "storedVersions": stored}


def unknown_fields(value: Any, schema: Any, path: str = "") -> list[str]:
    """Paths in ``value`` that a CRD's structural schema does not declare (what fieldValidation=Strict refuses;
    without it kube-apiserver prunes them). ``metadata`` is the API server's, not the schema's."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        declared, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if not path and key in ("apiVersion", "kind", "metadata"):
                continue
            if declared is not None and key in declared:
                found += unknown_fields(item, declared[key], where)
            elif isinstance(extra, dict):
                found += unknown_fields(item, extra, where)
            elif declared is not None and not extra:
                found.append(where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += unknown_fields(item, schema.get("items"), f"{path}[{index}]")
    return found
