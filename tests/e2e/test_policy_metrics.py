"""The access kinds' metrics on the running operator's /metrics endpoint, following a policy's life."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import (
    OPERATOR_POLICY,
    condition,
    create_policy,
    delete_policy,
    get_policy,
    patch_policy,
    wait_policy,
)
from tests.e2e.test_metrics import Samples, scrape
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator
from vault_access_operator_devkit.waiting import wait_for

P = "vault_access_operator_"
RULES = [{"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]
APP = {"kind": "VaultPolicy", "namespace": "default"}
NAME = "vao.e2e.default.app"


def value(samples: Samples, metric: str, **labels: str) -> float | None:
    return samples.get((metric, tuple(sorted(labels.items()))))


@pytest.fixture
def metrics_port(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[int]:
    port = free_port()
    access = AccessSettings(cluster_name="E2E", resync_seconds=0.5, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access, metrics_port=port,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)):
        yield port


def _phase_counts(port: int, kind: str = "VaultPolicy") -> dict[str, float]:
    return {labels[1][1]: v for (name, labels), v in scrape(port).items()
            if name == P + "access_objects" and dict(labels)["kind"] == kind and v}


def _when(port: int, metric: str, at_least: float = 1, **labels: str) -> Samples:
    """A scrape once ``metric{labels}`` is at least ``at_least``."""
    def probe() -> Samples | None:
        samples = scrape(port)
        return samples if (value(samples, P + metric, **labels) or 0) >= at_least else None

    samples = wait_for(probe, timeout=20, message=f"{metric} {labels} never reached {at_least}")
    assert samples is not None  # wait_for returns only a truthy value
    return samples


def test_a_policys_life_on_the_metrics_endpoint(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                 metrics_port: int) -> None:
    root, port = vault_acl.client(), metrics_port
    create_policy(fake_kube, "shared", {"connectionRef": "missing", "rules": [
        {"path": "secret/data/shared/*", "capabilities": ["read"]}]}, namespace=None)
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES, "driftMode": "detect"})
    wait_policy(fake_kube, "app", lambda s: s.get("phase") == "Active", "turned Active")
    samples = _when(port, "policy_reconcile_total", 1, result="success", **APP)
    assert value(samples, P + "vault_writes_total", **APP) == 1
    assert (value(samples, P + "policy_reconcile_total", kind="VaultClusterPolicy", namespace="",
                  result="failure") or 0) >= 1  # waiting for its connection
    assert (value(samples, P + "reconcile_duration_seconds_count", kind="VaultPolicy", result="success") or 0) >= 1
    assert _phase_counts(port) == {"Active": 1} and _phase_counts(port, "VaultClusterPolicy") == {"Pending": 1}

    # Drift by hand: found once, its gauge on; held back in correct mode; corrected once allowed.
    root.sys.create_or_update_acl_policy(NAME, 'path "secret/*" { capabilities = ["sudo"] }')
    samples = _when(port, "vault_drift_detected", 1, name="app", **APP)
    assert value(samples, P + "vault_drift_found_total", **APP) == 1
    patch_policy(fake_kube, "app", {"spec": {"driftMode": "correct"}})
    samples = _when(port, "safety_destructive_blocked_total", 1, **APP)
    assert _phase_counts(port) == {"Conflict": 1}
    patch_policy(fake_kube, "app", {"metadata": {"annotations": {"vault.platform.io/allow-destructive": "true"}}})
    samples = _when(port, "vault_drift_corrected_total", 1, **APP)
    assert value(samples, P + "vault_drift_found_total", **APP) == 1  # the same drift, found once
    assert value(samples, P + "vault_writes_total", **APP) == 2
    assert value(samples, P + "vault_drift_detected", name="app", **APP) is None
    wait_for(lambda: _phase_counts(port) == {"Active": 1}, timeout=10, message="the phase gauge never moved back")

    # A delete Vault refuses: counted, the object Deleting; once allowed, gone from the gauges.
    vault_setup.write_policy(root, "operator-access", 'path "sys/policies/acl/*" { capabilities = ["read"] }')
    delete_policy(fake_kube, "app")
    wait_policy(fake_kube, "app", lambda s: condition(s, "Ready").get("reason") == "DeleteFailed", "failed to delete")
    _when(port, "deletion_failures_total", 1, reason="DeleteFailed", **APP)
    assert _phase_counts(port) == {"Deleting": 1}
    vault_setup.write_policy(root, "operator-access", OPERATOR_POLICY)
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=30, message="object never went")
    wait_for(lambda: _phase_counts(port) == {}, timeout=10, message="the deleted object stayed in the gauge")
