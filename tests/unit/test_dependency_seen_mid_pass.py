"""A role whose pass read its policy from the API server, while the watch showed (and synced) it, passes again.

A role resolves a policy the watch has not shown yet by reading the API server; if the watch shows the policy while
that read is on its way, the wake-up the policy's arrival sends goes out before the role depends on it. A role held
("its policies' first passes are about to come") then waited its whole grace, 60 s: the last roles of a 1,000-object
bench.access_sync run turned Active after 63 s instead of 5 s, in two runs of five. Counted here: the role's passes.
"""

from __future__ import annotations

import asyncio
import datetime
from collections import Counter
from typing import Any

import pytest

from tests.support.access_fakes import StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY, VAULT_ROLE

POLICY = ("VaultPolicy", "team", "p")


class Counted:
    """Passes, counted: a role's report nothing (held, its policy not synced yet) and the first one waits for
    ``reading``; a policy's report Active when ``synced``, else nothing (its first pass is still to come)."""

    def __init__(self, kind: Any, reading: asyncio.Event | None = None, synced: bool = False) -> None:
        self.kind, self.reading, self.synced = kind, reading, synced
        self.passes: Counter[str] = Counter()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        name = raw["metadata"]["name"]
        self.passes[name] += 1
        if self.kind is VAULT_POLICY and self.synced:
            return Outcome("Active", (True, "Succeeded", "Policy synced to Vault"), "wait",
                           fields={"vault_name": "vao.default.team.p"})
        if self.reading is not None and self.passes[name] == 1:
            await self.reading.wait()  # the API server read of the policy, on its way
        outcome = Outcome("Pending", (False, "PolicyNotInVault", "not synced yet"), "wait", hold=True)
        if self.kind is VAULT_ROLE:
            outcome.depends_on = (POLICY,)
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


def _object(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "generation": 1},
            "spec": {"connectionRef": "vault"}}


async def _role_passes(policy_synced: bool) -> int:
    controller = AccessController(ConnectionRegistry(), StatusSink(), _no_event, AccessSettings(),  # type: ignore[arg-type]
                                  lambda: datetime.datetime.now(datetime.UTC))
    reading = asyncio.Event()
    roles, policies = Counted(VAULT_ROLE, reading), Counted(VAULT_POLICY, synced=policy_synced)
    controller.observe(roles, _object("r"))
    await asyncio.sleep(0.02)
    assert roles.passes["r"] == 1  # its read of the policy is on its way
    controller.observe(policies, _object("p"))  # the watch shows the policy meanwhile; it may report at once
    await asyncio.sleep(0.02)
    reading.set()
    for _ in range(30):
        await asyncio.sleep(0.01)
    await controller.close()
    return roles.passes["r"]


@pytest.mark.asyncio
async def test_a_policy_seen_and_synced_during_the_roles_read_wakes_the_role() -> None:
    assert await _role_passes(policy_synced=True) == 2, "the role waited for its grace, its policy synced"


@pytest.mark.asyncio
async def test_a_policy_seen_unsynced_during_the_roles_read_costs_no_second_pass() -> None:
    # Its report will wake the role (the role depends on it by then): a pass now would find nothing new.
    assert await _role_passes(policy_synced=False) == 1
