"""Roles of Vault's kubernetes auth: which service accounts log in at ``auth/<mount>/role/<name>``.

Vault (and OpenBao) keep two independent lists, names and namespaces: a role admits every name in every
namespace listed. :meth:`KubernetesRoleWriter.widened` says which accounts that admits beyond the ones
listed, so the core can warn about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vault_access_operator.plugin import BoundAccount, ConfigError, RoleBinding, RoleWriter, SpecModel

OWNERSHIP_FIELD = "alias_metadata"


class KubernetesRoleWriter(RoleWriter[SpecModel]):
    """``auth/<mount>/role/<name>`` of a kubernetes auth mount; no block of its own under the role's spec.

    Fields written (all of them every time, so a field left out of the spec is reset in Vault):
    ``bound_service_account_names``, ``bound_service_account_namespaces``, ``token_policies`` (Vault's
    current name for ``policies``), ``token_ttl`` and ``token_max_ttl`` (0: the mount's defaults) and the
    ownership record in ``alias_metadata`` (kept by Vault 1.21 and later; OpenBao drops it, and the core then
    relies on the role's name and on what the object recorded it wrote).
    """

    family = "kubernetes"
    login_methods = ("kubernetes",)
    mount_prefixes = ("kubernetes",)

    def payload(self, binding: RoleBinding, config: SpecModel | None) -> dict[str, Any]:
        if not binding.service_accounts:
            raise ConfigError(f"spec.serviceAccounts: a role on the kubernetes auth mount {binding.mount!r} "
                              "binds service accounts: list at least one")
        return {
            "bound_service_account_names": sorted({a.name for a in binding.service_accounts}),
            "bound_service_account_namespaces": sorted({a.namespace for a in binding.service_accounts}),
            "token_policies": list(binding.policies),
            "token_ttl": binding.token_ttl or 0,
            "token_max_ttl": binding.token_max_ttl or 0,
            OWNERSHIP_FIELD: dict(binding.ownership),
        }

    def differences(self, desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
        # A role written with the old `policies` field reads back with both; token_policies is the truth.
        if "token_policies" not in actual and "policies" in actual:
            actual = {**actual, "token_policies": actual["policies"]}
        return super().differences(desired, actual)

    def widened(self, binding: RoleBinding) -> list[BoundAccount]:
        """Accounts the role admits that the binding does not list (names x namespaces)."""
        listed = set(binding.service_accounts)
        names = sorted({a.name for a in listed})
        namespaces = sorted({a.namespace for a in listed})
        return [BoundAccount(ns, name) for ns in namespaces for name in names
                if BoundAccount(ns, name) not in listed]
