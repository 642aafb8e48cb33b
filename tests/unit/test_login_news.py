"""The LoggedIn event tells a login that changes what the status says, and no other (bench/README.md, session 11).

A restart, a peering takeover or a re-login at max TTL of a connection its status shows Active and logged in, at
the same generation, auth method and mount, posts no event; status is written as before (one write per login).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.faults.fake_runtime import Recorder
from vault_access_operator.conditions import status_body
from vault_access_operator.errors import LoginDeniedError, Reason, TokenInvalidError, VaultUnavailableError
from vault_access_operator.reporting import Reporter
from vault_access_operator.status import Observation, build_status, standing_of
from vault_access_operator.vault import TokenGrant

T0 = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
GRANT = TokenGrant(token="hvs." + "t" * 24, accessor="acc", ttl=3600, renewable=True)


def _reporter(recorder: Recorder, generation: int = 1, method: str = "kubernetes", mount: str = "kubernetes"
              ) -> Reporter:
    return recorder.reporter("vault", Observation(generation=generation, method=method, mount=mount))


async def _written_by_an_earlier_process(generation: int = 1, method: str = "kubernetes",
                                         mount: str = "kubernetes") -> dict[str, Any]:
    """The status an earlier operator process left after its login (as the object shows it)."""
    earlier = _reporter(Recorder(), generation, method, mount)
    await earlier.logged_in(GRANT, T0, None, {})
    return status_body(build_status(earlier.obs, T0, None))


async def _login(reporter: Reporter) -> None:
    await reporter.logged_in(GRANT, T0, T0 + datetime.timedelta(hours=1), {})


def _logged_in(recorder: Recorder) -> int:
    return sum(1 for _, reason, _ in recorder.events if reason == Reason.LOGGED_IN)


@pytest.mark.asyncio
async def test_a_new_connection_posts_one_event_and_a_re_login_at_max_ttl_none() -> None:
    recorder = Recorder()
    reporter = _reporter(recorder)
    reporter.found(None)  # a new object: no status yet
    await _login(reporter)
    await _login(reporter)  # the token reached its max TTL: status shows the new token, no event says so
    await _login(reporter)
    assert recorder.events == [("Normal", Reason.LOGGED_IN, "logged in to Vault at auth/kubernetes (token TTL 3600s)")]
    assert len(recorder.statuses) == 3 and recorder.statuses[-1]["authStatus"]["loginCount"] == 3


@pytest.mark.asyncio
async def test_a_restart_over_an_active_status_posts_no_event_and_writes_the_status_once() -> None:
    found = await _written_by_an_earlier_process()
    recorder = Recorder()
    reporter = _reporter(recorder)
    reporter.found(found)
    await reporter.publish()  # the Pending write of a login slower than the grace changes nothing of this
    await _login(reporter)
    assert recorder.events == []
    assert [s["phase"] for s in recorder.statuses] == ["Pending", "Active"]


@pytest.mark.parametrize(("change", "why"), [
    ({"generation": 2}, "a spec edit"),
    ({"mount": "k8s-eu"}, "another mount"),
    ({"method": "approle", "mount": "kubernetes"}, "another method"),
])
@pytest.mark.asyncio
async def test_a_login_at_another_generation_method_or_mount_posts_one(change: dict[str, Any], why: str) -> None:
    found = await _written_by_an_earlier_process()
    recorder = Recorder()
    reporter = _reporter(recorder, **change)
    reporter.found(found)
    await _login(reporter)
    await _login(reporter)
    assert _logged_in(recorder) == 1, why


@pytest.mark.asyncio
async def test_a_login_over_a_status_that_shows_no_login_held_posts_one() -> None:
    active = await _written_by_an_earlier_process()
    unauthenticated = {**active, "conditions": [{**c, "status": "False"} if c["type"] == "Authenticated" else c
                                                for c in active["conditions"]]}
    shown = [None, {}, {"phase": "Pending"}, {**active, "phase": "Error"}, unauthenticated,
             {**active, "authStatus": None}, {**active, "conditions": "garbage"}]
    for status in shown:
        recorder = Recorder()
        reporter = _reporter(recorder)
        reporter.found(status)  # a failover where the status says Error, a first login, a status of another shape
        await _login(reporter)
        assert _logged_in(recorder) == 1, status


@pytest.mark.asyncio
async def test_the_first_login_after_a_failure_posts_one() -> None:
    recorder = Recorder()
    reporter = _reporter(recorder)
    reporter.found(await _written_by_an_earlier_process())
    await reporter.failed(LoginDeniedError("Vault denied login"), 1)
    await _login(reporter)  # Error (Active waits for recovered()): news
    await reporter.recovered()
    await _login(reporter)  # Active again, as the last login said: no news
    assert [reason for _, reason, _ in recorder.events] == [Reason.LOGIN_DENIED, Reason.LOGGED_IN, "Active"]


@pytest.mark.asyncio
async def test_a_vault_outage_then_a_login_posts_one() -> None:
    recorder = Recorder()
    reporter = _reporter(recorder)
    reporter.found(None)
    await _login(reporter)
    await reporter.failed(VaultUnavailableError("cannot reach Vault"), 1)
    await _login(reporter)
    assert _logged_in(recorder) == 2


@pytest.mark.asyncio
async def test_the_login_that_ends_a_token_rejected_warning_posts_one_per_warning() -> None:
    recorder = Recorder()
    reporter = _reporter(recorder)
    reporter.found(await _written_by_an_earlier_process())
    await _login(reporter)
    rejected = TokenInvalidError("Vault rejected the token (permission denied)")
    await reporter.token_rejected(rejected)
    await _login(reporter)  # the warning said "logging in again": this tells how that ended
    await reporter.token_rejected(rejected)  # a Vault rejecting every new token: no second warning ...
    await _login(reporter)  # ... and no second LoggedIn
    await reporter.healthy()  # a check passed: the episode is over, a new rejection is news again
    await reporter.token_rejected(rejected)
    await _login(reporter)
    assert [reason for _, reason, _ in recorder.events] == [Reason.TOKEN_REJECTED, Reason.LOGGED_IN] * 2


@pytest.mark.asyncio
async def test_a_supplied_token_follows_the_same_rule() -> None:
    found = await _written_by_an_earlier_process(method="token", mount="token")
    recorder = Recorder()
    reporter = _reporter(recorder, method="token", mount="token")
    reporter.found(found)
    await reporter.logged_in(GRANT, T0, None, {}, supplied=True)
    assert recorder.events == [] and recorder.statuses[-1]["phase"] == "Active"


def test_standing_of_reads_generation_method_and_mount_of_an_active_authenticated_status() -> None:
    obs = Observation(generation=3, method="kubernetes", mount="k8s", phase="Active", authenticated=True)
    status = status_body(build_status(obs, T0, None))
    assert standing_of(status) == (3, "kubernetes", "k8s") == obs.standing()
    assert standing_of({**status, "observedGeneration": "3"}) is None
