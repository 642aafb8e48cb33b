"""What a restart's pass of a synced, unchanged access object costs the operator (issue 18: a restart confirms every
object within 2x the direct client's read; bench/README.md, session 13). Counted, not timed: the kept body decoded
before the first pass, the status parsed and validated per pass, and that the result is the same status as before.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pydantic
import pytest

from tests.unit.test_access_schedule import Passes, _attached, _body, _controller, _until
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_models import PolicyStatus
from vault_access_operator.access.policy_sync import _active
from vault_access_operator.access.status_writer import next_status, previous_status
from vault_access_operator.access.tracked import Tracked
from vault_access_operator.conditions import status_body
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY, VAULT_ROLE

OBJECTS = 100
T0 = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
FIELDS = {"vault_name": "vao.default.team-a.app", "rules_count": 1, "effective_drift_mode": "detect"}


@pytest.mark.asyncio
async def test_a_start_with_the_connection_active_decodes_no_kept_body_before_the_passes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: ``begin`` decoded the kept body twice per object and the first look once more (3 per object)."""
    decoded = [0]
    plain: property = Tracked.__dict__["raw"]  # the property itself, not its value on the class

    def counted(self: Tracked) -> dict[str, Any]:
        decoded[0] += 1
        assert plain.fget is not None
        raw: dict[str, Any] = plain.fget(self)
        return raw

    monkeypatch.setattr(Tracked, "raw", property(counted, plain.fset))
    registry = ConnectionRegistry()
    obs = _attached(registry)
    obs.phase = "Active"
    registry.phase_changed("vault")
    controller, adapter = _controller(registry), Passes()
    for i in range(OBJECTS):
        controller.observe(adapter, _body(f"p{i}", phase="Active"))  # as a restart lists them
    await _until(lambda: adapter.total == OBJECTS)
    await asyncio.sleep(0.05)
    assert decoded[0] == 0
    assert adapter.total == OBJECTS  # one pass each, as before
    await controller.close()


def test_an_unchanged_pass_returns_the_previous_status_without_validating_a_new_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = next_status(VAULT_POLICY, previous_status(VAULT_POLICY, {}), _active(FIELDS), 1, T0)
    shown = status_body(first)
    previous = previous_status(VAULT_POLICY, shown)
    validated = [0]
    plain = VAULT_POLICY.status_model.model_validate

    def counted(*args: Any, **kwargs: Any) -> Any:
        validated[0] += 1
        return plain(*args, **kwargs)

    monkeypatch.setattr(VAULT_POLICY.status_model, "model_validate", counted)
    later = T0 + datetime.timedelta(minutes=5)
    same = next_status(VAULT_POLICY, previous, _active(FIELDS), 1, later)
    assert same is previous and validated[0] == 0  # one validation before
    assert status_body(same) == shown
    for changed, generation in ((_active({**FIELDS, "rules_count": 2}), 1), (_active(FIELDS), 2),
                                (Outcome("Error", (False, "X", "y"), "retry"), 1)):
        built = next_status(VAULT_POLICY, previous, changed, generation, later)
        assert built is not previous and built != previous  # a new field value, generation or phase is news
    wrote = _active(FIELDS)
    wrote.wrote = True
    stamped = next_status(VAULT_POLICY, previous, wrote, 1, later)
    assert isinstance(stamped, PolicyStatus) and isinstance(previous, PolicyStatus)
    assert stamped.last_synced_at != previous.last_synced_at  # a Vault write is dated even if nothing else moved


def test_next_status_reads_the_model_without_a_keys_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """``dict(model)`` asked pydantic for ``keys`` first: an AttributeError raised and caught on every pass."""
    previous = previous_status(VAULT_ROLE, {})
    missed: list[str] = []
    plain = pydantic.BaseModel.__getattr__  # type: ignore[attr-defined]

    def counted(self: pydantic.BaseModel, item: str) -> Any:
        missed.append(item)
        return plain(self, item)

    monkeypatch.setattr(pydantic.BaseModel, "__getattr__", counted)
    next_status(VAULT_ROLE, previous, Outcome("Active", (True, "Succeeded", ""), "resync"), 1, T0)
    assert missed == []


@pytest.mark.asyncio
async def test_the_reporter_builds_on_the_status_the_adapter_parsed() -> None:
    """The status a pass starts from is parsed once (by the adapter), not again by the reporter: the same model."""
    from vault_access_operator.access.pass_report import PassReporter
    from vault_access_operator.access.status_writer import StatusWriter

    class Writer(StatusWriter):
        def __init__(self) -> None:
            super().__init__(None, lambda: T0)  # type: ignore[arg-type]
            self.seen: list[Any] = []

        async def write(self, kind: Any, raw: dict[str, Any], status: Any, previous: Any) -> bool:
            self.seen.append(previous)
            return bool(status != previous)

    async def post(*_: Any, **__: Any) -> None:
        return None

    writer = Writer()
    reporter = PassReporter(writer, post, lambda key: None)
    first = next_status(VAULT_POLICY, previous_status(VAULT_POLICY, {}), _active(FIELDS), 1, T0)
    raw = {**_body("p"), "status": status_body(first)}
    tracked = Tracked(Passes(), raw)
    outcome = _active(FIELDS)
    outcome.previous = parsed = previous_status(VAULT_POLICY, raw["status"])
    await reporter.report(("VaultPolicy", "team", "p"), tracked, raw, outcome)
    assert writer.seen == [parsed] and writer.seen[0] is parsed
    other = _active(FIELDS)
    other.previous = previous_status(VAULT_ROLE, {})  # not this kind's model: parsed here, as before
    await reporter.report(("VaultPolicy", "team", "p"), tracked, raw, other)
    assert writer.seen[1] is not other.previous and writer.seen[1] == parsed
