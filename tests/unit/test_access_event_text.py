"""The Synced event of an access object is our words and names its status shows: posted without masking.

Masking it ran the redactor (the index of every registered token and JWT, the scans for secret shapes) once per
synced object, about 50 µs of the operator's CPU per object in an initial sync (bench/README.md, session 10). An
event that carries a Vault error text (a stale name left behind) is still masked, and a test shows a secret in it
does not reach the event.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from tests.support.access_fakes import StatusSink
from tests.support.counting_redactor import CountingRedactor
from vault_access_operator.access import pass_report as report_module
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.policy_models import PolicyStatus
from vault_access_operator.access.policy_object import PolicyObject, parse_spec
from vault_access_operator.access.policy_sync import sync_policy
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.tenancy import TenancySettings
from vault_access_operator.connection_handle import ConnectionHandle
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.errors import VaultAccessError
from vault_access_operator.kinds import VAULT_POLICY

SECRET = "hvs.CAESIJ5pY3Jlc3Qtc2VjcmV0LXRva2VuLXZhbHVl"


class MemoryVault:
    """A Vault client holding policies in a dict; reads of ``refused`` paths fail with a Vault error text."""

    def __init__(self, refused: str = "") -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.refused = refused

    async def read(self, path: str) -> dict[str, Any] | None:
        if self.refused and path.endswith(self.refused):
            raise VaultAccessError(f"permission denied (token {SECRET})")
        return self.data.get(path)

    async def write(self, path: str, data: dict[str, Any]) -> None:
        self.data[path] = dict(data)

    async def delete(self, path: str) -> None:
        self.data.pop(path, None)


def _policy(status: PolicyStatus | None = None) -> PolicyObject:
    spec = parse_spec("VaultPolicy", {"connectionRef": "vault",
                                      "rules": [{"path": "secret/data/app/*", "capabilities": ["read"]}]})
    return PolicyObject("VaultPolicy", "app", "team-a", spec, {}, status or PolicyStatus())


def _sync(obj: PolicyObject, vault: MemoryVault) -> Outcome:
    return asyncio.run(sync_policy(obj, vault, "default", "detect", TenancySettings(), False))  # type: ignore[arg-type]


def test_a_synced_policy_s_event_is_ours() -> None:
    outcome = _sync(_policy(), MemoryVault())
    assert outcome.event is not None and outcome.event[1] == "Synced" and outcome.event_ours


def test_an_event_quoting_vault_is_not_ours() -> None:
    renamed = PolicyStatus(phase="Active", vault_name="old-name", last_applied_hash="0" * 64)
    outcome = _sync(_policy(renamed), MemoryVault(refused="old-name"))
    assert outcome.event is not None and outcome.event[1] == "StaleVaultNameKept"
    assert SECRET in outcome.event[2] and not outcome.event_ours  # the controller masks it (below)


class OnePass:
    kind = VAULT_POLICY

    def __init__(self, event: tuple[str, str, str], ours: bool) -> None:
        self.event, self.ours = event, ours

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        outcome = Outcome("Active", (True, "Succeeded", "synced"), "wait", event=self.event, wrote=True)
        outcome.event_ours = self.ours
        return outcome

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        return Deletion(True, "Deleted", "")


@pytest.mark.parametrize(("ours", "masked"), [(True, 0), (False, 1)])
def test_the_controller_masks_only_an_event_that_is_not_ours(monkeypatch: pytest.MonkeyPatch, ours: bool,
                                                              masked: int) -> None:
    redactor = CountingRedactor()
    redactor.remember(SECRET)
    monkeypatch.setattr(report_module, "REDACTOR", redactor)
    posted: list[str] = []

    async def post(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        posted.append(message)

    async def run() -> None:
        controller = AccessController(ConnectionRegistry(), StatusSink(), post,  # type: ignore[arg-type]
                                      AccessSettings(), lambda: datetime.datetime.now(datetime.UTC))
        body = {"metadata": {"name": "app", "namespace": "team-a", "uid": "u1", "generation": 1},
                "spec": {"connectionRef": "vault"}}
        controller.observe(OnePass(("Normal", "Synced", f"written; {SECRET}"), ours), body)
        for _ in range(50):
            if posted:
                break
            await asyncio.sleep(0.01)
        await controller.close()

    asyncio.run(run())
    assert len(redactor.texts) == masked
    assert posted == [f"written; {SECRET}" if ours else "written; ***"]
