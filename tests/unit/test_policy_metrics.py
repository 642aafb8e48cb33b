"""The access kinds' metrics: counted as passes end, the phase and drift gauges kept by transitions."""

from __future__ import annotations

from typing import Any

import prometheus_client
import pytest

from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access_metrics import AccessMetrics, family

APP = ("VaultPolicy", "team-a", "app")
SHARED = ("VaultClusterPolicy", None, "shared")
ACTIVE = Outcome("Active", (True, "Succeeded", ""), "resync", conditions={"Drifted": (False, "NoDrift", "")})
WRITTEN = Outcome("Active", (True, "Succeeded", ""), "resync", wrote=True, event=("Normal", "Synced", "written"))
DRIFTED = Outcome("Active", (True, "Succeeded", ""), "resync", conditions={"Drifted": (True, "DriftDetected", "x")})
BLOCKED = Outcome("Conflict", (False, "DestructiveCorrectionBlocked", "x"), "resync",
                  conditions={"Drifted": (True, "DriftDetected", "x")})
CORRECTED = Outcome("Active", (True, "Succeeded", ""), "resync", wrote=True,
                    event=("Normal", "DriftCorrected", "written"))
WAITING = Outcome("Pending", (False, "ConnectionNotFound", "x"), "wait")
DRY_RUN = Outcome("Pending", (False, "DryRun", "x"), "resync")


def _metrics() -> tuple[AccessMetrics, prometheus_client.CollectorRegistry]:
    registry = prometheus_client.CollectorRegistry()
    return AccessMetrics(registry), registry


def _value(registry: prometheus_client.CollectorRegistry, metric: str, **labels: str) -> float | None:
    return registry.get_sample_value(f"vault_access_operator_{metric}", labels)


def test_families_keep_the_replaced_operators_metric_names() -> None:
    assert [family(k) for k in ("VaultPolicy", "VaultClusterPolicy", "VaultRole", "VaultClusterRole")] == [
        "policy", "policy", "role", "role"]


def test_passes_writes_and_phases() -> None:
    metrics, registry = _metrics()
    metrics.pass_done(SHARED, WAITING, 0.01)
    metrics.pass_done(APP, WRITTEN, 0.02)
    for _ in range(3):
        metrics.pass_done(APP, ACTIVE, 0.001)
    metrics.pass_done(SHARED, DRY_RUN, 0.01)
    assert _value(registry, "policy_reconcile_total", kind="VaultPolicy", namespace="team-a", result="success") == 4
    assert _value(registry, "policy_reconcile_total", kind="VaultClusterPolicy", namespace="",
                  result="failure") == 1
    assert _value(registry, "policy_reconcile_total", kind="VaultClusterPolicy", namespace="",
                  result="success") == 1  # a dry run is a pass that did what it was asked
    assert _value(registry, "vault_writes_total", kind="VaultPolicy", namespace="team-a") == 1
    assert _value(registry, "reconcile_duration_seconds_count", kind="VaultPolicy", result="success") == 4
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Active") == 1
    assert _value(registry, "access_objects", kind="VaultClusterPolicy", phase="Pending") == 1
    metrics.forget(APP)
    metrics.forget(APP)  # a second forget (the watch's DELETED after the finalizer) changes nothing
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Active") == 0


def test_drift_is_counted_once_per_episode_and_its_gauge_follows_it() -> None:
    metrics, registry = _metrics()
    where = {"kind": "VaultPolicy", "namespace": "team-a"}
    metrics.pass_done(APP, WRITTEN, 0.0)
    for _ in range(3):
        metrics.pass_done(APP, DRIFTED, 0.0)
    assert _value(registry, "vault_drift_found_total", **where) == 1
    assert _value(registry, "vault_drift_detected", name="app", **where) == 1
    for _ in range(2):
        metrics.pass_done(APP, BLOCKED, 0.0)
    assert _value(registry, "safety_destructive_blocked_total", **where) == 1
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Conflict") == 1
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Active") == 0
    metrics.pass_done(APP, CORRECTED, 0.0)
    assert _value(registry, "vault_drift_found_total", **where) == 1  # the same episode
    assert _value(registry, "vault_drift_corrected_total", **where) == 1
    assert _value(registry, "vault_drift_detected", name="app", **where) is None
    metrics.pass_done(APP, CORRECTED, 0.0)  # a hand-deleted policy recreated: found and corrected at once
    assert _value(registry, "vault_drift_found_total", **where) == 2
    assert _value(registry, "vault_writes_total", **where) == 3


def test_deletion_failures_and_a_drifted_object_that_goes() -> None:
    metrics, registry = _metrics()
    metrics.pass_done(APP, DRIFTED, 0.0)
    metrics.forget(APP)  # the deletion starts: out of the gauges
    assert _value(registry, "vault_drift_detected", kind="VaultPolicy", namespace="team-a", name="app") is None
    metrics.deletion_failed(APP, "DeleteFailed")
    metrics.forget(APP)  # the next attempt
    metrics.deletion_failed(APP, "DeleteFailed")
    assert _value(registry, "deletion_failures_total", kind="VaultPolicy", namespace="team-a",
                  reason="DeleteFailed") == 2
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Deleting") == 1
    metrics.forget(APP)
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Deleting") == 0


def test_a_pass_looks_up_no_label_set_it_looked_up_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # prometheus_client's labels() stringifies every value and takes a lock: five per pass before (9 µs of a policy
    # pass's own 25 µs). The children of series never removed are kept; the counts stay the same.
    metrics, registry = _metrics()
    lookups: list[tuple[object, ...]] = []
    plain = prometheus_client.metrics.MetricWrapperBase.labels

    def counted(self: Any, *values: object, **named: object) -> Any:
        lookups.append(values)
        return plain(self, *values, **named)

    monkeypatch.setattr(prometheus_client.metrics.MetricWrapperBase, "labels", counted)
    objects = [("VaultPolicy", f"team-{i % 5}", f"p{i}") for i in range(100)]
    for key in objects:
        metrics.pass_done(key, WAITING, 0.01)
        metrics.pass_done(key, WRITTEN, 0.01)
    assert len(lookups) == 5 * 2 + 2 + 2 + 5  # reconciles and writes per namespace, durations, phases: once each
    for key in objects:
        metrics.pass_done(key, ACTIVE, 0.001)  # a drift check each
    assert len(lookups) == 5 * 2 + 2 + 2 + 5
    assert _value(registry, "policy_reconcile_total", kind="VaultPolicy", namespace="team-3", result="success") == 40
    assert _value(registry, "vault_writes_total", kind="VaultPolicy", namespace="team-0") == 20
    assert _value(registry, "reconcile_duration_seconds_count", kind="VaultPolicy", result="failure") == 100
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Active") == 100
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Pending") == 0
    metrics.pass_done(objects[0], DRIFTED, 0.0)  # the drift gauge's series are removed: looked up each time
    metrics.forget(objects[0])
    assert _value(registry, "access_objects", kind="VaultPolicy", phase="Active") == 99
    assert _value(registry, "vault_drift_detected", kind="VaultPolicy", namespace="team-0", name="p0") is None
