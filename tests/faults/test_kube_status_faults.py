"""Kubernetes API errors on the operator's own writes: status PATCH, events, TokenRequest.

Status is written only when it changes; a write that fails is retried at the next publish, which the next
health check (or retry) makes. So a lost write must show up within one healthCheckInterval, never later.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import pytest

from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

INTERVAL = 2.0  # healthCheckInterval of these tests, seconds


def assert_status_matches_operator(kube: FakeKube, running: RunningOperator, name: str) -> None:
    """What the API shows is what the operator believes (nothing stuck behind a failed write)."""
    runtime = running.app.manager.runtime(name)
    assert runtime is not None
    status = status_of(kube, name)
    assert status["phase"] == runtime.obs.phase and status["authStatus"]["loginCount"] == runtime.obs.login_count


@pytest.mark.parametrize("code", [500, 503, 409])
def test_failed_status_writes_during_the_active_transition_show_up_at_the_next_check(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator, code: int
) -> None:
    # The first status write fails: the Active one right after login (a quick first login writes no Pending).
    fake_kube.inject_failure("PATCH", r"/vaultconnections/flaky/status$", code, times=1)
    created = time.monotonic()
    fake_kube.create_vaultconnection("flaky", k8s_spec(vault_dev.url, interval=f"{INTERVAL:g}s"))
    status = wait_phase(fake_kube, "flaky", "Active", timeout=INTERVAL + 5)
    assert time.monotonic() - created <= INTERVAL + 3  # the next health check re-published it
    assert status["healthy"] is True and condition(status, "Ready")["reason"] == "Connected"
    assert status["authStatus"]["loginCount"] == 1  # a failed status write never costs a new login
    assert_status_matches_operator(fake_kube, fault_operator, "flaky")
    assert fault_operator.error is None and fault_operator.thread.is_alive()


def test_status_write_failing_for_several_checks_catches_up(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("steady", k8s_spec(vault_dev.url, interval="1s"))
    wait_phase(fake_kube, "steady", "Active")
    vault_dev.client().auth.token.revoke_accessor(status_of(fake_kube, "steady")["authStatus"]["tokenAccessor"])
    # The re-login after the revoked token is noticed changes the status; its writes fail for a while.
    fake_kube.inject_failure("PATCH", r"/vaultconnections/steady/status$", 500, times=3)
    status = wait_for(lambda: (s := status_of(fake_kube, "steady"))["authStatus"]["loginCount"] == 2 and s,
                      timeout=10, message="the re-login never reached the status")
    assert status["phase"] == "Active"
    assert_status_matches_operator(fake_kube, fault_operator, "steady")


def test_event_api_errors_do_not_block_status(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    fake_kube.inject_failure("POST", r"/namespaces/[^/]+/events$", 500, times=20)
    fake_kube.create_vaultconnection("quiet", k8s_spec(vault_dev.url, interval="1s"))
    status = wait_phase(fake_kube, "quiet", "Active", timeout=10)
    assert status["healthy"] is True
    assert fault_operator.error is None and fault_operator.thread.is_alive()


def test_token_request_errors_are_reported_then_retried(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    fake_kube.inject_failure("POST", r"/serviceaccounts/[^/]+/token$", 500, times=2)
    fake_kube.create_vaultconnection("tokens", k8s_spec(vault_dev.url, interval="1s"))
    status = wait_phase(fake_kube, "tokens", "Active", timeout=10)
    assert status["authStatus"]["loginCount"] == 1
    warnings = [e for e in fake_kube.list_events(involved_name="tokens") if e["type"] == "Warning"]
    assert any("Kubernetes API error 500 while requesting a token for service account" in e["message"]
               for e in warnings), warnings


def test_failed_status_write_for_an_invalid_spec_is_retried(
    fake_kube: FakeKube, vault_dev: OpenBaoServer, fault_operator: RunningOperator
) -> None:
    # A spec only an edit can fix is published once; a failed write must still be retried (else the status
    # stays missing, or stale: Active and healthy for the previous generation, with the token revoked).
    fake_kube.create_vaultconnection("edited", k8s_spec(vault_dev.url, interval="1s"))
    wait_phase(fake_kube, "edited", "Active")
    for name in ("edited", "born-bad"):
        fake_kube.inject_failure("PATCH", rf"/vaultconnections/{name}/status$", 500, times=2)
    fake_kube.create_vaultconnection("born-bad", {"address": vault_dev.url, "auth": {"kubernetes": {}}})
    fake_kube.patch_vaultconnection("edited", {"spec": {"auth": {"kubernetes": {"role": None}}}})
    for name in ("born-bad", "edited"):
        def errored(n: str = name) -> dict[str, Any] | Literal[False]:
            return (s := status_of(fake_kube, n)).get("phase") == "Error" and s

        status = wait_for(errored, timeout=5, message=f"{name}: the InvalidSpec status was never written")
        assert status  # wait_for returns only a truthy value
        assert condition(status, "Ready")["reason"] == "InvalidSpec"
        assert "spec.auth.kubernetes.role is required" in status["message"]
