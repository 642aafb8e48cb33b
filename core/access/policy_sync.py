"""One sync pass of a VaultPolicy or VaultClusterPolicy: decide, write to Vault if needed, say what happened.

Vault is touched only when needed: an unchanged document (its hash equals ``lastAppliedHash``) costs no call
at all, except the drift check at the resync interval (one read). A write is always read back.
"""

from __future__ import annotations

from typing import Any

import pydantic

from ..borrowed import BorrowedClient
from ..clip import clip
from ..errors import VaultAccessError
from .discovery_hold import discovery_pending
from .hcl import Ownership, document_hash, owner_record, read_ownership, render_policy
from .hcl_parse import same_rules
from .name_snapshot import NameSnapshots, may_stand_in
from .naming import vault_object_name
from .outcome import ADOPT, ALLOW_DESTRUCTIVE, DRY_RUN, RECONCILE_NOW, Outcome, flag
from .policy_delete import drop_stale_name
from .policy_models import VaultPolicySpec
from .policy_object import ACL_FOLDER, PolicyObject, acl_path
from .tenancy import PolicyScope, TenancySettings, check_policy_rules
from .verdicts import drift_outcome

MESSAGE_LIMIT = 4096


def boundary_violation(obj: PolicyObject) -> str | None:
    """The replaced operator's enforceNamespaceBoundary, with ``+`` counted as the glob it is."""
    if not isinstance(obj.spec, VaultPolicySpec) or not obj.spec.enforce_namespace_boundary:
        return None
    for index, rule in enumerate(obj.spec.rules):
        head, found, _ = rule.path.partition("{{namespace}}")
        if not found or "*" in head or "+" in head:
            return (f"spec.rules[{index}].path {rule.path!r} must contain {{{{namespace}}}} with no * or + before it "
                    "(spec.enforceNamespaceBoundary is true)")
    return None


def cluster_namespace_violation(obj: PolicyObject) -> str | None:
    """A VaultClusterPolicy has no namespace: {{namespace}} would become "" (``a/{{namespace}}/b`` → ``a//b``,
    never the path meant), as the replaced operator wrote it without a word. Refused, naming the rule."""
    if obj.namespace is not None:
        return None
    for index, rule in enumerate(obj.spec.rules):
        if "{{namespace}}" in rule.path:
            return (f"spec.rules[{index}].path {rule.path!r} uses {{{{namespace}}}}, but a {obj.kind} is "
                    "cluster-scoped and has no namespace: write the namespace out, or use a VaultPolicy in that "
                    "namespace")
    return None


def _error(error: VaultAccessError | str, reason: str = "Failed", then: str = "retry") -> Outcome:
    text = clip(error if isinstance(error, str) else error.message, MESSAGE_LIMIT)
    why = reason if isinstance(error, str) else error.reason
    return Outcome("Error", (False, why, text), "retry" if then == "retry" else "wait",
                   conditions={"Synced": (False, why, text)}, event=("Warning", why, text))


def _conflict(reason: str, text: str) -> Outcome:
    return Outcome("Conflict", (False, reason, text), "resync", conditions={"Synced": (False, reason, text)},
                   event=("Warning", reason, text))


def ownership_verdict(live: Ownership, ours: Ownership, applied_before: bool, adopt: bool) -> str | None:
    """None when we may write over ``live``; else why not (a Conflict message)."""
    if live.managed:
        if live.identity != ours.cluster:
            return (f"owned by another operator identity ({live.identity or 'none'}; this one is {ours.cluster}): "
                    "never adopted; delete it in Vault or use another --cluster-name")
        if live.k8s_resource != ours.k8s_resource or (live.k8s_kind and live.k8s_kind != ours.k8s_kind):
            return f"owned by {live.k8s_kind or 'an object'} {live.k8s_resource}: never adopted"
        return None
    if applied_before or adopt:
        return None  # ours once (its record removed by hand), or to be adopted
    return ("already exists in Vault and is not managed by this operator: set spec.conflictPolicy: Adopt "
            "(or the vault.platform.io/adopt: \"true\" annotation) to take it over")


async def sync_policy(obj: PolicyObject, client: BorrowedClient, identity: str, drift_mode: str,
                      tenancy: TenancySettings, drift_check: bool, vault_name: str | None = None,
                      names: NameSnapshots | None = None) -> Outcome:
    """One pass (``vault_name``: a name of its own, for discovery's adoption). ``vault.platform.io/reconcile-now``
    (any value) makes it compare Vault's copy as a resync does, and is removed once the pass succeeded (kept
    after a failure: the request stands until it is met). ``names``: a fresh LIST may stand in for the read of a
    name never written (name_snapshot.py)."""
    reconcile_now = bool(obj.annotations.get(RECONCILE_NOW))
    outcome = await _sync(obj, client, identity, drift_mode, tenancy, drift_check or reconcile_now, vault_name,
                          names)
    done = outcome.ready[0] or outcome.ready[1] in ("DryRun", "DiscoveryPending")
    if reconcile_now and done and outcome.drop_annotation is None:  # else the next pass, woken by that removal
        outcome.drop_annotation = RECONCILE_NOW
    return outcome


async def _sync(obj: PolicyObject, client: BorrowedClient, identity: str, drift_mode: str,
                tenancy: TenancySettings, drift_check: bool, vault_name: str | None,
                names: NameSnapshots | None) -> Outcome:
    try:
        check_policy_rules(obj.spec.rules, PolicyScope(obj.namespace), tenancy)
    except VaultAccessError as error:
        return _error(error, then="wait")
    if (violation := boundary_violation(obj) or cluster_namespace_violation(obj)) is not None:
        return _error(violation, "ValidationFailed", then="wait")
    vault_name = vault_name or vault_object_name(identity, obj.namespace, obj.name)  # a name of its own: adoption
    owner = owner_record(identity, obj.namespace, obj.name, obj.kind)
    document = render_policy(obj.spec.rules, obj.namespace, obj.name, owner)
    digest, status = document_hash(document), obj.status
    dry_run = flag(obj.annotations, DRY_RUN)
    applied = status.last_applied_hash is not None and status.vault_name == vault_name
    unchanged = applied and status.last_applied_hash == digest
    drifted_before = any(c.type == "Drifted" and c.status == "True" for c in status.conditions)
    settled = status.phase == "Active" and not drifted_before and not dry_run
    fields: dict[str, Any] = {"vault_name": vault_name, "rules_count": len(obj.spec.rules),
                              "effective_drift_mode": drift_mode}
    held = discovery_pending(obj.annotations, fields, "the rules are",
                             "replace spec.rules with the policy's real rules")
    if held is not None:
        return held
    if unchanged and settled and not (drift_check and drift_mode != "ignore"):
        return _active(fields)
    path = acl_path(vault_name)
    try:
        if names is not None and may_stand_in(applied, status.phase) and await names.absent(
                client, ACL_FOLDER, vault_name):
            live = None  # not there at a LIST seconds ago: nothing to check ownership of
        else:
            live_data = await client.read(path)
            live = None if live_data is None else str(live_data.get("policy") or live_data.get("rules") or "")
        if unchanged and not dry_run:
            if drift_mode == "ignore" or same_rules(document, live):
                return _active(fields)
            what = "was deleted in Vault by hand" if live is None else "was changed in Vault by hand"
            text = f"Vault policy {vault_name} {what}"
            if (reported := drift_outcome(text, drift_mode, live is None, obj.annotations, fields)) is not None:
                return reported
        if live is not None:
            adopt = obj.spec.conflict_policy == "Adopt" or flag(obj.annotations, ADOPT)
            verdict = ownership_verdict(read_ownership(live), owner, applied, adopt)
            if verdict is not None:
                outcome = _conflict("Conflict", f"Vault policy {vault_name} {verdict}")
                outcome.fields = fields
                return outcome
        if dry_run:
            action = "create" if live is None else ("leave" if same_rules(document, live) else "overwrite")
            text = f"dry run: would {action} Vault policy {vault_name} ({len(obj.spec.rules)} rules); nothing written"
            return Outcome(status.phase or "Pending", (False, "DryRun", text), "resync", fields=fields,
                           conditions={"DryRun": (True, "DryRunSkipped", text)}, event=("Normal", "DryRun", text))
        await client.write(path, {"policy": document})
        back = await client.read(path)
        if back is None or not same_rules(document, str(back.get("policy") or back.get("rules") or "")):
            return _error(f"Vault policy {vault_name} read back different from what was written", "ReadbackMismatch")
        if names is not None:
            names.written(client, ACL_FOLDER, vault_name)
    except VaultAccessError as error:
        return _error(error)
    outcome = _active({**fields, "last_applied_hash": digest})
    outcome.wrote = True
    written = f"Vault policy {vault_name} written ({len(obj.spec.rules)} rules)"
    outcome.event, outcome.event_ours = ("Normal", "DriftCorrected" if unchanged else "Synced", written), True
    if status.vault_name and status.vault_name != vault_name and status.last_applied_hash:
        left = await drop_stale_name(client, status.vault_name, obj)  # may quote Vault's error: masked
        outcome.event, outcome.event_ours = ("Warning", "StaleVaultNameKept", f"{written}; {left}") if left else (
            "Normal", "Renamed", f"{written}; {status.vault_name} deleted"), False
    if unchanged and live is not None:
        outcome.drop_annotation = ALLOW_DESTRUCTIVE  # single use, as in the replaced operator
    return outcome


def _active(fields: dict[str, Any]) -> Outcome:
    return Outcome("Active", (True, "Succeeded", "Policy synced to Vault"), "resync", fields=fields,
                   conditions={"Drifted": (False, "NoDrift", ""), "DryRun": (False, "Succeeded", "")})


def parse_failure(error: pydantic.ValidationError) -> Outcome:
    problems = "; ".join(f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
    return _error(problems, "ValidationFailed", then="wait")
