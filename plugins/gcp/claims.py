"""The JWT Vault's gcp iam login expects, as a pure function of (role, account, now)."""

from __future__ import annotations

import datetime
from typing import Any

#: Vault's default max_jwt_exp for an iam role is 15 minutes; the Vault CLI signs for exactly that.
JWT_LIFETIME = datetime.timedelta(minutes=15)


def audience(role: str) -> str:
    """``vault/<role>``: Vault checks that every aud ends with it (and the gce identity token's audience too)."""
    return f"vault/{role}"


def iam_claims(role: str, email: str, now: datetime.datetime) -> dict[str, Any]:
    """``{aud, sub, iat, exp}`` for signJwt; ``now`` comes from the context's clock."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    issued = int(now.timestamp())
    return {
        "aud": audience(role),
        "sub": email,
        "iat": issued,
        "exp": issued + int(JWT_LIFETIME.total_seconds()),
    }
