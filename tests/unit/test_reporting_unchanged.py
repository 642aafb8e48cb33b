"""A health check that changed nothing builds no status; any change since the last write still gets written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from vault_access_operator import reporting
from vault_access_operator.access.discovery_models import DependantsStatus
from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.redact import REDACTOR
from vault_access_operator.reporting import Reporter
from vault_access_operator.status import Observation, SetupState, build_status

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


class _Sink:
    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []
        self.failing = False

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        if self.failing:
            raise ConnectionError("the API server is down")
        self.writes.append(status)
        return True


async def _no_event(*_: Any) -> None:
    return None


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the statuses built (each a pydantic model with its conditions)."""
    count = [0]

    def counted(*args: Any) -> Any:
        count[0] += 1
        return build_status(*args)

    monkeypatch.setattr(reporting, "build_status", counted)
    return count


def _reporter(obs: Observation, sink: _Sink) -> Reporter:
    events = EventEmitter(lambda: VAULT_CONNECTION.ref("vault"), _no_event, REDACTOR)
    return Reporter("vault", obs, sink, events, lambda: T0, REDACTOR)


def _active() -> Observation:
    return Observation(generation=1, method="kubernetes", mount="kubernetes", phase="Active", authenticated=True,
                       accessor="acc", expires_at=T0 + datetime.timedelta(hours=1), last_login=T0, login_count=1,
                       details={"role": "app"}, setup=SetupState("bootstrap", "Bootstrapped"))


@pytest.mark.asyncio
async def test_health_checks_that_change_nothing_build_no_status(builds: list[int]) -> None:
    # Building and comparing the status was about a sixth of a steady operator's CPU per health check.
    sink = _Sink()
    reporter = _reporter(_active(), sink)
    await reporter.publish()
    assert (builds[0], len(sink.writes)) == (1, 1)
    for _ in range(100):
        await reporter.healthy()
    assert (builds[0], len(sink.writes)) == (1, 1)


@pytest.mark.asyncio
@pytest.mark.parametrize("change", ["field", "details in place", "setup step in place", "setup field", "dependants"])
async def test_any_change_since_the_last_write_is_written_at_the_next_check(builds: list[int], change: str) -> None:
    sink = _Sink()
    obs = _active()
    reporter = _reporter(obs, sink)
    await reporter.healthy()
    assert obs.setup is not None
    if change == "field":
        obs.vault_version = "2.7.3"
    elif change == "details in place":
        obs.details["role"] = "other"
    elif change == "setup step in place":
        obs.setup.steps["policy"] = "Done"
    elif change == "setup field":
        obs.setup.complete = True
    else:
        obs.dependants = DependantsStatus(policies=2)
    await reporter.healthy()
    assert len(sink.writes) == 2 and sink.writes[0] != sink.writes[1]
    await reporter.healthy()
    assert (builds[0], len(sink.writes)) == (2, 2)


@pytest.mark.asyncio
async def test_a_failed_write_is_retried_at_the_next_check(builds: list[int]) -> None:
    sink = _Sink()
    obs = _active()
    reporter = _reporter(obs, sink)
    await reporter.healthy()
    obs.vault_version = "2.7.3"
    sink.failing = True
    assert not await reporter.publish()
    sink.failing = False
    await reporter.healthy()
    assert [write.get("vaultVersion") for write in sink.writes] == [None, "2.7.3"]
