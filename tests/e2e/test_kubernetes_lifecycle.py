"""The shared token lifecycle, end to end: renewal, re-login, outages, sealing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import hvac.exceptions
import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA, trust_the_operator
from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.redact import REDACTOR
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for


def connect_with_ttl(kube: FakeKube, openbao: OpenBaoServer, name: str, ttl: str, max_ttl: str) -> dict[str, Any]:
    """Kubernetes auth on ``openbao`` with a role of this token TTL, and a connection to it; its first Active status."""
    trust_the_operator(openbao, kube, ttl=ttl, max_ttl=max_ttl)
    kube.create_vaultconnection(name, k8s_spec(openbao.url, interval="30s"))
    return wait_phase(kube, name, "Active")


def test_short_ttl_token_is_renewed_and_never_expires(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, operator: RunningOperator
) -> None:
    first = connect_with_ttl(fake_kube, openbao, "short", ttl="3s", max_ttl="1h")
    accessor = first["authStatus"]["tokenAccessor"]
    renewed = wait_for(lambda: (s := status_of(fake_kube, "short"))["authStatus"]["tokenRenewalCount"] >= 3 and s,
                       timeout=15, message="the token was not renewed three times")
    # Same token throughout (renewed, not replaced), still valid, one login only.
    assert renewed["authStatus"]["tokenAccessor"] == accessor
    assert renewed["authStatus"]["loginCount"] == 1
    assert renewed["authStatus"]["tokenLastRenewed"]
    assert openbao.client().auth.token.lookup_accessor(accessor)["data"]["ttl"] > 0
    assert fake_kube.tokens.minted_for(OPERATOR_NS, OPERATOR_SA) == 1


def test_token_near_max_ttl_is_replaced_by_a_new_login(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, operator: RunningOperator
) -> None:
    first = connect_with_ttl(fake_kube, openbao, "capped", ttl="3s", max_ttl="5s")["authStatus"]["tokenAccessor"]
    status = wait_for(lambda: (s := status_of(fake_kube, "capped"))["authStatus"]["loginCount"] >= 2 and s,
                      timeout=15, message="no new login before max TTL")
    assert status["phase"] == "Active" and status["authStatus"]["tokenAccessor"] != first
    # A re-login inside Active is routine: the status shows it (loginCount, the new accessor), no event tells it.
    assert [e["reason"] for e in fake_kube.list_events(involved_name="capped")] == ["LoggedIn"]


def test_logins_do_not_pile_up_secrets_in_the_redactor(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity, operator: RunningOperator
) -> None:
    connect_with_ttl(fake_kube, openbao, "relogging", ttl="2s", max_ttl="2s")
    held_after_first_login = len(REDACTOR)  # this login's service-account JWT and Vault token, and others'
    wait_for(lambda: status_of(fake_kube, "relogging")["authStatus"]["loginCount"] >= 4, timeout=20,
             message="no re-logins")
    # Each login remembered a new JWT and a new token; the old ones were forgotten (a week of hourly
    # re-logins at 1,000 connections would otherwise hold 168,000 of them).
    assert len(REDACTOR) <= held_after_first_login
    fake_kube.delete_vaultconnection("relogging")
    wait_for(lambda: len(REDACTOR) <= held_after_first_login - 2, timeout=10, message="not forgotten on delete")


def test_revoked_token_is_replaced_at_the_next_check(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("revoked", k8s_spec(vault_k8s.url, interval="1s"))
    accessor = wait_phase(fake_kube, "revoked", "Active")["authStatus"]["tokenAccessor"]
    vault_k8s.client().auth.token.revoke_accessor(accessor)
    status = wait_for(lambda: (s := status_of(fake_kube, "revoked"))["authStatus"]["tokenAccessor"] != accessor and s,
                      timeout=10, message="the revoked token was not replaced")
    assert status["phase"] == "Active" and status["authStatus"]["loginCount"] == 2
    # The rejection is told, and so is the login that ended it (the warning said "logging in again").
    events = fake_kube.list_events(involved_name="revoked")
    assert [e["reason"] for e in events] == ["LoggedIn", "TokenRejected", "LoggedIn"]


@pytest.fixture
def persistent_k8s(fake_kube: FakeKube, openbao_persistent: OpenBaoServer,
                   operator_identity: OperatorIdentity) -> Iterator[tuple[OpenBaoServer, CountingProxy]]:
    trust_the_operator(openbao_persistent, fake_kube)
    with CountingProxy(openbao_persistent.port) as proxy:
        yield openbao_persistent, proxy


def test_outage_shows_error_then_recovers_with_bounded_retries(
    fake_kube: FakeKube, persistent_k8s: tuple[OpenBaoServer, CountingProxy], operator: RunningOperator
) -> None:
    server, proxy = persistent_k8s
    fake_kube.create_vaultconnection("outage", k8s_spec(proxy.url, interval="1s"))
    wait_phase(fake_kube, "outage", "Active")
    server.stop()
    before, stopped_at = proxy.count(), time.monotonic()
    status = wait_phase(fake_kube, "outage", "Error", timeout=3)  # within about one interval
    assert condition(status, "Ready")["reason"] == "VaultUnreachable"
    assert "cannot reach Vault at" in status["message"] and status["healthy"] is False
    time.sleep(6)
    outage = time.monotonic() - stopped_at
    attempts = proxy.count() - before
    # The backoff (0.2 s doubling to 2 s in tests) bounds the retries; each opens at most two connections
    # (aiohttp re-sends an idempotent request once when the server drops the connection, as this proxy does).
    bound = 2 * (Backoff(base=0.2, cap=2.0).max_attempts_within(outage) + 1)
    assert 2 <= attempts <= bound, (attempts, bound)
    server.start()
    recovered = wait_phase(fake_kube, "outage", "Active", timeout=10)
    assert recovered["healthy"] is True and condition(recovered, "Ready")["reason"] == "Connected"
    assert recovered["consecutiveFailures"] == 0


def test_sealed_vault_shows_sealed_and_recovers_after_unseal(
    fake_kube: FakeKube, persistent_k8s: tuple[OpenBaoServer, CountingProxy], operator: RunningOperator
) -> None:
    server, proxy = persistent_k8s
    fake_kube.create_vaultconnection("sealed", k8s_spec(proxy.url, interval="1s"))
    wait_phase(fake_kube, "sealed", "Active")
    server.seal()
    status = wait_phase(fake_kube, "sealed", "Error", timeout=5)
    assert condition(status, "Ready")["reason"] == "VaultSealed"
    assert "is sealed" in status["message"]
    server.unseal()
    wait_phase(fake_kube, "sealed", "Active", timeout=10)


def test_operator_restart_logs_in_again(fake_kube: FakeKube, vault_k8s: OpenBaoServer,
                                        operator_identity: OperatorIdentity) -> None:
    from vault_access_operator_devkit.operator import run_operator

    fake_kube.create_vaultconnection("restart", k8s_spec(vault_k8s.url, interval="1s"))
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(0.2, 2.0)):
        first = wait_phase(fake_kube, "restart", "Active")["authStatus"]["tokenAccessor"]
    # The token lived only in the first operator's memory: the second one logs in by itself.
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(0.2, 2.0)):
        def relogged() -> dict[str, Any] | None:
            status = status_of(fake_kube, "restart")
            return status if status["authStatus"].get("tokenAccessor") not in (None, first) else None

        status = wait_for(relogged, timeout=10, message="no new login after the restart")
        assert status is not None  # wait_for returns only a truthy value
    assert status["phase"] == "Active" and status["healthy"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest):  # the first operator revoked its token on shutdown
        vault_k8s.client().auth.token.lookup_accessor(first)
    assert (fake_kube.get_vaultconnection("restart") or {})["spec"] == k8s_spec(vault_k8s.url, interval="1s")


def test_status_keeps_no_keys_of_an_earlier_login(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    # The first login reports the ignored compatibility field; once it is removed, the next status must not
    # (a merge patch of the new status would leave the old key in place), nor a field no version of ours wrote.
    fake_kube.create_vaultconnection("edited", k8s_spec(vault_k8s.url, kubernetesHost="https://kubernetes.default"))
    first = wait_phase(fake_kube, "edited", "Active")
    assert first["authStatus"]["details"]["ignoredFields"] == "kubernetesHost"
    fake_kube.patch_vaultconnection_status("edited", {"legacyField": "from an older operator"})
    fake_kube.patch_vaultconnection("edited", {"spec": {"auth": {"kubernetes": {"kubernetesHost": None}}}})
    status = wait_for(lambda: (s := status_of(fake_kube, "edited")).get("observedGeneration") == 2
                      and s.get("phase") == "Active" and s, timeout=15, message="the edit was not applied")
    assert status  # wait_for returns only a truthy value
    assert "ignoredFields" not in status["authStatus"]["details"]
    assert status["authStatus"]["details"]["serviceAccount"] == f"{OPERATOR_NS}/{OPERATOR_SA}"
    assert "legacyField" not in status
