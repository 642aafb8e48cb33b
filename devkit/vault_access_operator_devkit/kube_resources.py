"""The resources served by the fake Kubernetes API (discovery data + URL building)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import kmock
from kmock._internal import parsing

VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceSpec:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = field(default=VERBS)
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @functools.cached_property  # looked up on every request: build it once
    def resource(self) -> kmock.resource:
        return kmock.resource(self.group, self.version, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def url(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        parts = [base, self.plural] + ([name] if name else []) + ([subresource] if subresource else [])
        return "/".join(parts)

    def aliases(self) -> set[str]:
        singular = self.kind.lower()
        names = {self.plural, singular, self.kind, f"{self.api_version}/{self.plural}"}
        return names | {f"{n}.{self.group}" for n in (self.plural, singular) if self.group}


VAULTCONNECTIONS = ResourceSpec("vault.platform.io", "v1alpha1", "vaultconnections", "VaultConnection",
                                namespaced=False, subresources=("status",))

VAULTPOLICIES = ResourceSpec("vault.platform.io", "v1alpha1", "vaultpolicies", "VaultPolicy",
                             namespaced=True, subresources=("status",), short_names=("vp",))
VAULTCLUSTERPOLICIES = ResourceSpec("vault.platform.io", "v1alpha1", "vaultclusterpolicies", "VaultClusterPolicy",
                                    namespaced=False, subresources=("status",), short_names=("vcp",))
VAULTKVSECRETS = ResourceSpec("vault.platform.io", "v1alpha1", "vaultkvsecrets", "VaultKVSecret",
                              namespaced=True, subresources=("status",), short_names=("vks",))

VAULTROLES = ResourceSpec("vault.platform.io", "v1alpha1", "vaultroles", "VaultRole",
                          namespaced=True, subresources=("status",), short_names=("vr",))
VAULTCLUSTERROLES = ResourceSpec("vault.platform.io", "v1alpha1", "vaultclusterroles", "VaultClusterRole",
                                 namespaced=False, subresources=("status",), short_names=("vcr",))

CRDS = ResourceSpec("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
                    namespaced=False, subresources=("status",), short_names=("crd", "crds"))

DEFAULT_RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec("", "v1", "namespaces", "Namespace", namespaced=False, subresources=("status",),
                 short_names=("ns",)),
    ResourceSpec("", "v1", "secrets", "Secret", namespaced=True),
    ResourceSpec("", "v1", "configmaps", "ConfigMap", namespaced=True, short_names=("cm",)),
    ResourceSpec("", "v1", "serviceaccounts", "ServiceAccount", namespaced=True, subresources=("token",),
                 short_names=("sa",)),
    ResourceSpec("", "v1", "events", "Event", namespaced=True, short_names=("ev",)),
    ResourceSpec("coordination.k8s.io", "v1", "leases", "Lease", namespaced=True),
    VAULTCONNECTIONS,
    VAULTPOLICIES,
    VAULTCLUSTERPOLICIES,
    VAULTROLES,
    VAULTCLUSTERROLES,
    VAULTKVSECRETS,
    CRDS,  # applying one serves its kinds (kube_crds)
    # kopf's peering resources: served so that kopf without --standalone does not choke.
    ResourceSpec("kopf.dev", "v1", "clusterkopfpeerings", "ClusterKopfPeering", namespaced=False),
    ResourceSpec("kopf.dev", "v1", "kopfpeerings", "KopfPeering", namespaced=True),
    ResourceSpec("authentication.k8s.io", "v1", "tokenreviews", "TokenReview",
                 namespaced=False, verbs=("create",)),
)


def declare(emulator: kmock.KubernetesEmulator, spec: ResourceSpec) -> None:
    """Make a resource discoverable (APIResourceList etc.) in kmock."""
    emulator.resources[spec.resource] = kmock.ResourceInfo(
        kind=spec.kind, singular=spec.kind.lower(), namespaced=spec.namespaced,
        verbs=set(spec.verbs), subresources=set(spec.subresources), shortnames=set(spec.short_names),
    )


def _parse_path(path: str, _original: Any = parsing.parse_path) -> parsing.ParsedPath:
    # kmock 0.8 bug: it always reads "/api/v1/namespaces/X" as "namespace X", so Namespace
    # objects are unaddressable and "/api/v1/namespaces" (list/create) raises ValueError -> 500.
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "namespaces"] and (
            len(parts) <= 4 or (len(parts) == 5 and parts[4] in ("status", "finalize"))):
        return parsing.ParsedPath(group="", version="v1", plural="namespaces", namespace=None,
                                  name=parts[3] if len(parts) > 3 else None,
                                  subresource=parts[4] if len(parts) > 4 else None)
    return _original(path)  # type: ignore[no-any-return]


if getattr(parsing.parse_path, "__name__", "") != "_parse_path":
    parsing.parse_path = _parse_path  # process-wide, but only fixes the case above
