"""A token a plugin supplied instead of a login (:class:`~provider.SuppliedToken`): what its lookup tells.

The core looks such a token up rather than logging in; the lookup gives the lease the runtime plans with,
and non-secret facts for status. The lookup's ``id`` field is the token itself: it is never read here.
"""

from __future__ import annotations

from typing import Any

from .durations import format_duration
from .errors import CredentialsError, Reason
from .vault import TokenGrant


def grant_from_lookup(token: str, data: dict[str, Any]) -> TokenGrant:
    """The token's lease as of now, from ``auth/token/lookup-self`` data."""
    ttl = float(data.get("ttl") or 0)
    if ttl <= 0 and data.get("expire_time"):
        ttl = 1.0  # expires within the second (Vault rounds down): not a token that never expires
    return TokenGrant(token=token, accessor=str(data.get("accessor") or ""), ttl=ttl,
                      renewable=bool(data.get("renewable")))


def lookup_facts(data: dict[str, Any]) -> dict[str, str]:
    """What status shows of a supplied token: its policies, type, renewability and period."""
    policies = data.get("policies")
    facts = {
        "policies": ",".join(sorted(str(p) for p in policies)) if isinstance(policies, list) else "",
        "tokenType": str(data.get("type") or "service"),
        "renewable": "true" if data.get("renewable") else "false",
    }
    period = data.get("period")
    if isinstance(period, int | float) and period > 0:
        facts["period"] = format_duration(float(period))
    return facts


def rejected(vault_said: str) -> CredentialsError:
    """Vault refused to look the token up (``vault_said`` names where it came from): it must be replaced there."""
    said = " ".join(vault_said.split())  # Vault's multi-error text comes with newlines and tabs
    return CredentialsError(
        f"{said}: it has expired or was revoked (or its policies do not allow auth/token/lookup-self, "
        "which Vault's default policy grants): replace it there with a valid token; the operator reads it "
        "again at every retry, no spec change needed",
        reason=Reason.CREDENTIALS_REJECTED,
    )
