"""The emulator's live objects, indexed by resource and namespace, beside kmock's storage.

kmock keeps every object with its whole history (``ObjectsArray``: each read builds wrappers and a copy); a LIST
walked all of it, every resource's objects and their Events included, to keep those of one resource in one
namespace. The operator lists one namespace at a time (``core/access/policy_reads.py``), so a restart with 10,000
access objects in 500 namespaces made the emulator walk 1,000 times 20,000 objects: the benchmark process then
sat at 0.9 of a core and the restart took three times as long (bench/README.md, session 9). Here a list reads
just the objects it returns, and a GET one dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]
#: (group, version, plural): the emulator's key of a resource (``KubeEmulator.specs``).
ResourceKey = tuple[str, str, str]


def resource_key(resource: Any) -> ResourceKey:
    """The key of a ``kmock.resource`` (its group, version, plural; "" for what it leaves out)."""
    return resource.group or "", resource.version or "", resource.plural or ""


class LiveIndex:
    """The committed (not deleted) version of every object: resource -> namespace -> name -> object.

    The objects are the dicts the emulator committed, shared and never changed in place (``KubeEmulator.stored``).
    """

    __slots__ = ("_by_resource",)

    def __init__(self) -> None:
        self._by_resource: dict[ResourceKey, dict[str | None, dict[str, Obj]]] = {}

    def get(self, resource: ResourceKey, namespace: str | None, name: str) -> Obj | None:
        return self._by_resource.get(resource, {}).get(namespace, {}).get(name)

    def put(self, resource: ResourceKey, namespace: str | None, name: str, obj: Obj) -> None:
        self._by_resource.setdefault(resource, {}).setdefault(namespace, {})[name] = obj

    def remove(self, resource: ResourceKey, namespace: str | None, name: str) -> None:
        namespaces = self._by_resource.get(resource, {})
        names = namespaces.get(namespace, {})
        names.pop(name, None)
        if not names:
            namespaces.pop(namespace, None)

    def objects(self, resource: ResourceKey, namespace: str | None = None) -> Iterator[Obj]:
        """Every object of ``resource`` in ``namespace`` (None: in every namespace), in no particular order."""
        namespaces = self._by_resource.get(resource, {})
        if namespace is not None:
            yield from namespaces.get(namespace, {}).values()
            return
        for names in namespaces.values():
            yield from names.values()

    def in_namespace(self, namespace: str) -> list[tuple[ResourceKey, str, Obj]]:
        """(resource, name, object) of everything in ``namespace``, of every resource."""
        return [(resource, name, obj) for resource, namespaces in self._by_resource.items()
                for name, obj in namespaces.get(namespace, {}).items()]
