"""The VaultConnection status: its schema (pydantic) and the pure function that builds it.

Field names follow the replaced operator's status where it had them (``authStatus.tokenAccessor``,
``tokenExpiration``, ``tokenLastRenewed``, ``tokenRenewalCount``). No field ever holds a token.
The status is built as the model below and written as its JSON (conditions.status_body): one definition.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from .access.discovery_models import DependantsStatus, DiscoveryStatus
from .clock import rfc3339
from .conditions import Condition, Conditions, StatusModel
from .errors import Reason

__all__ = ["AUTHENTICATED", "READY", "AuthStatus", "Condition", "LoginStanding", "Observation", "Phase", "SetupState",
           "SetupStatus", "VaultConnectionStatus", "build_status", "rfc3339", "standing_of"]

Phase = Literal["Pending", "Active", "Error"]
READY = "Ready"
AUTHENTICATED = "Authenticated"


class SetupStatus(StatusModel):
    """A one-time set-up block's progress (``spec.auth.bootstrap``), as this operator process saw it."""

    method: str = Field(description="The set-up block (bootstrap).")
    complete: bool = Field(default=False, description="The login it sets up works (tested, or found working).")
    completed_at: str | None = Field(default=None, description="When it was found complete.")
    steps: dict[str, str] = Field(
        default_factory=dict,
        description="Each step that ran, by name: Done (written now), AlreadyInPlace (read, nothing to write) "
        "or Failed. Steps that did not run are absent.",
    )


class AuthStatus(StatusModel):
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
    setup: SetupStatus | None = Field(default=None, description="The set-up block's progress, when spec.auth has one.")


class VaultConnectionStatus(StatusModel):
    """What ``kubectl get vaultconnection -o yaml`` shows under ``status``."""

    phase: Phase | None = None
    healthy: bool = False
    vault_version: str | None = None
    message: str = ""
    observed_generation: int | None = None
    consecutive_failures: int = 0
    conditions: list[Condition] = Field(default_factory=list)
    auth_status: AuthStatus | None = None
    discovery_status: DiscoveryStatus | None = None
    dependants: DependantsStatus | None = None


@dataclasses.dataclass
class SetupState:
    """A set-up block's progress, in the runtime (status.authStatus.setup and its condition)."""

    method: str
    condition: str  # the condition type it reports (Bootstrapped)
    complete: bool = False
    completed_at: datetime.datetime | None = None
    steps: dict[str, str] = dataclasses.field(default_factory=dict)
    reason: str = Reason.PENDING
    message: str = "not run yet"


@dataclasses.dataclass
class Observation:
    """What the connection runtime knows right now; status is a pure function of it."""

    generation: int | None
    method: str
    mount: str | None = None
    supplied: bool = False  # the token came from the spec (a Secret), not from a login at `mount`
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
    setup: SetupState | None = None
    discovery: DiscoveryStatus | None = None  # the last discovery scan (core/access/discovery.py)
    dependants: DependantsStatus | None = None  # counted by the access controller (core/access/dependants.py)

    def snapshot(self) -> tuple[object, ...]:
        """Everything the status is built from, copied where it changes in place (the set-up state, dicts).

        Equal snapshots build equal statuses (given the status last written): a health check that changed
        nothing compares this instead of building the status (bench/README.md, session 8). ``discovery`` and
        ``dependants`` are replaced, never changed in place, as the status written holds them as they are.
        """
        return tuple(_frozen(getattr(self, name)) for name in _OBSERVED)

    def standing(self) -> LoginStanding | None:
        """The login the status built from this observation shows as held (None: it shows none held)."""
        if self.phase != "Active" or not self.authenticated:
            return None
        return self.generation, self.method, self.mount

    def logged_in_standing(self) -> LoginStanding:
        """What :meth:`standing` is once a login at this spec holds a token and the connection is Active."""
        return self.generation, self.method, self.mount


#: A held login as a status shows it: (observedGeneration, authStatus.authMethod, authStatus.authPath).
LoginStanding = tuple[int | None, str | None, str | None]


def standing_of(status: Mapping[str, Any] | None) -> LoginStanding | None:
    """The login a written status (its JSON, as the object shows it) says is held: Active and Authenticated;
    None for any other status, or none."""
    if not isinstance(status, Mapping) or status.get("phase") != "Active":
        return None
    conditions = status.get("conditions")
    if not isinstance(conditions, list) or not any(
            isinstance(c, Mapping) and (c.get("type"), c.get("status")) == (AUTHENTICATED, "True") for c in conditions):
        return None
    auth = status.get("authStatus")
    if not isinstance(auth, Mapping):
        return None
    generation, method, mount = status.get("observedGeneration"), auth.get("authMethod"), auth.get("authPath")
    if not (generation is None or isinstance(generation, int)) or not all(
            value is None or isinstance(value, str) for value in (method, mount)):
        return None
    return generation, method, mount


_OBSERVED = tuple(field.name for field in dataclasses.fields(Observation))


def _frozen(value: object) -> object:
    if isinstance(value, dict):
        return tuple(value.items())
    if isinstance(value, SetupState):
        return (*(getattr(value, field.name) for field in dataclasses.fields(value)), tuple(value.steps.items()))
    return value


def _authenticated_message(obs: Observation) -> str:
    return "holds the supplied Vault token (no login)" if obs.supplied else f"logged in at auth/{obs.mount}"


def build_status(
    obs: Observation, now: datetime.datetime, previous: VaultConnectionStatus | None
) -> VaultConnectionStatus:
    """The whole status for ``obs``; ``previous`` (the status last written) keeps condition transition times."""
    active = obs.phase == "Active"
    conditions = Conditions(previous.conditions if previous else (), now, obs.generation)
    if active:
        conditions.set(READY, True, Reason.CONNECTED, "connected to Vault and logged in")
    else:
        conditions.set(READY, False, obs.reason, obs.message)
    if obs.authenticated:
        conditions.set(AUTHENTICATED, True, Reason.LOGGED_IN, _authenticated_message(obs))
    else:
        conditions.set(AUTHENTICATED, False, obs.reason, obs.message)
    setup = obs.setup
    if setup is not None:
        conditions.set(setup.condition, setup.complete, setup.reason, setup.message)
    return VaultConnectionStatus(
        phase=obs.phase,
        healthy=active,
        vault_version=obs.vault_version,
        message="" if active else obs.message,
        observed_generation=obs.generation,
        consecutive_failures=obs.consecutive_failures,
        conditions=conditions.all(),
        auth_status=AuthStatus(
            auth_method=obs.method,
            auth_path=obs.mount,
            token_accessor=obs.accessor,
            token_expiration=rfc3339(obs.expires_at),
            last_login=rfc3339(obs.last_login),
            token_last_renewed=rfc3339(obs.last_renewal),
            token_renewal_count=obs.renewal_count,
            login_count=obs.login_count,
            details=dict(obs.details),
            setup=None if setup is None else SetupStatus(
                method=setup.method, complete=setup.complete, completed_at=rfc3339(setup.completed_at),
                steps=dict(setup.steps),
            ),
        ),
        discovery_status=obs.discovery,
        dependants=obs.dependants,
    )
