"""The garbage-collector policy of the `run` command (core/gc_policy.py): what it sets, the switch that turns it
off, and the opt-in measurement."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault_access_operator.gc_policy import YOUNG_GENERATION_THRESHOLD, CollectorStats, tune_garbage_collector


@pytest.fixture(autouse=True)
def restored_gc() -> Iterator[None]:
    threshold, callbacks = gc.get_threshold(), list(gc.callbacks)
    gc.unfreeze()
    yield
    gc.callbacks[:] = callbacks
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_leave_the_collectors_reach_and_young_collections_run_less_often() -> None:
    _, middle, old = gc.get_threshold()
    assert tune_garbage_collector({}) is None  # no measurement unless asked for
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, middle, old)


def test_tuning_off_keeps_cpythons_settings() -> None:
    before = gc.get_threshold()
    tune_garbage_collector({"VAO_GC_TUNING": "off"})
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_an_unknown_tuning_setting_tunes_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    tune_garbage_collector({"VAO_GC_TUNING": "maybe"})
    assert gc.get_freeze_count() > 0
    assert "VAO_GC_TUNING='maybe' is neither on nor off" in caplog.text


def test_the_measurement_counts_each_collection_by_generation(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    stats = tune_garbage_collector({"VAO_GC_STATS": str(tmp_path / "gc.txt")})
    assert stats is not None and stats.frozen > 0 and stats.thresholds[0] == YOUNG_GENERATION_THRESHOLD
    for _ in range(3):
        gc.collect(1)
    gc.collect(2)
    # A collector run at any moment of the test may add to generation 0; the explicit ones are exact.
    assert (stats.generations[1].collections, stats.generations[2].collections) == (3, 1)
    assert stats.generations[2].cpu_seconds > 0 and stats.generations[2].longest > 0
    with caplog.at_level(logging.INFO, logger="vault_access_operator.gc_policy"):
        stats.close()
    assert stats not in gc.callbacks
    lines = (tmp_path / "gc.txt").read_text().splitlines()
    assert [line.split()[1] for line in lines if line.split()[1] != "0"] == ["1", "1", "1", "2"]
    assert "generation 1: 3 collections" in caplog.text and "generation 2: 1 collections" in caplog.text


def test_the_summary_holds_counts_and_durations_only() -> None:
    stats = CollectorStats()
    stats("start", {"generation": 2})
    stats("stop", {"generation": 2, "collected": 17, "uncollectable": 0})
    assert stats.generations[2].collections == 1 and stats.generations[2].collected == 17
    words = stats.summary().replace(";", " ").replace(",", " ").replace("(", " ").replace(")", " ").split()
    assert {word for word in words if not word.replace(".", "").isdigit()} <= {
        "objects", "frozen", "at", "start-up", "thresholds", "generation", "0:", "1:", "2:", "collections", "ms",
        "of", "CPU", "longest", "pause", "freed"}


def test_the_young_threshold_can_be_set_and_a_bad_value_is_named(caplog: pytest.LogCaptureFixture) -> None:
    tune_garbage_collector({"VAO_GC_YOUNG_THRESHOLD": "50000"})
    assert gc.get_threshold()[0] == 50_000
    tune_garbage_collector({"VAO_GC_YOUNG_THRESHOLD": "-5"})
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
    assert "VAO_GC_YOUNG_THRESHOLD='-5' is not a positive whole number" in caplog.text


def test_a_stats_file_that_cannot_be_opened_is_named_and_the_operator_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "no-such-folder" / "gc.txt"
    assert tune_garbage_collector({"VAO_GC_STATS": str(path)}) is None
    assert f"VAO_GC_STATS={str(path)!r} cannot be opened" in caplog.text
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD  # the tuning itself still applies
