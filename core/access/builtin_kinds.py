"""The adapters of the access kinds the operator ships, by kind name (core/app.py wires them to the controller)."""

from __future__ import annotations

from ..clock import Clock
from ..kinds import VAULT_CLUSTER_POLICY, VAULT_CLUSTER_ROLE, VAULT_KV_SECRET, VAULT_POLICY, VAULT_ROLE
from ..models import Confinement
from ..registry import ProviderRegistry
from .kind_adapter import KindAdapter
from .kv_adapter import KVSecretAdapter
from .kv_sync import ReadSecret
from .name_snapshot import NameSnapshots
from .policy_adapter import PolicyAdapter
from .role_adapter import RoleAdapter
from .role_refs import Lookup
from .settings import AccessSettings


def builtin_adapters(settings: AccessSettings, confinement: Confinement | None, registry: ProviderRegistry,
                     policy_view: Lookup, read_secret: ReadSecret, clock: Clock) -> dict[str, KindAdapter]:
    """VaultPolicy, VaultClusterPolicy, VaultRole, VaultClusterRole and VaultKVSecret; ``policy_view``: a role's
    look-up of the policies it grants, ``read_secret``: a KV secret's Secret values."""
    names = NameSnapshots()  # one LIST per connection and folder for the policy and role kinds alike
    adapters: dict[str, KindAdapter] = {
        kind.kind: PolicyAdapter(kind, settings, confinement, names) for kind in (VAULT_POLICY, VAULT_CLUSTER_POLICY)}
    for kind in (VAULT_ROLE, VAULT_CLUSTER_ROLE):
        adapters[kind.kind] = RoleAdapter(kind, settings, registry, policy_view, confinement, names)
    adapters[VAULT_KV_SECRET.kind] = KVSecretAdapter(settings, read_secret, clock, confinement)
    return adapters
