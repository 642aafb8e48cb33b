"""Health checks on a grid of whole seconds: the checks of many connections falling due within one second run
on one wake-up of the process (each wake-up of its own cost a check about as much again)."""

from __future__ import annotations

import datetime
import itertools

from tests.faults.fake_runtime import T0, run_runtime
from vault_access_operator.registry import load_providers

REGISTRY = load_providers()


def lookups(interval: str, offset: float, seconds: float = 150.0) -> list[datetime.datetime]:
    run = run_runtime(REGISTRY, interval, seconds=seconds, start=T0 + datetime.timedelta(seconds=offset))
    return [at for what, at in run.calls if what == "lookup"]


def test_many_connections_check_at_one_instant_per_second() -> None:
    # 60 connections that logged in at scattered moments of one 30 s interval.
    offsets = [i * 0.5 + 0.123 for i in range(60)]
    moments = [lookups("30s", offset) for offset in offsets]
    assert all(len(each) >= 4 for each in moments), [len(each) for each in moments]
    every = [at for each in moments for at in each]
    assert all(at.microsecond == 0 for at in every), sorted({at.microsecond for at in every})[:5]
    start, end = T0 + datetime.timedelta(seconds=60), T0 + datetime.timedelta(seconds=90)
    in_one_interval = {at for at in every if start <= at < end}
    assert len(in_one_interval) <= 31, len(in_one_interval)  # 60 checks, at most one instant per second
    # Still one check per interval per connection, on average exactly the interval apart.
    for each in moments:
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(each)]
        assert all(29.0 <= gap <= 31.0 for gap in gaps), gaps
        assert abs(sum(gaps) / len(gaps) - 30.0) <= 0.5, gaps


def test_a_short_interval_is_not_bent_to_the_grid() -> None:
    moments = lookups("2s", 0.25, seconds=20.0)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    assert len(gaps) >= 5 and all(gap == 2.0 for gap in gaps), gaps
