"""One sync pass of a VaultRole or VaultClusterRole: resolve, decide, write to Vault if needed, say what happened.

Like the policy pass (policy_sync.py): an unchanged role (the hash of its whole payload equals
``lastAppliedHash``) costs no Vault call, except the drift check at the resync interval; a write is always
read back. The payload is whole (a field left out of the spec is reset), so one hash covers everything.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..borrowed import BorrowedClient
from ..clip import clip
from ..errors import VaultAccessError
from ..role_writer import RoleBinding
from .hcl import Ownership
from .name_snapshot import NameSnapshots, may_stand_in
from .outcome import ADOPT, ALLOW_DESTRUCTIVE, DRY_RUN, ConditionValue, Outcome, flag
from .policy_object import ACL_FOLDER
from .policy_sync import MESSAGE_LIMIT, ownership_verdict
from .role_object import RoleObject
from .role_refs import Resolution
from .role_target import RoleTarget
from .verdicts import drift_outcome

NOT_RESOLVED = "PolicyNotInVault"


def failed(text: str, reason: str, then: str = "wait", phase: str = "Error") -> Outcome:
    text = clip(text, MESSAGE_LIMIT)
    return Outcome(phase, (False, reason, text), "retry" if then == "retry" else "wait",
                   conditions={"Synced": (False, reason, text)}, event=("Warning", reason, text))


def payload_hash(path: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps({"path": path, "payload": payload}, sort_keys=True).encode()).hexdigest()


def unresolved(obj: RoleObject, resolution: Resolution, fields: dict[str, Any]) -> Outcome:
    """Not written with a partial list: a role granting fewer policies than its spec says would look Ready."""
    text = ("policy references not resolved: " + "; ".join(resolution.pending) +
            "; the role is written once they are synced")
    outcome = failed(text, NOT_RESOLVED, phase=obj.status.phase if obj.status.phase == "Active" else "Pending")
    outcome.conditions["PoliciesResolved"] = (False, NOT_RESOLVED, clip(text, MESSAGE_LIMIT))
    outcome.fields = fields
    return outcome


def _ownership(record: Any) -> Ownership:
    get = record.get if record else (lambda _key: None)
    return Ownership(get("managed-by"), get("auth-mount") or None, get("cluster") or None, get("k8s-resource"),
                     get("k8s-kind"))


async def _missing_policies(client: BorrowedClient, policies: tuple[str, ...],
                            names: NameSnapshots | None) -> list[str]:
    """The granted policies Vault does not hold. Only existence is asked, so a fresh LIST of the policies may
    answer for a policy it shows: a burst of roles synced with their policies, and the steady stream of drift
    checks of thousands of roles (17 a second for 5,000 roles at 300 s), read none of them; a lone check reads."""
    missing = []
    for policy in policies:
        if names is not None and await names.present(client, ACL_FOLDER, policy):
            continue
        if await client.read(f"{ACL_FOLDER}/{policy}") is None:
            missing.append(policy)
    return missing


async def _live_role(client: BorrowedClient, path: str, binding: RoleBinding, stand_in: bool,
                     names: NameSnapshots | None) -> dict[str, Any] | None:
    """The role at ``path``; None when absent, a fresh LIST of the mount's roles saying so for a role never written
    there (only for the common ``auth/<mount>/role/<name>`` layout, which every role backend can LIST)."""
    folder = f"auth/{binding.mount}/role"
    if stand_in and names is not None and path == f"{folder}/{binding.vault_name}" and await names.absent(
            client, folder, binding.vault_name):
        return None
    return await client.read(path)


async def sync_role(obj: RoleObject, client: BorrowedClient, binding: RoleBinding, target: RoleTarget,
                    config: Any, drift_mode: str, drift_check: bool, fields: dict[str, Any],
                    names: NameSnapshots | None = None) -> Outcome:
    """One pass; ``names``: a fresh LIST may stand in for the read of a role never written (name_snapshot.py)."""
    writer = target.writer
    try:
        payload = writer.payload(binding, config)
    except VaultAccessError as error:
        return failed(error.message, "ValidationFailed" if error.reason == "InvalidSpec" else error.reason)
    path = writer.role_path(binding)
    digest, status = payload_hash(path, payload), obj.status
    dry_run = flag(obj.annotations, DRY_RUN)
    recorded = status.binding.vault_path if status.binding else None
    applied = status.last_applied_hash is not None and recorded == path
    unchanged = applied and status.last_applied_hash == digest
    drifted_before = any(c.type == "Drifted" and c.status == "True" for c in status.conditions)
    settled = status.phase == "Active" and not drifted_before and not dry_run
    if unchanged and settled and not (drift_check and drift_mode != "ignore"):
        return _active(fields)
    name = binding.vault_name
    try:
        stand_in = may_stand_in(applied, status.phase)
        if missing := await _missing_policies(client, binding.policies, names):
            gone = ", ".join(missing)
            text = (f"policies not in Vault: {gone} (their objects say synced: deleted in Vault by hand?); the role "
                    "is written once they are back")
            outcome = failed(text, NOT_RESOLVED, phase=status.phase if status.phase == "Active" else "Pending")
            outcome.conditions["PoliciesResolved"] = (False, NOT_RESOLVED, text)
            outcome.fields = fields
            outcome.then = "resync"  # the policy objects may not change when their policy comes back: look again
            return outcome
        live = await _live_role(client, path, binding, stand_in, names)
        if unchanged and not dry_run:
            differences = [] if live is None else writer.differences(payload, live)
            if drift_mode == "ignore" or (live is not None and not differences):
                return _active(fields)
            what = "was deleted in Vault by hand" if live is None else (
                f"was changed in Vault by hand ({', '.join(differences)})")
            text = f"Vault role {name} at auth/{binding.mount} {what}"
            if (reported := drift_outcome(text, drift_mode, live is None, obj.annotations, fields)) is not None:
                return reported
        if live is not None:
            adopt = obj.spec.conflict_policy == "Adopt" or flag(obj.annotations, ADOPT)
            ours = _ownership(binding.ownership)
            verdict = ownership_verdict(_ownership(writer.ownership_of(live)), ours, applied, adopt)
            if verdict is not None:
                text = f"Vault role {name} at auth/{binding.mount} {verdict}"
                return Outcome("Conflict", (False, "Conflict", text), "resync",
                               conditions={"Synced": (False, "Conflict", text)}, fields=fields,
                               event=("Warning", "Conflict", text))
        if dry_run:
            action = "create" if live is None else ("leave" if not writer.differences(payload, live) else "overwrite")
            text = f"dry run: would {action} Vault role {name} at auth/{binding.mount}; nothing written"
            return Outcome(status.phase or "Pending", (False, "DryRun", text), "resync", fields=fields,
                           conditions={"DryRun": (True, "DryRunSkipped", text)}, event=("Normal", "DryRun", text))
        await client.write(path, payload)
        back = await client.read(path)
        off = ["the role is missing"] if back is None else writer.differences(payload, back)
        if off:
            return failed(f"Vault role {name} at auth/{binding.mount} read back different from what was written "
                          f"({', '.join(off)})", "ReadbackMismatch", then="retry")
    except VaultAccessError as error:
        return failed(error.message, error.reason, then="retry")
    outcome = _active({**fields, "last_applied_hash": digest})
    outcome.wrote = True
    written = f"Vault role {name} written at auth/{binding.mount} ({len(binding.policies)} policies)"
    outcome.event, outcome.event_ours = ("Normal", "DriftCorrected" if unchanged else "Synced", written), True
    if unlisted := fields.get("unlisted_service_accounts"):
        outcome.event = ("Warning", "UnlistedAccountsAdmitted", f"{written}; it also admits {', '.join(unlisted)}")
        outcome.event_ours = False
    if recorded and recorded != path and status.last_applied_hash:
        left = await drop_old_role(client, recorded, writer, binding)  # may quote Vault's error: masked
        outcome.event = ("Warning", "StaleVaultRoleKept", f"{written}; {left}") if left else (
            "Normal", "Moved", f"{written}; {recorded} deleted")
        outcome.event_ours = False
    if unchanged and live is not None:
        outcome.drop_annotation = ALLOW_DESTRUCTIVE  # single use, as in the replaced operator
    return outcome


async def drop_old_role(client: BorrowedClient, old_path: str, writer: Any, binding: RoleBinding) -> str | None:
    """After a rename or a mount change, delete the role at the path recorded before, if ours; None when done."""
    try:
        live = await client.read(old_path)
        if live is None:
            return None
        owner = _ownership(writer.ownership_of(live))
        if owner.managed and owner.k8s_resource != binding.ownership.get("k8s-resource"):
            return f"{old_path} (the role recorded before) now belongs to {owner.k8s_resource}: left"
        await client.delete(old_path)
    except VaultAccessError as error:
        return f"{old_path} (the role recorded before) not deleted: {error.message}"
    return None


def _active(fields: dict[str, Any]) -> Outcome:
    unlisted = fields.get("unlisted_service_accounts")
    conditions: dict[str, ConditionValue] = {
        "PoliciesResolved": (True, "AllPoliciesExist", ""), "Drifted": (False, "NoDrift", ""),
        "DryRun": (False, "Succeeded", ""),
        "UnlistedAccountsAdmitted": (True, "NamesTimesNamespaces",
                                     "Vault's kubernetes roles admit every listed name in every listed namespace: "
                                     f"{', '.join(unlisted)} can log in too; list one VaultClusterRole per "
                                     "namespace to avoid it") if unlisted else (False, "OnlyListed", ""),
    }
    return Outcome("Active", (True, "Succeeded", "Role synced to Vault"), "resync", fields=fields,
                   conditions=conditions)
