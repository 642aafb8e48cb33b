"""Renewal scheduling and backoff, with an injected clock and randomness."""

from __future__ import annotations

import datetime

import pytest

from vault_access_operator.lifecycle import Action, Backoff, Lease, plan_lease

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("ttl", "renewable", "creation_ttl", "now", "rand", "action", "when"),
    [
        # renewable token: renew at 2/3 of the remaining TTL, jitter makes it up to 10% earlier
        (3600, True, 3600, 0, 0.0, Action.RENEW, 2400),
        (3600, True, 3600, 0, 1.0, Action.RENEW, 2160),
        # later in the lease: 2/3 of what is left
        (3600, True, 3600, 600, 0.0, Action.RENEW, 600 + 2000),
        # not renewable: log in again at the same point instead
        (3600, False, 3600, 0, 0.0, Action.RELOGIN, 2400),
        # renewal granted far less than the login did: max TTL is near, log in again
        (1000, True, 3600, 0, 0.0, Action.RELOGIN, 1000 * 2 / 3),
        # almost expired: log in again now
        (10, True, 10, 9.8, 0.0, Action.RELOGIN, 9.8),
        # already expired
        (10, True, 10, 50, 0.5, Action.RELOGIN, 50),
        # very short TTL: never busier than MIN_DELAY
        (0.9, True, 0.9, 0, 0.0, Action.RENEW, 0.6),
    ],
)
def test_plan_lease(ttl: float, renewable: bool, creation_ttl: float, now: float, rand: float, action: Action,
                    when: float) -> None:
    plan = plan_lease(Lease(T0, ttl, renewable, creation_ttl), at(now), lambda: rand)
    assert plan.action is action
    assert plan.at is not None
    assert abs((plan.at - at(when)).total_seconds()) < 1e-6


@pytest.mark.parametrize(
    ("ttl", "renewable", "creation_ttl", "now", "action", "when"),
    [
        (3600, True, 3600, 0, Action.RENEW, 2400),  # renewed like a token from a login
        # not renewable: read the Secret again once it expired (Vault's TTL is rounded down: a second later)
        (3600, False, 3600, 0, Action.RELOGIN, 3601),
        (1000, True, 3600, 0, Action.RELOGIN, 1001),  # capped by its max TTL: the same
        (3600, False, 3600, 3599.8, Action.RELOGIN, 3601),  # expiring: still past its end
        (3600, True, 3600, 3599.8, Action.RELOGIN, 3599.8),  # renewable but too late to renew: now
    ],
)
def test_a_supplied_token_that_cannot_be_renewed_is_read_again_only_at_its_expiry(
    ttl: float, renewable: bool, creation_ttl: float, now: float, action: Action, when: float
) -> None:
    # Reading the same token again at 2/3 of what is left would be a "login" every few seconds near its end.
    plan = plan_lease(Lease(T0, ttl, renewable, creation_ttl, supplied=True), at(now), lambda: 0.0)
    assert plan.action is action and plan.at == at(when)


def test_token_without_expiry_schedules_nothing() -> None:
    plan = plan_lease(Lease(T0, 0, False, 0), T0, lambda: 0.5)
    assert plan.action is Action.NONE and plan.at is None


def test_renewals_never_outlive_the_token() -> None:
    # Repeated renewals each scheduled before expiry, never after it.
    lease = Lease(T0, 30, True, 30)
    now = T0
    for _ in range(20):
        plan = plan_lease(lease, now, lambda: 0.99)
        assert plan.at is not None and lease.expires_at is not None
        assert plan.at < lease.expires_at
        now = plan.at
        lease = Lease(now, 30, True, 30)


@pytest.mark.parametrize(
    ("failures", "low", "high"), [(1, 0.5, 1), (2, 1, 2), (4, 4, 8), (9, 128, 256), (10, 150, 300), (50, 150, 300)]
)
def test_backoff_grows_to_the_cap_with_jitter(failures: int, low: float, high: float) -> None:
    backoff = Backoff(base=1, cap=300)
    assert backoff.delay(failures, lambda: 0.0) == pytest.approx(low)
    assert backoff.delay(failures, lambda: 0.999999) == pytest.approx(high, rel=1e-3)


def test_backoff_attempt_bound_is_an_upper_bound() -> None:
    backoff = Backoff(base=1, cap=300)
    for outage in (1, 10, 60, 600, 3600):
        # the fastest possible schedule (every delay at its minimum) must fit under the bound
        elapsed, attempts = 0.0, 1
        while True:
            delay = backoff.delay(attempts, lambda: 0.0)
            if elapsed + delay > outage:
                break
            elapsed += delay
            attempts += 1
        assert attempts <= backoff.max_attempts_within(outage)
    assert backoff.max_attempts_within(3600) < 40  # about 9 doublings, then one per 150-300 s
