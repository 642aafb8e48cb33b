"""A role created with its policies waits quietly for their first passes, and only within the grace."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.pass_report import holding
from vault_access_operator.access.role_refs import Key, PolicyView, resolve
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.tracked import Tracked

UNPASSED = PolicyView(None, None)  # the object exists, its first pass has not reported yet
FAILED = PolicyView(None, "Error")
A, B = ("VaultPolicy", "team-a", "a"), ("VaultPolicy", "team-a", "b")


def _resolved(views: dict[Key, PolicyView | None]) -> Any:
    async def lookup(key: Key) -> PolicyView | None:
        return views[key]

    return asyncio.run(resolve(tuple(views), lookup))


def test_only_policies_still_to_be_passed_make_a_role_wait() -> None:
    assert _resolved({A: UNPASSED, B: UNPASSED}).awaits_first_passes
    assert not _resolved({A: UNPASSED, B: FAILED}).awaits_first_passes  # one says why: report it
    assert not _resolved({A: UNPASSED, B: None}).awaits_first_passes  # one does not exist: report it
    assert not _resolved({A: FAILED}).awaits_first_passes


def _holding(tracked: Tracked, outcome: Outcome, raw: dict[str, Any] | None = None) -> float | None:
    return holding(tracked, raw or {}, outcome, AccessSettings(connection_grace_seconds=60.0).connection_grace_seconds)


def test_a_held_outcome_stays_unreported_only_on_a_new_object_and_within_the_grace() -> None:
    held = Outcome("Pending", (False, "PolicyNotInVault", "not resolved"), "wait", hold=True)
    fresh: Any = Tracked(adapter=None, raw={})  # type: ignore[arg-type]
    left = _holding(fresh, held)
    assert left is not None and 59 < left <= 60
    assert _holding(fresh, Outcome("Pending", (False, "PolicyNotInVault", "x"), "wait")) is None  # not held
    assert _holding(fresh, held, {"status": {"phase": "Active"}}) is None  # shows a status: report changes
    shown: Any = Tracked(adapter=None, raw={}, status={"phase": "Pending"})  # type: ignore[arg-type]
    assert _holding(shown, held) is None
    old: Any = Tracked(adapter=None, raw={}, since=time.monotonic() - 61)  # type: ignore[arg-type]
    assert _holding(old, held) is None  # the policies never passed: say so after all
