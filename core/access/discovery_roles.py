"""autoCreateCRs for roles: a VaultRole per unmanaged Vault role, for a human to review; it binds nothing by itself.

The object names the role's Vault name (``vault.platform.io/vault-name``), carries the adopt and
``discovery-pending`` annotations and ``deletionPolicy: Retain``, as discovery's VaultPolicy objects do
(discovery_adopt.py). What Kubernetes cannot tell from the role is a placeholder a human must replace:
``serviceAccounts`` is the one account ``discovery-placeholder-replace-me``. ``policies`` refers, for each
policy the role grants (``token_policies``, Vault's ``default`` left out), to the VaultPolicy discovery makes
in the same namespace for an unmanaged policy (named after it, as ``suggestedCRName``); a role granting only
``default`` gets the placeholder name there too. ``tokenTTL`` / ``tokenMaxTTL`` keep the role's own values.
Until discovery-pending is removed nothing is written; then the role is written whole under its own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kinds import VAULT_ROLE
from .discovery_hold import DISCOVERED_AT, DISCOVERED_FROM, DISCOVERY_PENDING, VAULT_NAME
from .discovery_models import DiscoveredResource
from .discovery_scan import suggested_name
from .outcome import ADOPT
from .role_models import MAX_POLICIES

PLACEHOLDER = "discovery-placeholder-replace-me"
#: Granted to every token unless a role says otherwise: not a policy object to refer to.
IMPLICIT_POLICIES = frozenset({"default"})


def granted_policies(live: Mapping[str, Any]) -> list[str]:
    """The policy names a role read from Vault grants (``token_policies``, else the older ``policies``)."""
    names = live.get("token_policies") or live.get("policies") or []
    if isinstance(names, str):
        names = names.split(",")
    found = [str(n).strip() for n in names if str(n).strip() and str(n).strip() not in IMPLICIT_POLICIES]
    return list(dict.fromkeys(found))


def _ttl(value: Any) -> str | None:
    """A TTL Vault reports in seconds, as the spec writes it; None for 0 (the mount's default)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def role_adoption_object(found: DiscoveredResource, live: Mapping[str, Any], connection: str, namespace: str,
                         now: str) -> dict[str, Any]:
    """The review-pending VaultRole for the Vault role ``found`` (``live``: the role as read from Vault)."""
    annotations = {ADOPT: "true", DISCOVERY_PENDING: "true", DISCOVERED_AT: now, DISCOVERED_FROM: connection,
                   VAULT_NAME: found.name}
    names = dict.fromkeys(suggested_name(p) for p in granted_policies(live)) or {PLACEHOLDER: None}
    spec: dict[str, Any] = {
        "connectionRef": connection, "serviceAccounts": [PLACEHOLDER],
        "policies": [{"kind": "VaultPolicy", "name": name} for name in list(names)[:MAX_POLICIES]],
        "conflictPolicy": "Adopt", "driftMode": "detect", "deletionPolicy": "Retain"}
    ttl, max_ttl = _ttl(live.get("token_ttl")), _ttl(live.get("token_max_ttl"))
    if ttl and not (max_ttl and int(ttl) > int(max_ttl)):
        spec["tokenTTL"] = ttl
    if max_ttl:
        spec["tokenMaxTTL"] = max_ttl
    return {"apiVersion": VAULT_ROLE.api_version, "kind": VAULT_ROLE.kind,
            "metadata": {"name": found.suggested_cr_name, "namespace": namespace, "annotations": annotations},
            "spec": spec}
