"""The replaced operator's annotations that steer a pass: reconcile-now and discovery-pending."""

from __future__ import annotations

import asyncio
from typing import Any

from vault_access_operator.access.hcl import document_hash, owner_record, render_policy
from vault_access_operator.access.policy_models import PolicyStatus
from vault_access_operator.access.policy_object import PolicyObject, parse_spec
from vault_access_operator.access.policy_sync import sync_policy
from vault_access_operator.access.tenancy import TenancySettings
from vault_access_operator.errors import VaultPermissionDeniedError

RULES = [{"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]
RECONCILE_NOW = "vault.platform.io/reconcile-now"
DISCOVERY_PENDING = "vault.platform.io/discovery-pending"
NAME = "vao.default.team-a.app"


class Vault:
    """Vault's ACL policies in a dict, every call recorded; ``refuse`` makes every call a 403."""

    def __init__(self, policies: dict[str, str] | None = None, refuse: bool = False) -> None:
        self.policies, self.refuse, self.calls = dict(policies or {}), refuse, list[tuple[str, str]]()

    def _call(self, method: str, path: str) -> str:
        self.calls.append((method, path))
        if self.refuse:
            raise VaultPermissionDeniedError("permission denied", status=403, path=path, vault_text="denied")
        return path.removeprefix("sys/policies/acl/")

    async def read(self, path: str) -> dict[str, Any] | None:
        name = self._call("GET", path)
        return {"policy": self.policies[name]} if name in self.policies else None

    async def write(self, path: str, data: dict[str, Any]) -> None:
        self.policies[self._call("PUT", path)] = data["policy"]


DOCUMENT = render_policy(parse_spec("VaultPolicy", {"connectionRef": "v", "rules": RULES}).rules, "team-a", "app",
                         owner_record("default", "team-a", "app", "VaultPolicy"))


def synced(annotations: dict[str, str], **status: Any) -> PolicyObject:
    """The object as a pass sees it once it was written: Active, with the hash of the current document."""
    values = {"phase": "Active", "vault_name": NAME, "last_applied_hash": document_hash(DOCUMENT), **status}
    spec = parse_spec("VaultPolicy", {"connectionRef": "v", "rules": RULES})
    return PolicyObject("VaultPolicy", "app", "team-a", spec, annotations, PolicyStatus(**values))


def run(obj: PolicyObject, vault: Vault, mode: str = "detect") -> Any:
    return asyncio.run(sync_policy(obj, vault, "default", mode, TenancySettings(), False))  # type: ignore[arg-type]


def test_a_settled_object_costs_no_call_without_the_annotation() -> None:
    vault = Vault({NAME: DOCUMENT})
    outcome = run(synced({}), vault)
    assert (outcome.phase, vault.calls, outcome.drop_annotation) == ("Active", [], None)


def test_reconcile_now_compares_vaults_copy_at_once_then_is_removed() -> None:
    vault = Vault({NAME: DOCUMENT})
    outcome = run(synced({RECONCILE_NOW: "2031-01-01T00:00:00Z"}), vault)
    assert vault.calls == [("GET", f"sys/policies/acl/{NAME}")]
    assert (outcome.phase, outcome.drop_annotation) == ("Active", RECONCILE_NOW)


def test_reconcile_now_finds_a_hand_edit_and_corrects_it_in_correct_mode() -> None:
    vault = Vault({})  # deleted by hand: recreated without the allow-destructive annotation
    outcome = run(synced({RECONCILE_NOW: "x"}), vault, mode="correct")
    assert ("PUT", f"sys/policies/acl/{NAME}") in vault.calls and vault.policies[NAME] == DOCUMENT
    assert outcome.wrote and outcome.drop_annotation == RECONCILE_NOW
    vault = Vault({NAME: 'path "secret/*" { capabilities = ["sudo"] }'})
    outcome = run(synced({RECONCILE_NOW: "x"}), vault, mode="detect")
    assert outcome.conditions["Drifted"][0] is True and outcome.drop_annotation == RECONCILE_NOW


def test_reconcile_now_stays_after_a_failed_pass() -> None:
    outcome = run(synced({RECONCILE_NOW: "x"}), Vault(refuse=True))
    assert (outcome.phase, outcome.drop_annotation) == ("Error", None)


def test_an_empty_reconcile_now_is_no_request() -> None:
    vault = Vault({NAME: DOCUMENT})
    assert run(synced({RECONCILE_NOW: ""}), vault).drop_annotation is None and vault.calls == []


def test_discovery_pending_writes_nothing_and_says_what_to_do() -> None:
    vault = Vault({NAME: 'path "database/creds/x" { capabilities = ["read"] }'})  # the real policy, discovered
    fresh = PolicyObject("VaultPolicy", "app", "team-a", parse_spec("VaultPolicy", {
        "connectionRef": "v", "rules": RULES, "conflictPolicy": "Adopt"}), {DISCOVERY_PENDING: "true"}, PolicyStatus())
    outcome = run(fresh, vault)
    assert vault.calls == [] and (outcome.phase, outcome.ready[1], outcome.then) == ("Pending", "DiscoveryPending",
                                                                                     "wait")
    assert "last_applied_hash" not in outcome.fields and not outcome.wrote
    assert "replace spec.rules with the policy's real rules, then remove the annotation" in outcome.message
    assert run(synced({DISCOVERY_PENDING: "false"}), vault).phase == "Active"  # only "true" counts
