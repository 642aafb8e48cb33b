"""Drift checks of objects synced together spread over the whole drift interval (issue 18: no thundering herd).

AccessSettings.drift_check_due is what the access controller's workers schedule by; counted with a seeded rng,
no clock involved.
"""

from __future__ import annotations

import random
from collections import Counter

from vault_access_operator.access.settings import DRIFT_SLOTS, RESYNC_JITTER, AccessSettings

INTERVAL = 300.0
OBJECTS = 10_000
BUCKETS = 10


def _buckets(times: list[float], start: float) -> Counter[int]:
    return Counter(min(BUCKETS - 1, int((t - start) / (INTERVAL / BUCKETS))) for t in times)


def test_objects_synced_together_spread_their_drift_checks_over_the_interval() -> None:
    settings, rng = AccessSettings(resync_seconds=INTERVAL), random.Random(18)
    first = [settings.drift_check_due(None, 0.0, False, rng) for _ in range(OBJECTS)]
    assert all(0.0 <= t <= INTERVAL for t in first)
    counts = _buckets(first, 0.0)
    # Even within a tenth of the interval: about 1,000 each (a 40% window would leave 6 buckets empty).
    assert sorted(counts) == list(range(BUCKETS))
    assert all(900 <= n <= 1100 for n in counts.values()), counts

    # Each check is followed by the next one interval later (small jitter): the spread stays.
    second = [settings.drift_check_due(t, t, True, rng) for t in first]
    slot = INTERVAL / DRIFT_SLOTS
    assert all(t + INTERVAL * (1 - RESYNC_JITTER) <= s <= t + INTERVAL * (1 + RESYNC_JITTER) + slot
               for t, s in zip(first, second, strict=True))
    inside = [s for s in second if INTERVAL * 1.1 <= s < INTERVAL * 1.9]  # away from the jittered edges
    counts = _buckets(inside, INTERVAL)
    assert all(900 <= counts[b] <= 1100 for b in range(1, BUCKETS - 1)), counts


def test_a_pass_woken_by_an_edit_keeps_the_check_due() -> None:
    settings, rng = AccessSettings(resync_seconds=INTERVAL), random.Random(1)
    assert settings.drift_check_due(250.0, 100.0, False, rng) == 250.0


def test_a_check_missed_while_waiting_falls_anew_within_the_next_interval() -> None:
    """An object that waited (its connection down) or failed past its check: not all at once when it is back."""
    settings, rng = AccessSettings(resync_seconds=INTERVAL), random.Random(2)
    after = [settings.drift_check_due(50.0, 1000.0, False, rng) for _ in range(OBJECTS)]
    assert all(1000.0 <= t <= 1000.0 + INTERVAL for t in after)
    counts = _buckets(after, 1000.0)
    assert all(900 <= counts[b] <= 1100 for b in range(BUCKETS)), counts


def test_checks_fall_due_in_slots_so_that_one_wake_up_serves_many() -> None:
    """Each wake-up of an idle process costs about what a check costs: 10,000 objects' checks fall due at most at
    DRIFT_SLOTS distinct times per interval (about 67 objects each), not at 10,000 random instants."""
    settings, rng = AccessSettings(resync_seconds=INTERVAL), random.Random(3)
    first = [settings.drift_check_due(None, 12.345, False, rng) for _ in range(OBJECTS)]
    assert len(set(first)) <= DRIFT_SLOTS + 1
    second = [settings.drift_check_due(t, t, True, rng) for t in first]
    assert len(set(second)) <= DRIFT_SLOTS * (1 + 2 * RESYNC_JITTER) + 2
    assert all(settings.on_grid(t) == t for t in first + second)  # moved only once, never further
