"""CustomResourceDefinitions: what serving one means for the emulator.

Applying a CRD (``kubectl apply -f crds.yaml``) makes each served version a resource of its own,
with its printer columns, and marks the CRD Established at once (no controller to wait for).
"""

from __future__ import annotations

from typing import Any

from .kube_objects import error, now_ts
from .kube_resources import ResourceSpec

Obj = dict[str, Any]


def served(crd: Obj) -> list[tuple[ResourceSpec, list[Obj]]]:
    """Each served version's resource and its ``additionalPrinterColumns``; 422 on a malformed CRD."""
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
        result.append((resource, list(version.get("additionalPrinterColumns") or [])))
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
