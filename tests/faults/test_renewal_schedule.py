"""Token renewal timing on a fake clock: renew at about 2/3 of the TTL, whatever the health interval.

A timing fault, not an I/O one: health checks between two renewals must not push the renewal towards expiry.
"""

from __future__ import annotations

import itertools

import pytest

from tests.faults.fake_runtime import run_runtime
from vault_access_operator.lifecycle import RENEW_FRACTION, RENEW_JITTER
from vault_access_operator.registry import load_providers

REGISTRY = load_providers()
def renewal_gaps(ttl: float, interval: str, renewals: int = 6) -> list[float]:
    """Time between consecutive logins/renewals of one connection, as a fraction of the TTL."""
    run = run_runtime(REGISTRY, interval, ttl=ttl, seconds=ttl * (renewals + 1), steps=100_000)
    grants = [at for what, at in run.calls if what in ("login", "renew")]
    assert len(grants) >= 3, run.calls[:10]
    return [(b - a).total_seconds() / ttl for a, b in itertools.pairwise(grants)]


@pytest.mark.parametrize(("ttl", "interval"), [
    (30.0, "1h"),  # checks never come between two renewals
    pytest.param(3600.0, "30s", id="1h-token-default-interval"),
    pytest.param(60.0, "1s", id="60s-token-1s-interval"),
    pytest.param(30.0, "10s", id="30s-token-10s-interval"),
])
def test_renewal_comes_at_two_thirds_of_the_ttl(ttl: float, interval: str) -> None:
    earliest, latest = RENEW_FRACTION * (1 - RENEW_JITTER), RENEW_FRACTION
    gaps = renewal_gaps(ttl, interval)
    assert all(earliest - 0.01 <= gap <= latest + 0.01 for gap in gaps), [round(g, 3) for g in gaps]
