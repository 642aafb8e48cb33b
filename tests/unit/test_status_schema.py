"""The CRD's status schema accepts exactly what the operator writes: every field it writes is declared (the API
server would prune the rest), every declared field is written in some state, and nothing is written as null."""

from __future__ import annotations

import asyncio
import copy
import datetime
import typing
from typing import Any

import jsonschema
import pydantic
import pytest

from tests.crd_status import assert_fits_crd, crd_status_schema, key_paths, schema_paths
from tests.faults.fake_runtime import T0, Recorder, run_runtime
from tests.faults.test_retry_bounds import RenewHeals
from vault_access_operator.access.discovery_models import (
    DependantsStatus,
    DiscoveredResource,
    DiscoveryStatus,
    OrphanedResource,
)
from vault_access_operator.conditions import status_body
from vault_access_operator.errors import LoginDeniedError, TokenInvalidError, VaultUnavailableError
from vault_access_operator.registry import load_providers
from vault_access_operator.status import Observation, Phase, SetupState, VaultConnectionStatus, build_status
from vault_access_operator.vault import TokenGrant

REGISTRY = load_providers()
GRANT = TokenGrant(token="t" * 24, accessor="acc-1", ttl=3600.0, renewable=True)


async def _reported() -> list[dict[str, Any]]:
    """What a Reporter writes through a connection's life: pending, login, renewal, failures, recovery."""
    recorder = Recorder()
    obs = Observation(generation=2, method="kubernetes", mount="kubernetes")
    reporter = recorder.reporter("life", obs)
    await reporter.publish()
    await reporter.logged_in(GRANT, T0, T0 + datetime.timedelta(hours=1), {"tokenSource": "TokenRequest"})
    recorder.clock[0] = later = T0 + datetime.timedelta(minutes=40)
    await reporter.renewed(GRANT, later, later + datetime.timedelta(hours=1))
    await reporter.failed(VaultUnavailableError("cannot reach Vault at https://vault:8200"), 1)
    await reporter.token_rejected(TokenInvalidError("permission denied"))
    await reporter.failed(LoginDeniedError("Vault denied login for role 'r' at auth/kubernetes"), 2)
    await reporter.recovered()
    return recorder.statuses


def written_statuses() -> list[dict[str, Any]]:
    statuses = asyncio.run(_reported())
    for phase in typing.get_args(Phase):  # every phase the model allows, built as the reporter builds it
        obs = Observation(generation=1, method="aws", phase=phase, reason="Whatever", message="m")
        statuses.append(status_body(build_status(obs, T0, None)))
    setup = SetupState("bootstrap", "Bootstrapped", complete=True, completed_at=T0, steps={"AuthMountEnabled": "Done"},
                       reason="Completed", message="set up")
    obs = Observation(generation=1, method="kubernetes", phase="Active", setup=setup)
    statuses.append(status_body(build_status(obs, T0, None)))  # a bootstrap's progress (core/setup_run.py)
    statuses += run_runtime(REGISTRY, "30s", ttl=60.0, seconds=900.0, steps=10_000, session_class=RenewHeals).statuses
    # What the access kinds add (core/access/discovery.py, dependants.py): a scan's results and the dependants.
    obs = Observation(generation=1, method="kubernetes", phase="Active")
    obs.discovery = DiscoveryStatus(
        last_scan_at="2026-01-01T00:00:00Z", message="Vault refused the LIST", unmanaged_policies=1,
        unmanaged_roles=0, orphaned_policies=1, orphaned_roles=0,
        discovered_resources=[DiscoveredResource(type="policy", name="p", discovered_at="2026-01-01T00:00:00Z",
                                                 suggestedCRName="p", adoption_status="pending")],
        orphaned_resources=[OrphanedResource(type="policy", name="vao.x.a.b", k8sResource="a/b")])
    obs.dependants = DependantsStatus(policies=1, roles=0, kv_secrets=2, message="deletion waits for 3 objects")
    statuses.append(status_body(build_status(obs, T0, None)))
    return statuses


STATUSES = written_statuses()


@pytest.mark.parametrize("status", STATUSES, ids=[f"{i}-{s['phase']}" for i, s in enumerate(STATUSES)])
def test_every_written_status_is_kept_by_the_api_server_as_written(status: dict[str, Any]) -> None:
    assert_fits_crd(status)
    VaultConnectionStatus.model_validate(status)  # and reads back as the model it was dumped from


def test_the_schema_declares_nothing_the_operator_never_writes() -> None:
    written = set().union(*(key_paths(s) for s in STATUSES))
    free_maps = ("authStatus.details.", "authStatus.setup.steps.")  # their keys are data
    written = {p for p in written if not p.startswith(free_maps)}
    assert written == schema_paths(crd_status_schema())


@pytest.mark.parametrize("tamper", [
    lambda s: s.update(extra=1),
    lambda s: s["authStatus"].update(tokenTTL=5),
    lambda s: s["conditions"][0].update(severity="Info"),
    lambda s: s.update(vaultVersion=None),  # the API server drops a null: it was not written as such
    lambda s: s["conditions"][0].update(status="Maybe"),
])
def test_a_key_the_api_server_would_prune_fails_the_check(tamper: Any) -> None:
    status = next(s for s in STATUSES if s["phase"] == "Active")
    changed = copy.deepcopy(status)
    tamper(changed)
    with pytest.raises(jsonschema.ValidationError):
        assert_fits_crd(changed)


def test_the_status_models_refuse_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError):
        VaultConnectionStatus.model_validate({"phase": "Active", "extra": 1})
    with pytest.raises(pydantic.ValidationError):
        VaultConnectionStatus.model_validate({"authStatus": {"tokenTTL": 5}})


def test_a_fault_run_stamps_status_with_the_clock_it_moves() -> None:
    run = run_runtime(REGISTRY, "30s", ttl=60.0, seconds=900.0, steps=10_000, session_class=RenewHeals)
    failed_at = next(at for call, at in run.calls if call == "renew")  # the first renewal fails
    error = next(s for s in run.statuses if s["phase"] == "Error")
    ready = next(c for c in error["conditions"] if c["type"] == "Ready")
    assert failed_at > T0 and ready["lastTransitionTime"] == failed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    renewed = [s["authStatus"].get("tokenLastRenewed") for s in run.statuses]
    assert any(r and r > "2026-01-01T00:00:00Z" for r in renewed)
