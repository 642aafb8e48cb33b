"""One sync pass of a VaultKVSecret: seed the secret if absent (check-and-set 0), else look at its metadata.

Create-only: the data is written at most once per absence and never read; a later pass reads metadata only
(one GET), and none at all when woken by something else than the resync (a connection's new token, say).
``seeded`` stays true once this object seeded the secret, and the seeded version is kept both on status and
in the secret's custom_metadata, so delete-if-untouched keeps working after any number of resyncs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from ..borrowed import BorrowedClient
from ..clip import clip
from ..clock import Clock, rfc3339
from ..errors import VaultAccessError
from ..redact import REDACTOR
from .kv_models import KVSecretStatus, VaultKVSecretSpec
from .kv_tenancy import check_kv_path
from .kv_vault import (
    KVLocation,
    KVMetadata,
    NotKV2Error,
    create_only,
    find_mount,
    locate,
    owner_stamp,
    read_metadata,
    stamp,
)
from .outcome import DRY_RUN, Outcome, flag
from .tenancy import TenancySettings

#: (namespace, Secret name, key) -> the value; raises SecretNotFoundError (or KubeError) saying what to fix.
ReadSecret = Callable[[str, str, str], Awaitable[str]]
MESSAGE_LIMIT = 4096


@dataclasses.dataclass(frozen=True)
class KVObject:
    namespace: str
    name: str
    spec: VaultKVSecretSpec
    annotations: dict[str, str]
    status: KVSecretStatus

    @property
    def resource(self) -> str:
        return f"{self.namespace}/{self.name}"


def failed(reason: str, text: str, then: str = "retry") -> Outcome:
    text = clip(text, MESSAGE_LIMIT)
    return Outcome("Error", (False, reason, text), "retry" if then == "retry" else "wait",
                   conditions={"Synced": (False, reason, text)}, event=("Warning", reason, text))


def _active(text: str, fields: dict[str, Any], untouched: tuple[bool, str, str]) -> Outcome:
    return Outcome("Active", (True, "Succeeded", text), "resync", fields=fields,
                   conditions={"Untouched": untouched, "DryRun": (False, "Succeeded", "")})


async def sync_kv_secret(obj: KVObject, client: BorrowedClient, identity: str, tenancy: TenancySettings,
                         read_secret: ReadSecret, drift_check: bool, now: Callable[[], str]) -> Outcome:
    status, path = obj.status, obj.spec.path
    known = status.vault_path == path and status.mount is not None
    if known and status.phase == "Active" and not drift_check and not flag(obj.annotations, DRY_RUN):
        return _active(_ready_text(status), {}, _untouched_of(status))  # nothing asked for a look at Vault
    try:
        where = locate(path, status.mount) if known and status.mount else await find_mount(client, path)
        check_kv_path(path, where.mount, obj.namespace, tenancy)
        fields: dict[str, Any] = {"vault_path": path, "mount": where.mount}
        live = await read_metadata(client, where)
        if live is None:
            if flag(obj.annotations, DRY_RUN):
                text = f"dry run: would seed {path} ({_keys(obj.spec)}); nothing written"
                return Outcome(status.phase or "Pending", (False, "DryRun", text), "resync", fields=fields,
                               conditions={"DryRun": (True, "DryRunSkipped", text)}, event=("Normal", "DryRun", text))
            return await _seed(obj, client, where, identity, read_secret, fields, now)
        return await _existing(obj, client, where, live, identity, fields, now)
    except NotKV2Error as error:
        return failed("ValidationFailed", str(error), then="wait")
    except VaultAccessError as error:
        return failed(error.reason, error.message, then="retry" if error.retryable else "wait")


async def _seed(obj: KVObject, client: BorrowedClient, where: KVLocation, identity: str, read_secret: ReadSecret,
                fields: dict[str, Any], now: Callable[[], str]) -> Outcome:
    values = dict(obj.spec.data or {})
    for key, source in (obj.spec.data_from or {}).items():
        ref = source.secret_key_ref
        try:
            values[key] = await read_secret(obj.namespace, ref.name, ref.key)
        except VaultAccessError as error:
            return failed("SecretNotReadable", f"spec.dataFrom.{key}: {error.message}")
    for value in values.values():
        REDACTOR.remember(value)  # in case anything on the way echoes it
    try:
        version = await create_only(client, where, values)
    finally:
        for value in values.values():
            REDACTOR.forget(value)
        values.clear()
    if version is None:  # someone created it between our read and our write
        live = await read_metadata(client, where)
        if live is not None:
            return await _existing(obj, client, where, live, identity, fields, now)
        return failed("Failed", f"{obj.spec.path} neither could be created nor exists: try again")
    seeded = {**fields, "seeded": True, "seeded_version": version, "current_version": version}
    try:
        await stamp(client, where, owner_stamp(identity, obj.resource, version, now()), {})
    except VaultAccessError as error:  # the next pass stamps it (status knows it is ours)
        outcome = failed(error.reason, f"seeded {obj.spec.path} (version {version}) but could not record the "
                         f"ownership in its custom_metadata: {error.message}")
        outcome.fields, outcome.wrote = seeded, True
        return outcome
    # Ready says what every later pass says (_ready_text): a message of its own would cost a second status write.
    ready = f"seeded {obj.spec.path} (version {version})"
    outcome = _active(ready, seeded, (True, "SeededVersion", f"still at the seeded version {version}"))
    outcome.wrote, outcome.event = True, ("Normal", "Seeded", f"{ready[:-1]}, {_keys(obj.spec)})")
    return outcome


async def _existing(obj: KVObject, client: BorrowedClient, where: KVLocation, live: KVMetadata, identity: str,
                    fields: dict[str, Any], now: Callable[[], str]) -> Outcome:
    status, path = obj.status, obj.spec.path
    ours = live.owned_by(identity, obj.resource)
    seeded_here = bool(status.seeded) and status.vault_path in (None, path)
    if not ours and seeded_here and status.seeded_version and not live.custom.get("managed-by"):
        # This object seeded it but the stamp failed: record the ownership now.
        await stamp(client, where, owner_stamp(identity, obj.resource, status.seeded_version, now()), live.custom)
        ours = True
    fields = {**fields, "current_version": live.current_version}
    if not ours:
        fields.update(seeded=bool(seeded_here), seeded_version=status.seeded_version if seeded_here else None)
        owner = live.custom.get("k8s-resource") if live.custom.get("managed-by") else None
        text = f"{path} already exists{f' (seeded by {owner})' if owner else ''}; left untouched (create-only)"
        return _active(text, fields, (False, "NotSeededHere", "not seeded by this object: delete keeps it"))
    version = status.seeded_version if seeded_here and status.seeded_version else live.seeded_version
    fields.update(seeded=True, seeded_version=version)
    merged = status.model_copy(update=fields)
    return _active(_ready_text(merged), fields, _untouched_of(merged))


def _untouched_of(status: KVSecretStatus) -> tuple[bool, str, str]:
    if not status.seeded:
        return False, "NotSeededHere", "not seeded by this object: delete keeps it"
    if status.seeded_version is not None and status.current_version == status.seeded_version:
        return True, "SeededVersion", f"still at the seeded version {status.seeded_version}"
    return (False, "WrittenSinceSeeding", f"written since seeding (version {status.current_version}, seeded "
            f"{status.seeded_version}): delete keeps it")


def _ready_text(status: KVSecretStatus) -> str:
    if status.seeded:
        return f"seeded {status.vault_path} (version {status.seeded_version})"
    return f"{status.vault_path} already exists; left untouched (create-only)"


def _keys(spec: VaultKVSecretSpec) -> str:
    count = len(spec.data or {}) + len(spec.data_from or {})
    return f"{count} key{'s' if count != 1 else ''}" if count else "empty"


def timestamp(clock: Clock) -> Callable[[], str]:
    """RFC 3339 now, for the ownership stamp's managed-at and last-updated."""
    return lambda: rfc3339(clock()) or ""
