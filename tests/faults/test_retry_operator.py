"""The running operator against a fake Vault that counts: retries, logins, events and status writes stay
within what the backoff allows (bounds from Backoff.max_attempts_within, never from wall-clock times)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import condition, k8s_spec, status_of, wait_status
from tests.faults.conftest import BACKOFF
from tests.support.counting_vault import CountingVault
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS
from vault_access_operator_devkit.operator import RunningOperator

WINDOW = 6.0  # seconds of a failing Vault that are counted


class StatusLog:
    """Every status write of one VaultConnection that changed its status, as the API server saw it."""

    def __init__(self, kube: FakeKube, name: str) -> None:
        self.name, self._lock = name, threading.Lock()
        self.statuses: list[dict[str, Any]] = []
        self._unsubscribe = kube.observe(self._seen)

    def _seen(self, spec: Any, event: dict[str, Any]) -> None:
        obj = event.get("object") or {}
        if spec.plural != VAULTCONNECTIONS.plural or obj.get("metadata", {}).get("name") != self.name:
            return
        status = obj.get("status")
        with self._lock:
            if status is not None and (not self.statuses or status != self.statuses[-1]):
                self.statuses.append(status)

    def writes(self) -> int:
        with self._lock:
            return len(self.statuses)

    def phases_since(self, start: int) -> list[str]:
        with self._lock:
            return [s.get("phase", "") for s in self.statuses[start:]]

    def close(self) -> None:
        self._unsubscribe()


@pytest.fixture
def vault() -> Iterator[CountingVault]:
    with CountingVault() as server:
        yield server


def events(kube: FakeKube, name: str, reason: str) -> list[dict[str, Any]]:
    return kube.list_events(involved_name=name, reason=reason)


def test_renewals_failing_while_lookups_pass_are_bounded_and_heal(
    fake_kube: FakeKube, vault: CountingVault, fault_operator: RunningOperator
) -> None:
    vault.ttl, vault.renew_status = 3.0, 500  # first renewal at about 2 s; lookups keep passing
    log = StatusLog(fake_kube, "flap")
    fake_kube.create_vaultconnection("flap", k8s_spec(vault.url, interval="1s"))
    wait_status(fake_kube, "flap", lambda s: s.get("phase") == "Error", "failed its renewal", timeout=10)
    before, writes, started = vault.snapshot(), log.writes(), time.monotonic()
    time.sleep(WINDOW)
    counted, window = vault.snapshot() - before, time.monotonic() - started
    bound = BACKOFF.max_attempts_within(window) + 1  # +1: an attempt in flight when the window opened
    print(f"in {window:.1f}s: {dict(counted)}, {log.writes() - writes} status writes, bound {bound}")
    assert 2 <= counted["renew"] <= bound and counted["lookup"] <= bound, (counted, bound)
    assert counted["login"] == 0
    assert log.writes() - writes <= bound
    assert set(log.phases_since(writes)) == {"Error"}  # no Active flip between two failures of the same kind
    warnings = [e for e in fake_kube.list_events(involved_name="flap") if e["type"] == "Warning"]
    assert [(e["reason"], e.get("count", 1)) for e in warnings] == [("VaultUnreachable", 1)], warnings
    assert "answered a token renewal with HTTP 500" in warnings[0]["message"]
    assert not events(fake_kube, "flap", "Active")

    vault.renew_status = 200  # Vault heals: the next retry renews, and that full cycle turns it Active
    status = wait_status(fake_kube, "flap", lambda s: s.get("phase") == "Active", "recovered",
                         timeout=BACKOFF.cap + 5)
    assert status["consecutiveFailures"] == 0 and status["authStatus"]["loginCount"] == 1
    assert status["authStatus"]["tokenRenewalCount"] >= 1
    time.sleep(1.5)  # a health check or two more: still exactly one Active event
    assert len(events(fake_kube, "flap", "Active")) == 1
    log.close()


def test_a_renewal_past_the_max_ttl_is_a_prompt_login_not_an_outage(
    fake_kube: FakeKube, vault: CountingVault, fault_operator: RunningOperator
) -> None:
    # Vault answers a renewal at the token's max TTL with 500 "past the max TTL, cannot renew".
    vault.ttl, vault.renew_status = 3.0, 500
    vault.renew_error = "1 error occurred:\n\t* past the max TTL, cannot renew\n\n"
    log = StatusLog(fake_kube, "maxed")
    fake_kube.create_vaultconnection("maxed", k8s_spec(vault.url, interval="1s"))
    status = wait_status(fake_kube, "maxed", lambda s: (s.get("authStatus") or {}).get("loginCount", 0) >= 2,
                         "logged in again", timeout=10)
    assert status["phase"] == "Active"
    assert vault.count("renew") >= 1 and vault.count("login") >= 2
    assert set(log.phases_since(0)) == {"Active"}, log.phases_since(0)  # never Error: no outage to report
    assert not [e for e in fake_kube.list_events(involved_name="maxed") if e["type"] == "Warning"]
    log.close()


def test_a_lease_too_short_to_use_is_an_error_not_a_login_loop(
    fake_kube: FakeKube, vault: CountingVault, fault_operator: RunningOperator
) -> None:
    vault.ttl = 0.4
    fake_kube.create_vaultconnection("short", k8s_spec(vault.url, interval="1s"))
    status = wait_status(fake_kube, "short", lambda s: s.get("phase") == "Error", "reported the short lease")
    assert condition(status, "Ready")["reason"] == "TokenTTLTooShort"
    assert status["message"] == (
        "Vault granted a token with a TTL of 0.4s at auth/kubernetes: raise the role's token_ttl to at least "
        f"{BACKOFF.min_ttl:g}s (the operator logs in at most once every {BACKOFF.login_floor:g}s)")
    assert condition(status, "Authenticated")["status"] == "False"
    before, minted, started = vault.snapshot(), fake_kube.tokens.minted_for(OPERATOR_NS, OPERATOR_SA), time.monotonic()
    time.sleep(WINDOW)
    counted, window = vault.snapshot() - before, time.monotonic() - started
    requests = fake_kube.tokens.minted_for(OPERATOR_NS, OPERATOR_SA) - minted
    bound = min(BACKOFF.max_attempts_within(window), int(window / BACKOFF.login_floor)) + 1
    print(f"in {window:.1f}s: {dict(counted)}, {requests} TokenRequests, bound {bound}")
    assert 1 <= counted["login"] <= bound and requests <= bound, (counted, requests, bound)
    assert counted["revoke"] >= counted["login"] - 1  # each unusable token is revoked at once
    warnings = [e for e in fake_kube.list_events(involved_name="short") if e["type"] == "Warning"]
    assert [(e["reason"], e.get("count", 1)) for e in warnings] == [("TokenTTLTooShort", 1)], warnings
    assert status_of(fake_kube, "short")["phase"] == "Error"
