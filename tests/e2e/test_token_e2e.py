"""spec.auth.token end to end: the real operator with a Vault token from a Secret (no login) against OpenBao."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS
from tests.e2e.helpers import condition, status_of, wait_phase, wait_status
from tests.support.tokens import is_valid, new_token
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

NAME = "vault-token"
SOURCE = f"key 'token' of Secret {OPERATOR_NS}/{NAME} (spec.auth.token.secretRef)"


def token_spec(address: str, interval: str = "1s") -> dict[str, Any]:
    ref = {"name": NAME, "namespace": OPERATOR_NS, "key": "token"}
    return {"address": address, "auth": {"token": {"secretRef": ref}}, "healthCheckInterval": interval}


def store_token(kube: FakeKube, token: str) -> None:
    if kube.get("secrets", NAME, OPERATOR_NS) is not None:
        kube.delete("secrets", NAME, OPERATOR_NS)
    kube.create_secret(OPERATOR_NS, NAME, {"token": token})


def test_a_periodic_token_is_active_renewed_shown_nowhere_and_never_revoked(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, accessor = new_token(openbao, period="3s", policies=["default", "team-a"])
    store_token(fake_kube, token + "\n")
    fake_kube.create_vaultconnection(NAME, token_spec(openbao.url))
    status = wait_phase(fake_kube, NAME, "Active")
    authenticated = condition(status, "Authenticated")
    assert status["healthy"] is True and authenticated["reason"] == "LoggedIn"
    # No login happened: neither the condition nor the event may claim one at auth/token.
    assert authenticated["message"] == "holds the supplied Vault token (no login)"
    took = [e["message"] for e in fake_kube.list_events() if e["reason"] == "LoggedIn"]
    assert took and all(m.startswith("took the supplied Vault token (no login)") for m in took)
    auth = status["authStatus"]
    assert (auth["authMethod"], auth["authPath"], auth["tokenAccessor"]) == ("token", "token", accessor)
    assert auth["tokenExpiration"] and auth["loginCount"] == 1
    assert auth["details"] == {"secretRef": f"{OPERATOR_NS}/{NAME} (key token)", "policies": "default,team-a",
                               "tokenType": "service", "renewable": "true", "period": "3s"}
    # A 3 s period: it lives only because the operator renews it.
    renewed = wait_status(fake_kube, NAME, lambda s: s["authStatus"]["tokenRenewalCount"] >= 3, "renewed 3 times")
    assert renewed["phase"] == "Active" and renewed["authStatus"]["tokenAccessor"] == accessor
    assert is_valid(openbao, accessor)
    exposed = {
        "status and object": json.dumps(fake_kube.get_vaultconnection(NAME)),
        "events": json.dumps(fake_kube.list_events()),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
    }
    for where, text in exposed.items():
        assert token not in text and token[-12:] not in text, f"the token reached the {where}"
    # Deleting the connection drops the token but leaves it valid: the operator did not create it.
    fake_kube.delete_vaultconnection(NAME)
    wait_for(lambda: fake_kube.get_vaultconnection(NAME) is None, timeout=10, message="not deleted")
    assert is_valid(openbao, accessor)


def test_an_expired_token_is_an_error_naming_the_secret_and_a_new_value_heals_it(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator
) -> None:
    token, _ = new_token(openbao, ttl="4s", renewable=False)
    store_token(fake_kube, token)
    fake_kube.create_vaultconnection(NAME, token_spec(openbao.url, interval="30s"))
    active = wait_phase(fake_kube, NAME, "Active")
    assert active["authStatus"]["details"]["renewable"] == "false"
    generation = (fake_kube.get_vaultconnection(NAME) or {})["metadata"]["generation"]
    status = wait_phase(fake_kube, NAME, "Error")  # read again when it expired: still the same, now dead
    assert condition(status, "Ready")["reason"] == "CredentialsRejected"
    assert status["message"] == (
        f"Vault rejected the token in {SOURCE}: permission denied: it has expired or was revoked (or its policies do "
        "not allow auth/token/lookup-self, which Vault's default policy grants): replace it there with a valid token; "
        "the operator reads it again at every retry, no spec change needed"
    )
    assert status["authStatus"]["loginCount"] == 1  # the same token was not "logged in" again and again
    wait_for(lambda: fake_kube.list_events(involved_name=NAME, reason="CredentialsRejected"), timeout=10)
    fresh, fresh_accessor = new_token(openbao, period="1h")
    store_token(fake_kube, fresh)
    healed = wait_status(fake_kube, NAME, lambda s: s["phase"] == "Active" and s["healthy"], "Active again",
                         timeout=30)
    assert healed["authStatus"]["tokenAccessor"] == fresh_accessor and healed["authStatus"]["loginCount"] == 2
    assert (fake_kube.get_vaultconnection(NAME) or {})["metadata"]["generation"] == generation  # no spec change


def test_a_revoked_token_is_an_error_at_the_next_check(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator
) -> None:
    token, accessor = new_token(openbao, period="1h")
    store_token(fake_kube, token)
    fake_kube.create_vaultconnection(NAME, token_spec(openbao.url))
    wait_phase(fake_kube, NAME, "Active")
    openbao.client().auth.token.revoke_accessor(accessor)
    status = wait_phase(fake_kube, NAME, "Error")
    assert condition(status, "Authenticated")["reason"] == "CredentialsRejected"
    assert status["message"].startswith(f"Vault rejected the token in {SOURCE}: permission denied")
    rejected = fake_kube.list_events(involved_name=NAME, reason="TokenRejected")
    assert [e["message"] for e in rejected] == [
        f"Vault rejected the token in {SOURCE}: permission denied; logging in again"]


def test_shutting_the_operator_down_does_not_revoke_the_token(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    token, accessor = new_token(openbao, period="1h")
    store_token(fake_kube, token)
    with run_operator(fake_kube.connection_info(), identity=operator_identity,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)):
        fake_kube.create_vaultconnection(NAME, token_spec(openbao.url))
        wait_phase(fake_kube, NAME, "Active")
    # A graceful stop revokes the tokens the operator logged in for (tests/e2e/test_operator_process.py), not this.
    assert is_valid(openbao, accessor) and status_of(fake_kube, NAME)["phase"] == "Active"
