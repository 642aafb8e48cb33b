"""An access object's next status (core/access/status_writer.py): what it shows, and what building it costs.

Each pass that reports builds the next status from the last; a drift check's pass (one per object per interval)
changes nothing. Building all five conditions anew and formatting the time for each was about a third of that work
(the other parts: the model validated, compared, dumped): counted here.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from vault_access_operator import conditions as conditions_module
from vault_access_operator.access import status_writer
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_sync import _active
from vault_access_operator.access.status_writer import next_status, previous_status
from vault_access_operator.clock import rfc3339
from vault_access_operator.conditions import Condition, status_body
from vault_access_operator.kinds import VAULT_POLICY, VAULT_ROLE

T0 = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
LATER = T0 + datetime.timedelta(minutes=5)
FIELDS = {"vault_name": "vao.default.team-a.app", "rules_count": 1, "effective_drift_mode": "detect"}


def written() -> Outcome:
    outcome = _active({**FIELDS, "last_applied_hash": "h1"})
    outcome.wrote = True
    return outcome


class Counts:
    """Condition models built and times formatted (in this module and in core/conditions.py, which built them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.conditions = self.stamps = 0
        plain_init, plain_stamp = Condition.__init__, rfc3339  # the function both modules call by this name

        def init(model: Condition, **values: Any) -> None:
            self.conditions += 1
            plain_init(model, **values)

        def stamp(now: datetime.datetime | None) -> str | None:
            self.stamps += 1
            return plain_stamp(now)

        monkeypatch.setattr(Condition, "__init__", init)
        monkeypatch.setattr(status_writer, "rfc3339", stamp)
        monkeypatch.setattr(conditions_module, "rfc3339", stamp)


def test_a_first_write_shows_every_condition_dated_once() -> None:
    status = status_body(next_status(VAULT_POLICY, previous_status(VAULT_POLICY, None), written(), 4, T0))
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Synced", "ConnectionReady", "Drifted", "DryRun"]
    assert {c["lastTransitionTime"] for c in status["conditions"]} == {"2026-11-30T12:00:00Z"}
    assert {c["observedGeneration"] for c in status["conditions"]} == {4}
    assert status["lastSyncedAt"] == "2026-11-30T12:00:00Z" and status["phase"] == "Active"
    assert status["vaultName"] == FIELDS["vault_name"] and status["lastAppliedHash"] == "h1"
    assert "message" not in status


def test_a_pass_that_changes_nothing_gives_the_status_it_started_from() -> None:
    first = next_status(VAULT_POLICY, previous_status(VAULT_POLICY, None), written(), 4, T0)
    again = previous_status(VAULT_POLICY, status_body(first))  # as the next pass reads it
    checked = next_status(VAULT_POLICY, again, _active(dict(FIELDS)), 4, LATER)
    assert checked == again and status_body(checked) == status_body(first)


def test_times_move_only_where_a_status_flips_and_a_new_generation_is_recorded() -> None:
    first = next_status(VAULT_POLICY, previous_status(VAULT_POLICY, None), written(), 4, T0)
    failed = Outcome("Error", (False, "Failed", "Vault said no"), "retry",
                     conditions={"Synced": (False, "Failed", "Vault said no")})
    status = status_body(next_status(VAULT_POLICY, first, failed, 5, LATER))
    shown = {c["type"]: c for c in status["conditions"]}
    assert shown["Ready"]["lastTransitionTime"] == shown["Synced"]["lastTransitionTime"] == "2026-11-30T12:05:00Z"
    assert shown["ConnectionReady"]["lastTransitionTime"] == "2026-11-30T12:00:00Z"  # still True: not moved
    assert shown["ConnectionReady"]["observedGeneration"] == 5
    assert shown["Drifted"]["observedGeneration"] == 4  # not checked in this pass: carried over as it was
    assert status["message"] == "Vault said no" and status["lastSyncedAt"] == "2026-11-30T12:00:00Z"


def test_a_roles_status_keeps_its_nested_fields() -> None:
    outcome = Outcome("Active", (True, "Succeeded", "Role synced to Vault"), "resync", fields={
        "vault_role_name": "vao.default.team-a.r", "binding": {"vault_path": "auth/kubernetes/role/x",
                                                               "vault_resource_name": "x", "auth_mount": "kubernetes",
                                                               "family": "kubernetes"},
        "policy_bindings": [{"k8s_ref": "VaultPolicy/team-a/p", "vault_policy_path": "sys/policies/acl/p",
                             "resolved": True}]})
    first = next_status(VAULT_ROLE, previous_status(VAULT_ROLE, None), outcome, 1, T0)
    again = next_status(VAULT_ROLE, first, Outcome("Active", (True, "Succeeded", "Role synced to Vault"), "resync"),
                        1, LATER)
    body = status_body(again)
    assert body["binding"]["vaultPath"] == "auth/kubernetes/role/x"
    assert body["policyBindings"] == [{"k8sRef": "VaultPolicy/team-a/p", "vaultPolicyPath": "sys/policies/acl/p",
                                       "resolved": True}]
    assert again == first


def test_building_a_status_makes_only_the_conditions_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = Counts(monkeypatch)
    first = next_status(VAULT_POLICY, previous_status(VAULT_POLICY, None), written(), 4, T0)
    assert (counts.conditions, counts.stamps) == (5, 1)  # before: 5 conditions, the time formatted 6 times
    body = status_body(first)
    for _ in range(100):  # drift checks that find nothing: each pass starts from the status as read back
        next_status(VAULT_POLICY, previous_status(VAULT_POLICY, body), _active(dict(FIELDS)), 4, LATER)
    assert (counts.conditions, counts.stamps) == (5, 1)  # before: 500 conditions built (and 0 stamps)
