"""VaultPolicy and VaultClusterPolicy for the access controller: from the object to a sync pass."""

from __future__ import annotations

from typing import Any

import pydantic

from ..connection_handle import ConnectionHandle
from ..kinds import VAULT_CLUSTER_POLICY, VAULT_POLICY, KindDefinition
from ..models import Confinement
from .discovery_hold import adoption_hold
from .name_snapshot import NameSnapshots
from .outcome import Outcome
from .policy_delete import Deletion, delete_policy
from .policy_models import PolicyStatus
from .policy_object import PolicyObject, parse_spec
from .policy_sync import parse_failure, sync_policy
from .settings import AccessSettings
from .tenancy import tenancy_for
from .verdicts import waiting_for_connection

DEFAULT_DRIFT_MODE = "detect"
DRIFT_MODES = ("ignore", "detect", "correct")


def drift_mode_of(own: str | None, spec: Any) -> str:
    """The object's driftMode, else the connection's spec.defaults.driftMode, else detect."""
    inherited = getattr(getattr(spec, "defaults", None), "drift_mode", None)
    return own or (inherited if inherited in DRIFT_MODES else DEFAULT_DRIFT_MODE)


def waiting(status: PolicyStatus, handle: ConnectionHandle | None, ref: str) -> Outcome:
    return waiting_for_connection(status.phase, handle, ref, "the policy syncs")


def _status(body: Any) -> PolicyStatus:
    try:
        return PolicyStatus.model_validate(body or {})
    except ValueError:  # written by something else: start afresh
        return PolicyStatus()


class PolicyAdapter:
    def __init__(self, kind: KindDefinition, settings: AccessSettings, confinement: Confinement | None = None,
                 names: NameSnapshots | None = None) -> None:
        assert kind in (VAULT_POLICY, VAULT_CLUSTER_POLICY)
        self.kind, self.settings = kind, settings
        self.confinement = confinement  # --tenancy-confinement: stricter than any connection may ask for
        self.names = names or NameSnapshots()  # LISTs standing in for first syncs' reads; shared by the kinds

    def policy_object(self, raw: dict[str, Any], status: PolicyStatus | None = None) -> PolicyObject:
        meta = raw.get("metadata") or {}
        return PolicyObject(
            kind=self.kind.kind, name=meta["name"],
            namespace=meta.get("namespace") if self.kind.scope == "Namespaced" else None,
            spec=parse_spec(self.kind.kind, raw.get("spec") or {}),
            annotations=dict(meta.get("annotations") or {}),
            status=_status(raw.get("status")) if status is None else status,
        )

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        status = _status(raw.get("status"))
        outcome = await self._pass(raw, status, handle, drift_check)
        outcome.previous = status  # the reporter's starting point: parsed once per pass
        return outcome

    async def _pass(self, raw: dict[str, Any], status: PolicyStatus, handle: ConnectionHandle | None,
                    drift_check: bool) -> Outcome:
        try:
            obj = self.policy_object(raw, status)
        except pydantic.ValidationError as error:
            return parse_failure(error)
        if handle is None or not handle.active:
            return waiting(obj.status, handle, obj.spec.connection_ref)
        spec = handle.spec
        tenancy = tenancy_for(spec.tenancy, self.confinement)
        mode = drift_mode_of(obj.spec.drift_mode, spec)
        held = adoption_hold(obj.namespace, obj.annotations, spec)  # discovery's auto-created objects
        if isinstance(held, Outcome):
            return held
        return await sync_policy(obj, handle.client(), self.settings.identity, mode, tenancy, drift_check, held,
                                 self.names)

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        try:
            obj = self.policy_object(raw)
        except pydantic.ValidationError:  # the API server checked the spec it stored: nothing to undo
            return Deletion(True, "Deleted", "the spec does not parse; nothing deleted in Vault")
        return await delete_policy(obj, handle, self.settings.identity)
