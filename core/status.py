"""The VaultConnection status: its schema (pydantic) and pure functions that build it.

Field names follow the replaced operator's status where it had them (``authStatus.tokenAccessor``,
``tokenExpiration``, ``tokenLastRenewed``, ``tokenRenewalCount``). No field ever holds a token.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .errors import Reason

Phase = Literal["Pending", "Active", "Error"]
READY = "Ready"
AUTHENTICATED = "Authenticated"


class _StatusModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Condition(_StatusModel):
    """One condition, as ``kubectl wait --for=condition=Ready`` reads it."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""
    last_transition_time: str = Field(description="RFC 3339 time the status last changed.")
    observed_generation: int | None = None


class AuthStatus(_StatusModel):
    """The operator's own Vault login. Shows the accessor, never the token."""

    auth_method: str | None = Field(default=None, description="The spec.auth key used to log in.")
    auth_path: str | None = Field(default=None, description="The Vault auth mount logged in at.")
    token_accessor: str | None = Field(default=None, description="Accessor of the current token.")
    token_expiration: str | None = Field(default=None, description="When the current token expires.")
    last_login: str | None = Field(default=None, description="Time of the last successful login.")
    token_last_renewed: str | None = Field(default=None, description="Time of the last renewal.")
    token_renewal_count: int = Field(default=0, description="Renewals since the last login.")
    login_count: int = Field(default=0, description="Logins since the operator started.")
    details: dict[str, str] = Field(default_factory=dict, description="Method-specific, non-secret facts.")


class VaultConnectionStatus(_StatusModel):
    """What ``kubectl get vaultconnection -o yaml`` shows under ``status``."""

    phase: Phase | None = None
    healthy: bool = False
    vault_version: str | None = None
    message: str = ""
    observed_generation: int | None = None
    consecutive_failures: int = 0
    conditions: list[Condition] = Field(default_factory=list)
    auth_status: AuthStatus | None = None


def rfc3339(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclasses.dataclass
class Observation:
    """What the connection runtime knows right now; status is a pure function of it."""

    generation: int | None
    method: str
    mount: str | None = None
    phase: Phase = "Pending"
    reason: str = Reason.PENDING
    message: str = "waiting for the first login"
    authenticated: bool = False
    vault_version: str | None = None
    consecutive_failures: int = 0
    accessor: str | None = None
    expires_at: datetime.datetime | None = None
    last_login: datetime.datetime | None = None
    last_renewal: datetime.datetime | None = None
    renewal_count: int = 0
    login_count: int = 0
    details: dict[str, str] = dataclasses.field(default_factory=dict)
    uid: str | None = None  # of the VaultConnection object: writes never land on a re-created namesake


def _condition(
    kind: str,
    ok: bool,
    reason: str,
    message: str,
    generation: int | None,
    now: datetime.datetime,
    previous: list[dict[str, Any]],
) -> dict[str, Any]:
    status = "True" if ok else "False"
    old = next((c for c in previous if c.get("type") == kind), None)
    # Keep the old transition time when the status itself did not flip (Kubernetes convention).
    since = old["lastTransitionTime"] if old and old.get("status") == status else rfc3339(now)
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }


def build_status(obs: Observation, now: datetime.datetime, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The whole status object for ``obs``; ``previous`` keeps condition transition times."""
    old_conditions = list((previous or {}).get("conditions") or [])
    active = obs.phase == "Active"
    auth_reason = Reason.LOGGED_IN if obs.authenticated else obs.reason
    auth_message = f"logged in at auth/{obs.mount}" if obs.authenticated else obs.message
    ready_reason = Reason.CONNECTED if active else obs.reason
    ready_message = "connected to Vault and logged in" if active else obs.message
    return {
        "phase": obs.phase,
        "healthy": active,
        "vaultVersion": obs.vault_version,
        "message": "" if active else obs.message,
        "observedGeneration": obs.generation,
        "consecutiveFailures": obs.consecutive_failures,
        "conditions": [
            _condition(READY, active, ready_reason, ready_message, obs.generation, now, old_conditions),
            _condition(
                AUTHENTICATED, obs.authenticated, auth_reason, auth_message, obs.generation, now, old_conditions
            ),
        ],
        "authStatus": {
            "authMethod": obs.method,
            "authPath": obs.mount,
            "tokenAccessor": obs.accessor,
            "tokenExpiration": rfc3339(obs.expires_at),
            "lastLogin": rfc3339(obs.last_login),
            "tokenLastRenewed": rfc3339(obs.last_renewal),
            "tokenRenewalCount": obs.renewal_count,
            "loginCount": obs.login_count,
            "details": dict(obs.details),
        },
    }
