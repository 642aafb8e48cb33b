"""VaultKVSecret for the access controller: from the object to a sync pass or a delete."""

from __future__ import annotations

from typing import Any

import pydantic

from ..clock import Clock
from ..connection_handle import ConnectionHandle
from ..kinds import VAULT_KV_SECRET
from ..models import Confinement
from .kv_delete import delete_kv_secret
from .kv_models import KVSecretStatus, VaultKVSecretSpec
from .kv_sync import KVObject, ReadSecret, failed, sync_kv_secret, timestamp
from .outcome import Outcome
from .policy_delete import Deletion
from .settings import AccessSettings
from .tenancy import tenancy_for
from .verdicts import waiting_for_connection


def _status(body: Any) -> KVSecretStatus:
    try:
        return KVSecretStatus.model_validate(body or {})
    except ValueError:  # written by something else: start afresh
        return KVSecretStatus()


def waiting(status: KVSecretStatus, handle: ConnectionHandle | None, ref: str) -> Outcome:
    return waiting_for_connection(status.phase, handle, ref, "the secret is seeded")


class KVSecretAdapter:
    kind = VAULT_KV_SECRET

    def __init__(self, settings: AccessSettings, read_secret: ReadSecret, clock: Clock,
                 confinement: Confinement | None = None) -> None:
        self.settings, self.read_secret, self.clock = settings, read_secret, clock
        self.confinement = confinement  # --tenancy-confinement: stricter than any connection may ask for

    def kv_object(self, raw: dict[str, Any]) -> KVObject:
        meta = raw.get("metadata") or {}
        return KVObject(namespace=meta["namespace"], name=meta["name"],
                        spec=VaultKVSecretSpec.model_validate(raw.get("spec") or {}),
                        annotations=dict(meta.get("annotations") or {}), status=_status(raw.get("status")))

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        try:
            obj = self.kv_object(raw)
        except pydantic.ValidationError as error:
            problems = "; ".join(f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
            return failed("ValidationFailed", problems, then="wait")
        if handle is None or not handle.active:
            return waiting(obj.status, handle, obj.spec.connection_ref)
        tenancy = tenancy_for(handle.spec.tenancy, self.confinement)
        return await sync_kv_secret(obj, handle.client(), self.settings.identity, tenancy, self.read_secret,
                                    drift_check, timestamp(self.clock))

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        try:
            obj = self.kv_object(raw)
        except pydantic.ValidationError:  # the API server checked the spec it stored: nothing to undo
            return Deletion(True, "Deleted", "the spec does not parse; nothing deleted in Vault")
        return await delete_kv_secret(obj, handle, self.settings.identity)
