"""A role held for its policy's first report waits for that report, not for the policy's first sight.

When kopf lists the roles before their policies, each role's first pass finds its policy unreported and is held;
the watch showing the policy (still without a status) woke the role for a full pass that was held again, and the
policy's report woke it once more: 2,300 - 2,600 held passes for 1,500 roles in a 3,000-object bench.access_sync
(bench/README.md, session 10). Counted here: the roles' passes. Every other wake-up stays: a policy shown already
synced, a role that reported "does not exist", a deleted policy, the end of the hold.
"""

from __future__ import annotations

import asyncio
import datetime
from collections import Counter
from typing import Any

import pytest

from tests.support.access_fakes import QUIET_RESYNC_SECONDS, StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY, VAULT_ROLE

N = 40


class Policies:
    """A policy's pass reports Active once ``gate`` opens (its first pass is on its way until then)."""

    kind = VAULT_POLICY

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        await self.gate.wait()
        return Outcome("Active", (True, "Succeeded", "synced"), "wait",
                       fields={"vault_name": raw["metadata"]["name"]})

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


class Roles:
    """Role r-i grants policy p-i, resolved from what the controller knows (as the real role's pass does): not
    known, "does not exist" if ``missing_reported`` (the API server had none), else held (the API server has it,
    unsynced); known but unreported: held; Active: resolved."""

    kind = VAULT_ROLE

    def __init__(self, controller: AccessController, missing_reported: bool = False) -> None:
        self.controller, self.missing_reported = controller, missing_reported
        self.passes: Counter[str] = Counter()
        self.shown: dict[str, str] = {}

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        name = raw["metadata"]["name"]
        self.passes[name] += 1
        policy = ("VaultPolicy", "team", "p" + name[1:])
        seen = self.controller.view(policy)
        if seen is None and self.missing_reported:
            outcome = Outcome("Pending", (False, "PolicyNotFound", "does not exist"), "wait")
        elif seen is None or seen[1].get("phase") != "Active":
            outcome = Outcome("Pending", (False, "PolicyNotInVault", "not synced yet"), "wait", hold=True)
        else:
            outcome = Outcome("Active", (True, "Succeeded", "synced"), "wait")
        outcome.depends_on = (policy,)
        self.shown[name] = outcome.ready[2]
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


def _object(name: str, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "generation": 1},
            "spec": {"connectionRef": "vault"}, **extra}


def _controller(**settings: Any) -> AccessController:
    settings.setdefault("resync_seconds", QUIET_RESYNC_SECONDS)  # no drift check among the passes counted
    return AccessController(ConnectionRegistry(), StatusSink(), _no_event, AccessSettings(**settings),  # type: ignore[arg-type]
                            lambda: datetime.datetime.now(datetime.UTC))


async def _quiet() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_roles_listed_before_their_policies_pass_once_more_when_the_policies_report() -> None:
    controller = _controller()
    roles, policies = Roles(controller), Policies()
    for i in range(N):
        controller.observe(roles, _object(f"r{i}"))
    await _quiet()
    assert sum(roles.passes.values()) == N  # each held: its policy is not known yet
    for i in range(N):
        controller.observe(policies, _object(f"p{i}"))  # shown, unreported: no role can resolve it yet
    await _quiet()
    assert sum(roles.passes.values()) == N, "held roles passed again for policies merely seen"
    policies.gate.set()  # the policies report
    await _quiet()
    assert sum(roles.passes.values()) == 2 * N and set(roles.shown.values()) == {"synced"}
    await controller.close()


@pytest.mark.asyncio
async def test_a_policy_shown_synced_wakes_a_held_role_at_once() -> None:
    controller = _controller()
    roles, policies = Roles(controller), Policies()
    controller.observe(roles, _object("r0"))
    await _quiet()
    # A restart: the policy shows its status (it settles, waiting for its connection; its pass has not run).
    controller.observe(policies, _object("p0", status={"phase": "Active", "vaultName": "p0"}))
    await _quiet()
    assert roles.passes["r0"] == 2 and roles.shown["r0"] == "synced"
    await controller.close()


@pytest.mark.asyncio
async def test_a_role_that_said_does_not_exist_looks_again_when_the_policy_appears() -> None:
    controller = _controller()
    roles, policies = Roles(controller, missing_reported=True), Policies()
    controller.observe(roles, _object("r0"))
    await _quiet()
    assert roles.shown["r0"] == "does not exist"
    controller.observe(policies, _object("p0"))
    await _quiet()
    assert roles.passes["r0"] == 2 and roles.shown["r0"] == "not synced yet"
    policies.gate.set()
    await _quiet()
    assert roles.passes["r0"] == 3 and roles.shown["r0"] == "synced"
    await controller.close()


@pytest.mark.asyncio
async def test_a_deleted_policy_wakes_its_held_role() -> None:
    controller = _controller()
    roles, policies = Roles(controller), Policies()
    controller.observe(roles, _object("r0"))
    controller.observe(policies, _object("p0"))
    await _quiet()
    passes = roles.passes["r0"]
    controller.observe(policies, _object("p0", metadata={"name": "p0", "namespace": "team", "uid": "uid-p0",
                                                         "generation": 1, "deletionTimestamp": "2026-12-01T00:00:00Z"}))
    await _quiet()
    assert roles.passes["r0"] == passes + 1
    await controller.forget(VAULT_POLICY, _object("p0"))
    await _quiet()
    assert roles.passes["r0"] == passes + 2
    await controller.close()


@pytest.mark.asyncio
async def test_a_held_role_reports_when_its_hold_ends() -> None:
    controller = _controller(connection_grace_seconds=0.1)
    roles, policies = Roles(controller), Policies()
    controller.observe(roles, _object("r0"))
    controller.observe(policies, _object("p0"))  # never reports
    for _ in range(40):
        await asyncio.sleep(0.01)
    tracked = controller._objects["VaultRole", "team", "r0"]
    assert tracked.held is None and tracked.wrote_status  # reported "not synced yet" after all
    assert roles.passes["r0"] == 2
    await controller.close()
