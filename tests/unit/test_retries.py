"""The failure tracker and the minimum usable token TTL."""

from __future__ import annotations

import pytest

from vault_access_operator.errors import Reason, TLSConfigError, VaultUnavailableError
from vault_access_operator.lifecycle import LOGIN_FLOOR, Backoff
from vault_access_operator.retries import FailureTracker, short_ttl_error


def test_only_reset_brings_the_delay_back_to_the_first_step() -> None:
    tracker = FailureTracker(Backoff(base=1, cap=300), lambda: 0.0)
    delays = [tracker.failed(VaultUnavailableError("down")) for _ in range(12)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0] and delays[-1] == 150.0  # equal jitter at 0: half the ceiling
    assert tracker.recovering and tracker.check_interval(30.0) == 30.0
    tracker.reset()
    assert not tracker.recovering and tracker.failed(VaultUnavailableError("down")) == 0.5
    assert tracker.check_interval(30.0) == 0.5  # the confirming check comes as soon as the retry did


@pytest.mark.parametrize(("suggested", "expected"), [(None, 0.5), (7.0, 7.0), (0.1, 0.5), (10**9, 300.0)])
def test_a_suggested_wait_is_a_floor_capped_at_the_backoff_cap(suggested: float | None, expected: float) -> None:
    error = VaultUnavailableError("throttled")
    error.retry_after = suggested
    assert FailureTracker(Backoff(base=1, cap=300), lambda: 0.0).failed(error) == expected


@pytest.mark.parametrize(("ttl", "too_short"), [(0.0, False), (0.4, True), (9.99, True), (10.0, False)])
def test_tokens_must_last_two_login_floors(ttl: float, too_short: bool) -> None:
    assert Backoff().min_ttl == 2 * LOGIN_FLOOR == 10.0
    error = short_ttl_error(ttl, "kubernetes", Backoff())
    assert (error is not None) is too_short
    if error is not None:
        assert error.reason == Reason.TOKEN_TTL_TOO_SHORT and error.retryable
        assert f"TTL of {ttl:g}s at auth/kubernetes: raise the role's token_ttl to at least 10s" in error.message


def test_tls_config_errors_are_retried() -> None:
    assert TLSConfigError("bad CA").retryable  # the CA Secret is read again at each attempt
