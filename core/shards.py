"""Shards: several operator deployments share a cluster, each acting on its own part of the access objects.

A shard owns the namespaced access objects (VaultPolicy, VaultRole, ...) that match both its namespace
globs and its label selector (empty: all). Exactly one shard also owns the cluster-scoped objects: the
VaultConnections' status, events and finalizers and the cluster-scoped access kinds. Every other shard
logs in to the connections its objects use on its own, silently (no status, no events, no finalizer),
so no two deployments ever write the same object. docs/scaling.md says how to lay shards out.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: A Kubernetes label key (optional DNS prefix) and value, as the selector takes them.
_LABEL = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclasses.dataclass(frozen=True)
class ShardSettings:
    """Which objects this deployment acts on. The default, one deployment for everything, is no shard."""

    name: str | None = None
    namespaces: tuple[str, ...] = ()  # fnmatch globs; empty: every namespace
    selector: tuple[tuple[str, str], ...] = ()  # label key, value; all must match; empty: every object
    cluster_scoped: bool = True  # VaultConnection status and the cluster-scoped kinds are ours

    @property
    def owns_every_object(self) -> bool:
        """No namespace globs and no selector: every namespaced access object is this deployment's."""
        return not self.namespaces and not self.selector

    def owns(self, raw: Mapping[str, Any]) -> bool:
        """Whether a namespaced access object belongs to this shard (its namespace and labels as they are now)."""
        meta = raw.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        if self.namespaces and not any(fnmatch.fnmatchcase(namespace, glob) for glob in self.namespaces):
            return False
        labels = meta.get("labels") or {}
        return all(labels.get(key) == value for key, value in self.selector)

    def describe(self) -> str:
        if self.name is None:
            return "all objects (no shard)"
        parts = [f"namespaces {', '.join(self.namespaces)}" if self.namespaces else "every namespace"]
        if self.selector:
            parts.append("labels " + ",".join(f"{k}={v}" for k, v in self.selector))
        parts.append("and the cluster-scoped objects" if self.cluster_scoped else "no cluster-scoped objects")
        return f"shard {self.name}: " + ", ".join(parts)


def parse_selector(items: Iterable[str], source: str) -> tuple[tuple[str, str], ...]:
    """``key=value`` items (comma-separated too) as pairs; a ValueError names ``source`` and the bad item."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for text in items for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not _LABEL.match(key) or len(key) > 316 or not _VALUE.match(value) or len(value) > 63:
            raise ValueError(f"{source}: {item[:80]!r} is not a label key=value (equality only, e.g. vao-shard=a)")
        pairs.append((key, value))
    return tuple(sorted(set(pairs)))


def shard_settings(name: str | None, namespaces: Iterable[str], selector: Iterable[str],
                   cluster_scoped: bool | None, source: Mapping[str, str]) -> ShardSettings:
    """The shard from flags (already merged with the VAO_SHARD* variables); ``source`` names each for errors."""
    namespaces = tuple(sorted({n.strip() for text in namespaces for n in text.split(",") if n.strip()}))
    pairs = parse_selector(selector, source["selector"])
    if name is None:
        if namespaces or pairs or cluster_scoped is False:
            raise ValueError(f"{source['name']} is needed with {source['namespaces']}, {source['selector']} "
                             f"or {source['cluster_scoped']}: name the shard (it appears in the logs)")
        return ShardSettings()
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
        raise ValueError(f"{source['name']}: {name[:80]!r} is not a DNS label (lower-case letters, digits and -)")
    return ShardSettings(name, namespaces, pairs, bool(cluster_scoped))


FLAG_NAMES = {"name": "--shard", "namespaces": "--shard-namespace", "selector": "--shard-selector",
              "cluster_scoped": "--cluster-scoped"}
ENV_NAMES = {"name": "VAO_SHARD", "namespaces": "VAO_SHARD_NAMESPACES", "selector": "VAO_SHARD_SELECTOR",
             "cluster_scoped": "VAO_SHARD_CLUSTER_SCOPED"}


def shard_from_flags(name: str | None, namespaces: tuple[str, ...], selector: tuple[str, ...],
                     cluster_scoped: bool | None, env: Mapping[str, str]) -> ShardSettings:
    """Flags win over the environment, each setting on its own; errors name the flag or the variable used."""
    source = {key: FLAG_NAMES[key] for key in FLAG_NAMES}
    if name is None and env.get(ENV_NAMES["name"]):
        name, source["name"] = env[ENV_NAMES["name"]].strip(), ENV_NAMES["name"]
    if not namespaces and env.get(ENV_NAMES["namespaces"]):
        namespaces, source["namespaces"] = (env[ENV_NAMES["namespaces"]],), ENV_NAMES["namespaces"]
    if not selector and env.get(ENV_NAMES["selector"]):
        selector, source["selector"] = (env[ENV_NAMES["selector"]],), ENV_NAMES["selector"]
    raw = env.get(ENV_NAMES["cluster_scoped"], "").strip().lower()
    if cluster_scoped is None and raw:
        if raw not in ("true", "false"):
            raise ValueError(f"{ENV_NAMES['cluster_scoped']} must be true or false (got {raw[:20]!r})")
        cluster_scoped, source["cluster_scoped"] = raw == "true", ENV_NAMES["cluster_scoped"]
    return shard_settings(name or None, namespaces, selector, cluster_scoped, source)
