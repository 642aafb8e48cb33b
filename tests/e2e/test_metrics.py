"""The metrics endpoint of a running operator serves the promised series."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.helpers import k8s_spec, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for


@pytest.fixture
def metered(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[tuple[RunningOperator, int]]:
    port = free_port()
    with run_operator(fake_kube.connection_info(), identity=operator_identity, metrics_port=port,
                      backoff=Backoff(base=0.2, cap=2.0)) as running:
        yield running, port


#: A scrape's samples: (name, sorted labels) -> value.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_endpoint_serves_the_series(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, metered: tuple[RunningOperator, int]
) -> None:
    _, port = metered
    fake_kube.create_vaultconnection("good", k8s_spec(vault_k8s.url, interval="1s"))
    fake_kube.create_vaultconnection("bad", k8s_spec(vault_k8s.url, role="nope"))
    wait_phase(fake_kube, "good", "Active")
    wait_phase(fake_kube, "bad", "Error")
    samples = wait_for(lambda: (s := scrape(port)) and value(
        s, "vault_access_operator_health_checks_total", connection="good", result="success") and s, timeout=5)
    assert isinstance(samples, dict)  # wait_for returns only a truthy value: the scrape
    prefix = "vault_access_operator_"
    assert value(samples, prefix + "logins_total", connection="good", method="kubernetes", result="success") == 1
    assert (value(samples, prefix + "logins_total", connection="bad", method="kubernetes",
                  result="LoginDenied") or 0) >= 1
    assert value(samples, prefix + "connection_healthy", connection="good", method="kubernetes") == 1
    assert value(samples, prefix + "connection_healthy", connection="bad", method="kubernetes") == 0
    assert (value(samples, prefix + "consecutive_failures", connection="bad", method="kubernetes") or 0) >= 1
    ttl = value(samples, prefix + "token_ttl_seconds", connection="good", method="kubernetes")
    assert ttl is not None and 3000 < ttl <= 3600
    assert (value(samples, prefix + "login_duration_seconds_count", method="kubernetes") or 0) >= 1
    assert (value(samples, prefix + "health_checks_total", connection="good", result="success") or 0) >= 1
    # deleting a connection drops its series
    fake_kube.delete_vaultconnection("good")
    wait_for(lambda: value(scrape(port), prefix + "logins_total", connection="good", method="kubernetes",
                           result="success") is None, timeout=10)
