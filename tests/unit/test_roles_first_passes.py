"""A roles-first start: each role makes one held pass, then one synced pass (one Vault write) once its policy has
reported; each policy one pass.

``bench.access_sync --roles-first`` at 3,000 objects (bench/README.md, session 12): the roles' first passes with
the connection Active read their policies from the API server (the watch has not shown them yet), are held, and
the policies' reports, some while those reads are on their way, bring each role its synced pass. 80 roles and 86
policies made one more pass: none was run again by the controller's "a dependency appeared during the pass" rule;
each was its first drift check, due at a random point of the first interval (within the sync for about one in
fifteen) and skipped by the pass because the object had just been written and read back. The check is now set an
interval on when it is set, so no pass runs for it.

Driven here: the real AccessController, with only the kinds' passes faked; every first drift check falls due at
once (the rng), as it does in the bench for the objects whose random point falls within the sync.
"""

from __future__ import annotations

import asyncio
import datetime
import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.access_fakes import StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.verdicts import waiting_for_connection
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY, VAULT_ROLE
from vault_access_operator.status import Observation

N = 30
#: Long against the test (a check an interval on never comes), short enough that a second-precision
#: ``lastSyncedAt`` is well within its first half.
RESYNC_SECONDS = 10.0


class EarliestFirstChecks(random.Random):
    """Every first drift check due at once (a uniform point of the first interval that falls at its start)."""

    def random(self) -> float:
        return 0.0


class Policies:
    """A policy's pass writes Vault (unless ``write`` is off) and reports Active once ``gate`` opens; after that it
    only compares."""

    kind = VAULT_POLICY

    def __init__(self, write: bool = True, connection: bool = False) -> None:
        self.gate, self.write, self.connection = asyncio.Event(), write, connection
        self.passes: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        name = raw["metadata"]["name"]
        self.passes[name] += 1
        if self.connection and (handle is None or not handle.active):  # as every access kind's pass begins
            return waiting_for_connection(None, handle, "vault", "the policy syncs")
        await self.gate.wait()
        outcome = Outcome("Active", (True, "Succeeded", "synced"), "resync", fields={"vault_name": name})
        if self.write and (raw.get("status") or {}).get("phase") != "Active":
            self.writes[name] += 1
            outcome.wrote = True
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


class ApiServer:
    """The policies as a role's pass reads them when the controller has not seen them yet: the read waits for
    ``answer`` (a LIST on its way) and shows each policy unreported, or none if ``empty`` (the LIST was sent
    before they were created)."""

    def __init__(self, empty: bool = False) -> None:
        self.answer, self.empty = asyncio.Event(), empty
        self.reads = 0

    async def read(self, name: str) -> dict[str, Any] | None:
        self.reads += 1
        await self.answer.wait()
        return None if self.empty else {}


class Roles:
    """Role r-i grants policy p-i, resolved as the real role's pass does: from the controller's view, else from
    the API server; unreported: held; not found: "does not exist"; Active: synced (Vault written unless the role
    shows Active already, as an unchanged role's pass writes nothing)."""

    kind = VAULT_ROLE

    def __init__(self, controller: AccessController, api: ApiServer, connection: bool = False) -> None:
        self.controller, self.api, self.connection = controller, api, connection
        self.passes: Counter[tuple[str, str]] = Counter()  # (role, "held" | "missing" | "synced")
        self.writes: Counter[str] = Counter()

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        name = raw["metadata"]["name"]
        if self.connection and (handle is None or not handle.active):
            self.passes[name, "held for the login"] += 1
            return waiting_for_connection(None, handle, "vault", "the role syncs")
        policy = ("VaultPolicy", "team", "p" + name[1:])
        seen = self.controller.view_for_role(policy)
        status = seen[1] if seen is not None else await self.api.read(policy[2])
        if status is None:
            result, outcome = "missing", Outcome("Pending", (False, "PolicyNotFound", "does not exist"), "wait")
        elif status.get("phase") != "Active":
            result = "held"
            outcome = Outcome("Pending", (False, "PolicyNotInVault", "not synced yet"), "wait", hold=True)
        else:
            result, outcome = "synced", Outcome("Active", (True, "Succeeded", "synced"), "resync")
            if (raw.get("status") or {}).get("phase") != "Active":
                self.writes[name] += 1
                outcome.wrote = True
        outcome.depends_on = (policy,)
        self.passes[name, result] += 1
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")

    def by_result(self) -> Counter[str]:
        return Counter(result for (_, result), count in self.passes.items() for _ in range(count))


def _object(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "generation": 1},
            "spec": {"connectionRef": "vault"}}


def _controller(registry: ConnectionRegistry | None = None) -> AccessController:
    return AccessController(registry or ConnectionRegistry(), StatusSink(), _no_event,  # type: ignore[arg-type]
                            AccessSettings(resync_seconds=RESYNC_SECONDS),
                            lambda: datetime.datetime.now(datetime.UTC), rng=EarliestFirstChecks())


async def _quiet(rounds: int = 30) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0.01)


async def _roles_first(api: ApiServer) -> tuple[AccessController, Roles, Policies]:
    """N roles whose passes are reading their policies from the API server when the policies are seen and
    report; then the reads answer."""
    controller = _controller()
    roles, policies = Roles(controller, api), Policies()
    for i in range(N):
        controller.observe(roles, _object(f"r{i}"))
    await _quiet(3)
    assert api.reads == N  # every role's first pass is on its way
    for i in range(N):
        controller.observe(policies, _object(f"p{i}"))
    policies.gate.set()
    await _quiet(3)
    assert sum(policies.writes.values()) == N  # the policies reported while the roles' reads were on their way
    api.answer.set()
    await _quiet()
    return controller, roles, policies


@pytest.mark.asyncio
async def test_each_role_of_a_roles_first_start_makes_one_held_and_one_synced_pass() -> None:
    controller, roles, policies = await _roles_first(ApiServer())
    # Held by what the API server showed; run again at once (its policy reported meanwhile): synced, one write.
    assert roles.by_result() == {"held": N, "synced": N}, "passes beyond one held and one synced per role"
    assert set(roles.writes.values()) == {1} and len(roles.writes) == N
    # No second pass for a first drift check due right after the write (it would compare nothing).
    assert set(policies.passes.values()) == {1} and set(policies.writes.values()) == {1}
    await controller.close()


@pytest.mark.asyncio
async def test_a_role_that_said_does_not_exist_while_its_policy_reported_is_synced_at_once() -> None:
    # The guarantee of "a dependency appeared during the pass": the read answered from before the policies were
    # created, and their reports came before the role's pass knew it depends on them (no wake-up reached it).
    controller, roles, _ = await _roles_first(ApiServer(empty=True))
    assert roles.by_result() == {"missing": N, "synced": N}
    assert set(roles.writes.values()) == {1} and len(roles.writes) == N
    await controller.close()


@pytest.mark.asyncio
async def test_a_first_drift_check_long_after_the_write_still_runs() -> None:
    # Moved only when it would fall within half an interval of the write: an object whose pass writes nothing and
    # that was written an hour ago gets its first check when the draw says (here at once).
    controller, policies = _controller(), Policies(write=False)
    policies.gate.set()
    written = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    controller.observe(policies, _object("p0") | {"status": {"phase": "Pending",
                                                             "lastSyncedAt": written.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    await _quiet()
    assert policies.passes["p0"] >= 2  # the pass, then the drift check due at once
    await controller.close()


@pytest.mark.asyncio
async def test_objects_seen_during_the_connections_first_login_pass_only_once_it_is_done() -> None:
    # A start, or objects applied with their connection: a new object's pass before the first login would be
    # held for it; a role then made two held passes (the login, then its policy) before its synced one.
    registry, obs = ConnectionRegistry(), Observation(generation=1, method="kubernetes", mount="kubernetes")
    registry.attach("vault", obs, SimpleNamespace(session=SimpleNamespace(on_token=None, has_token=True)))  # type: ignore[arg-type]
    controller, api = _controller(registry), ApiServer()
    roles, policies = Roles(controller, api, connection=True), Policies(connection=True)
    for i in range(N):
        controller.observe(roles, _object(f"r{i}"))
    for i in range(N):
        controller.observe(policies, _object(f"p{i}"))
    policies.gate.set()
    await _quiet()
    assert roles.by_result() == {} and not policies.passes  # waiting for the login, silently, without a pass
    obs.phase = "Active"
    registry.phase_changed("vault")
    await _quiet()
    # Held only for a policy still unreported when the role looked (some policies pass first: the wake-ups' order).
    results = roles.by_result()
    assert results["synced"] == N and set(results) <= {"held", "synced"}
    assert max(roles.passes.values()) == 1  # no role held twice, none synced twice
    assert set(roles.writes.values()) == {1} and len(roles.writes) == N
    assert set(policies.passes.values()) == {1}
    await controller.close()
