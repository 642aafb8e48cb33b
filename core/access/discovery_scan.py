"""One discovery scan of a VaultConnection: unmanaged policies and roles, and orphans, from two LISTs.

Managed means: named ``vao.<identity>.<namespace or _>.<name>`` (this operator's scheme, any identity), or
recorded as the Vault name of some object not awaiting review (an adopted policy keeps its own name). Nothing
is read per policy: names say enough. Orphans are names of this identity whose object is gone: reported, never deleted.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable

from ..borrowed import BorrowedClient
from ..models import DiscoverySpec
from .discovery_models import MAX_LISTED, DiscoveredResource, DiscoveryStatus, OrphanedResource, ResourceType

SYSTEM_POLICIES = ("root", "default", "response-wrapping")
OPERATOR_PREFIX = "vao."
_NOT_NAME = re.compile(r"[^a-z0-9-]+")


@dataclasses.dataclass(frozen=True)
class Known:
    """What the cluster holds: the objects by (type, <namespace>/<name> or <name>) and their recorded Vault names."""

    objects: frozenset[tuple[ResourceType, str]]
    vault_names: frozenset[tuple[ResourceType, str]]
    role_kinds: bool  # VaultRole kinds are served: role orphans can be told


def suggested_name(vault_name: str) -> str:
    """A Kubernetes object name for a Vault name, as the replaced operator suggests it."""
    return _NOT_NAME.sub("-", vault_name.lower()).strip("-")[:253] or "unnamed"


def _matches(name: str, globs: Iterable[str] | None) -> bool:
    globs = list(globs or ())
    return not globs or any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def _owner(name: str, identity: str) -> str | None:
    """The object ``vao.<identity>.<ns>.<name>`` belongs to (``ns/name``, or ``name`` for ``_``), if ours."""
    parts = name.split(".", 3)
    if len(parts) != 4 or parts[1] != identity:
        return None
    return parts[3] if parts[2] == "_" else f"{parts[2]}/{parts[3]}"


async def scan(client: BorrowedClient, spec: DiscoverySpec, role_mount: str | None, identity: str, known: Known,
               previous: DiscoveryStatus | None, now: str) -> DiscoveryStatus:
    """LIST the policies and the role mount's roles; the new status (first-seen times kept from ``previous``)."""
    policies = await client.list("sys/policies/acl")
    roles = await client.list(f"auth/{role_mount}/role") if role_mount else []
    system = set(SYSTEM_POLICIES) if spec.exclude_system_policies else set()
    custom = list(spec.custom_system_policies or ()) if spec.exclude_system_policies else []
    seen = {(r.type, r.name): r.discovered_at for r in (previous.discovered_resources if previous else [])}
    unmanaged: list[DiscoveredResource] = []
    orphans: list[OrphanedResource] = []
    counts = {"policy": [0, 0], "role": [0, 0]}  # unmanaged, orphaned
    for kind, names, patterns in (("policy", policies, spec.policy_patterns), ("role", roles, spec.role_patterns)):
        typed: ResourceType = "policy" if kind == "policy" else "role"
        for name in sorted(names):
            if name.startswith(OPERATOR_PREFIX):
                owner = _owner(name, identity)
                can_tell = typed == "policy" or known.role_kinds
                if owner is not None and can_tell and (typed, owner) not in known.objects:
                    counts[kind][1] += 1
                    if len(orphans) < MAX_LISTED:
                        orphans.append(OrphanedResource(type=typed, name=name, k8sResource=owner))
                continue
            if (typed, name) in known.vault_names:
                continue
            if typed == "policy" and (name in system or any(fnmatch.fnmatchcase(name, g) for g in custom)):
                continue
            if not _matches(name, patterns):
                continue
            counts[kind][0] += 1
            if len(unmanaged) < MAX_LISTED:
                unmanaged.append(DiscoveredResource(type=typed, name=name, discovered_at=seen.get((typed, name), now),
                                                    suggestedCRName=suggested_name(name)))
    return DiscoveryStatus(last_scan_at=now, unmanaged_policies=counts["policy"][0], unmanaged_roles=counts["role"][0],
                           discovered_resources=unmanaged, orphaned_policies=counts["policy"][1],
                           orphaned_roles=counts["role"][1], orphaned_resources=orphans)
