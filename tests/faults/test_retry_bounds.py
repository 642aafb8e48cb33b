"""Retries on a fake clock: a Vault that fails in a loop costs requests, events and status writes that the
backoff bounds, and only a full healthy cycle (not a passing probe) resets the backoff.

Counts are exact here (no real time, randomness fixed at 0.5); the same cases against the running operator
and a fake Vault over HTTP are in test_retry_operator.py.
"""

from __future__ import annotations

import datetime
import itertools

from tests.faults.fake_runtime import T0, FakeSession, Run, run_runtime
from vault_access_operator.errors import TokenInvalidError, VaultUnavailableError
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.registry import load_providers
from vault_access_operator.vault import Health, TokenGrant

REGISTRY = load_providers()
BACKOFF = Backoff()  # production timing: 1 s doubling to 5 min, a 5 s login floor


class RenewFails(FakeSession):
    """renew-self answers 500 (the first ``failing`` times, or always); lookup-self keeps working."""

    failing = 10**9

    async def renew(self) -> TokenGrant:
        if self.count("renew") < self.failing:
            self._call("renew")
            raise VaultUnavailableError("Vault at https://vault:8200 answered a token renewal with HTTP 500: boom")
        return await super().renew()

    def count(self, what: str) -> int:
        return sum(1 for call, _ in self.calls if call == what)


class RenewHeals(RenewFails):
    failing = 5


class LookupRejects(FakeSession):
    """Every token is rejected at its first lookup (a Vault whose role grants no lookup-self, say)."""

    async def lookup_self(self) -> None:
        self._call("lookup")
        raise TokenInvalidError("Vault rejected the operator's token: permission denied")


def times(run: Run, what: str) -> list[float]:
    return [(at - T0).total_seconds() for call, at in run.calls if call == what]


def phases(run: Run) -> list[str]:
    """The phase of each status write, consecutive repeats folded."""
    return [phase for phase, _ in itertools.groupby(status["phase"] for status in run.statuses)]


def test_renewals_failing_while_lookups_pass_back_off_exponentially() -> None:
    hour = 3600.0
    run = run_runtime(REGISTRY, "30s", ttl=60.0, seconds=hour, steps=100_000, session_class=RenewFails)
    renewals = times(run, "renew")
    window = hour - renewals[0]
    # Each retry probes (a lookup) and renews once; the probe passing does not reset the backoff.
    assert 10 <= len(renewals) <= BACKOFF.max_attempts_within(window) + 1, len(renewals)
    assert run.count("lookup") <= len(renewals) + hour / 30  # probes, and the checks before the first failure
    gaps = [b - a for a, b in itertools.pairwise(renewals)]
    assert gaps == sorted(gaps) and gaps[-1] >= BACKOFF.cap / 2, gaps  # growing to the cap, never reset
    assert run.count("login") == 1
    # One Warning for the repeated reason; no Active event nor Active status between two failures.
    assert [e for e in run.events if e[0] == "Warning"] == [
        ("Warning", "VaultUnreachable", "Vault at https://vault:8200 answered a token renewal with HTTP 500: boom")]
    assert not [e for e in run.events if e[1] == "Active"]
    assert phases(run) == ["Active", "Error"]
    assert len(run.statuses) <= len(renewals) + 2  # one write per failure (the count changes), plus the login's
    assert run.statuses[-1]["consecutiveFailures"] == len(renewals)


def test_a_recovering_connection_turns_active_once() -> None:
    run = run_runtime(REGISTRY, "30s", ttl=60.0, seconds=3600.0, steps=100_000, session_class=RenewHeals)
    assert run.count("renew") > RenewHeals.failing
    assert phases(run) == ["Active", "Error", "Active"]
    assert [e[1] for e in run.events if e[1] in ("Active", "VaultUnreachable")] == ["VaultUnreachable", "Active"]
    final = run.statuses[-1]
    assert final["consecutiveFailures"] == 0 and final["authStatus"]["loginCount"] == 1


def test_a_lease_too_short_to_use_is_an_error_retried_with_backoff() -> None:
    window = 600.0
    run = run_runtime(REGISTRY, "30s", ttl=0.4, seconds=window, steps=100_000)
    logins = times(run, "login")
    assert 2 <= len(logins) <= BACKOFF.max_attempts_within(window) + 1, len(logins)
    assert min(b - a for a, b in itertools.pairwise(logins)) >= BACKOFF.login_floor
    status = run.statuses[-1]
    assert status["phase"] == "Error" and status["conditions"][0]["reason"] == "TokenTTLTooShort"
    assert status["message"] == (
        "Vault granted a token with a TTL of 0.4s at auth/kubernetes: raise the role's token_ttl to at least 10s "
        "(the operator logs in at most once every 5s)")
    assert status["conditions"][1]["status"] == "False"  # Authenticated: the token was revoked at once
    assert [e[1] for e in run.events if e[0] == "Warning"] == ["TokenTTLTooShort"]


def test_logins_keep_the_floor_whatever_vault_answers() -> None:
    # Each new token is rejected at its first check: a re-login, not a failure, so no backoff applies; the
    # login floor alone keeps it from a loop at the 1 s health-check interval.
    window = 120.0
    run = run_runtime(REGISTRY, "1s", seconds=window, steps=100_000, session_class=LookupRejects)
    logins = times(run, "login")
    assert len(logins) <= window / BACKOFF.login_floor + 1, len(logins)
    assert min(b - a for a, b in itertools.pairwise(logins)) >= BACKOFF.login_floor
    assert [e[1] for e in run.events if e[0] == "Warning"] == ["TokenRejected"]  # once, not per re-login


def test_a_server_suggested_wait_is_honoured() -> None:
    class Throttled(FakeSession):
        async def health(self) -> Health:
            self._call("health")
            error = VaultUnavailableError("Vault at https://vault:8200 answered sys/health with HTTP 429")
            error.retry_after = 42.0
            raise error

    run = run_runtime(REGISTRY, "30s", seconds=200.0, steps=100_000, session_class=Throttled)
    attempts = times(run, "health")
    assert len(attempts) >= 3
    assert all(b - a >= 42.0 for a, b in itertools.pairwise(attempts)), attempts


def test_a_server_suggested_wait_is_capped() -> None:
    class Hostile(FakeSession):
        async def health(self) -> Health:
            self._call("health")
            error = VaultUnavailableError("Vault at https://vault:8200 answered sys/health with HTTP 429")
            error.retry_after = 10**9
            raise error

    run = run_runtime(REGISTRY, "30s", seconds=3 * BACKOFF.cap + 1, steps=100_000, session_class=Hostile)
    gaps = [b - a for a, b in itertools.pairwise(times(run, "health"))]
    assert gaps and all(gap == datetime.timedelta(seconds=BACKOFF.cap).total_seconds() for gap in gaps), gaps
