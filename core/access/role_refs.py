"""A role's policy references: each resolved to the Vault name its VaultPolicy or VaultClusterPolicy recorded.

Resolution reads what the access controller knows of the policy objects (their last status), never the API
server. Tenancy first: a VaultRole names only VaultPolicies of its own namespace, and VaultClusterPolicies only
where the connection's ``spec.tenancy.allowedClusterPolicies`` allows; a refusal stops the role (nothing written).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import ConfigError, TenancyError
from .role_object import RoleObject

Key = tuple[str, str | None, str]  # kind, namespace, name (as the controller keys objects)


@dataclasses.dataclass(frozen=True)
class PolicyView:
    """What the controller knows of one policy object."""

    vault_name: str | None
    phase: str | None
    deleting: bool = False


Lookup = Callable[[Key], Awaitable[PolicyView | None]]


def policy_view(seen: tuple[dict[str, Any], dict[str, Any]] | None) -> PolicyView | None:
    """A PolicyView from the controller's (last body, last status) of a policy object."""
    if seen is None:
        return None
    raw, status = seen
    name, phase = status.get("vaultName"), status.get("phase")
    return PolicyView(name if isinstance(name, str) else None, phase if isinstance(phase, str) else None,
                      bool((raw.get("metadata") or {}).get("deletionTimestamp")))


@dataclasses.dataclass(frozen=True)
class Resolution:
    keys: tuple[Key, ...]  # every referenced policy object (the controller wakes the role when one changes)
    names: tuple[str, ...]  # resolved Vault names, in reference order (duplicates dropped)
    bindings: tuple[dict[str, object], ...]  # status.policyBindings
    pending: tuple[str, ...]  # why each unresolved reference is unresolved
    unpassed: int = 0  # how many of them name a policy object whose first sync pass is still to come

    @property
    def complete(self) -> bool:
        return not self.pending

    @property
    def awaits_first_passes(self) -> bool:
        """Unresolved only because the policies were created with the role and have not been passed yet."""
        return bool(self.pending) and self.unpassed == len(self.pending)


def reference_keys(obj: RoleObject, allowed_cluster_policies: list[str] | None) -> tuple[Key, ...]:
    """The policy objects the role references; TenancyError / ConfigError for one it may not reference."""
    keys: list[Key] = []
    for index, ref in enumerate(obj.spec.policies):
        where = f"spec.policies[{index}]"
        if ref.kind == "VaultClusterPolicy":
            if obj.namespace is not None and allowed_cluster_policies is not None and not any(
                    fnmatch.fnmatchcase(ref.name, glob) for glob in allowed_cluster_policies):
                listed = ", ".join(allowed_cluster_policies) or "none"
                raise TenancyError(f"{where}: VaultClusterPolicy {ref.name} may not be granted by a VaultRole through "
                                   f"this VaultConnection (its spec.tenancy.allowedClusterPolicies lists {listed})",
                                   setting="spec.tenancy.allowedClusterPolicies")
            keys.append(("VaultClusterPolicy", None, ref.name))
            continue
        namespace = ref.namespace or obj.namespace
        if namespace is None:
            raise ConfigError(f"{where}: a VaultClusterRole must give the namespace of VaultPolicy {ref.name}")
        if obj.namespace is not None and namespace != obj.namespace:
            raise TenancyError(f"{where}: a VaultRole may grant only VaultPolicies of its own namespace "
                               f"{obj.namespace!r}, not {namespace}/{ref.name}; ask the platform team for a "
                               "VaultClusterPolicy", setting="spec.policies")
        keys.append(("VaultPolicy", namespace, ref.name))
    return tuple(keys)


def _shown(key: Key) -> str:
    return f"{key[0]}/{key[1]}/{key[2]}" if key[1] else f"{key[0]}/{key[2]}"


async def resolve(keys: tuple[Key, ...], lookup: Lookup) -> Resolution:
    names: list[str] = []
    bindings: list[dict[str, object]] = []
    pending: list[str] = []
    unpassed = 0
    for key in dict.fromkeys(keys):
        view = await lookup(key)
        what = f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]}"
        if view is None:
            pending.append(f"{what} does not exist")
        elif view.deleting:
            pending.append(f"{what} is being deleted")
        elif view.vault_name is None or view.phase != "Active":
            unpassed += view.phase is None
            pending.append(f"{what} is not synced to Vault yet (phase {view.phase or 'none'})")
        else:
            names.append(view.vault_name)
            bindings.append({"k8s_ref": _shown(key), "vault_policy_path": f"sys/policies/acl/{view.vault_name}",
                             "resolved": True})
            continue
        bindings.append({"k8s_ref": _shown(key), "vault_policy_path": "", "resolved": False})
    return Resolution(tuple(keys), tuple(dict.fromkeys(names)), tuple(bindings), tuple(pending), unpassed)
