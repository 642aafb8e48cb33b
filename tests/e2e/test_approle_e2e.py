"""spec.auth.appRole end to end: the real operator against OpenBao's approle auth."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS
from tests.e2e.helpers import condition, status_of, wait_phase, wait_status
from tests.support.approle import enable_approle, new_secret_id
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

NAME = "vault-approle"
SECRET = f"key 'secret-id' of Secret {OPERATOR_NS}/{NAME} (spec.auth.appRole.secretIdRef)"


def approle_spec(address: str, role_id: str, interval: str = "1s") -> dict[str, Any]:
    ref = {"name": NAME, "namespace": OPERATOR_NS, "key": "secret-id"}
    return {"address": address, "auth": {"appRole": {"roleId": role_id, "secretIdRef": ref}},
            "healthCheckInterval": interval}


def store_secret_id(kube: FakeKube, secret_id: str) -> None:
    if kube.get("secrets", NAME, OPERATOR_NS) is not None:
        kube.delete("secrets", NAME, OPERATOR_NS)
    kube.create_secret(OPERATOR_NS, NAME, {"secret-id": secret_id})


def test_active_renewed_and_the_secret_id_shown_nowhere(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    role_id = enable_approle(openbao, token_ttl="3s", token_max_ttl="1h")
    secret_id = new_secret_id(openbao)
    store_secret_id(fake_kube, secret_id + "\n")
    fake_kube.create_vaultconnection(NAME, approle_spec(openbao.url, role_id))
    status = wait_phase(fake_kube, NAME, "Active")
    assert status["healthy"] is True and condition(status, "Authenticated")["reason"] == "LoggedIn"
    auth = status["authStatus"]
    assert (auth["authMethod"], auth["authPath"], auth["loginCount"]) == ("appRole", "approle", 1)
    assert auth["details"] == {"roleId": role_id, "secretIdRef": f"{OPERATOR_NS}/{NAME} (key secret-id)"}
    assert openbao.client().auth.token.lookup_accessor(auth["tokenAccessor"])["data"]["meta"]["role_name"] == "operator"
    # A 3 s token is renewed, not replaced: the same token, one login.
    renewed = wait_status(fake_kube, NAME, lambda s: s["authStatus"]["tokenRenewalCount"] >= 2, "renewed twice")
    assert renewed["authStatus"]["tokenAccessor"] == auth["tokenAccessor"] and renewed["authStatus"]["loginCount"] == 1
    exposed = {
        "status and object": json.dumps(fake_kube.get_vaultconnection(NAME)),
        "events": json.dumps(fake_kube.list_events()),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
    }
    for where, text in exposed.items():
        assert secret_id not in text and secret_id[-12:] not in text, f"the secret ID reached the {where}"


def test_a_rotated_secret_id_is_used_at_the_next_login(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator
) -> None:
    # Each secret ID logs in once (secret_id_num_uses=1) and a token lives 4 s (max TTL): every new login
    # succeeds only with a secret ID the Secret got after the previous one.
    role_id = enable_approle(openbao, token_ttl="4s", token_max_ttl="4s", secret_id_num_uses=1)
    store_secret_id(fake_kube, new_secret_id(openbao))
    fake_kube.create_vaultconnection(NAME, approle_spec(openbao.url, role_id, interval="30s"))
    first = wait_phase(fake_kube, NAME, "Active")["authStatus"]["tokenAccessor"]
    store_secret_id(fake_kube, new_secret_id(openbao))
    status = wait_status(fake_kube, NAME, lambda s: s["authStatus"]["loginCount"] >= 2 and s["phase"] == "Active",
                         "logged in again with the rotated secret ID")
    assert status["authStatus"]["tokenAccessor"] != first and status["consecutiveFailures"] == 0


def test_a_wrong_secret_id_is_an_error_that_says_what_to_fix_and_a_new_one_heals_it(
    fake_kube: FakeKube, openbao: OpenBaoServer, operator: RunningOperator
) -> None:
    role_id = enable_approle(openbao)
    wrong = "00000000-1111-2222-3333-444444444444"
    store_secret_id(fake_kube, wrong)
    fake_kube.create_vaultconnection(NAME, approle_spec(openbao.url, role_id))
    status = wait_phase(fake_kube, NAME, "Error")
    assert condition(status, "Authenticated")["reason"] == "LoginDenied"
    assert status["message"] == (
        f"Vault denied the AppRole login at auth/approle with role ID {role_id!r} (Vault said: \"invalid role or "
        "secret ID\"): either spec.auth.appRole.roleId is not the role's role ID (vault read "
        f"auth/approle/role/<role>/role-id), or the secret ID in {SECRET} is not valid for it: expired "
        "(secret_id_ttl), used up (secret_id_num_uses), destroyed, or of another role. Store a new one there "
        "(vault write -f auth/approle/role/<role>/secret-id); the next login reads it"
    )
    wait_for(lambda: any(e["reason"] == "LoginDenied" for e in fake_kube.list_events(involved_name=NAME)))
    assert wrong not in json.dumps(status) + json.dumps(fake_kube.list_events(involved_name=NAME))
    store_secret_id(fake_kube, new_secret_id(openbao))  # no spec change: the retry reads the Secret again
    assert wait_phase(fake_kube, NAME, "Active")["healthy"] is True
    assert status_of(fake_kube, NAME)["authStatus"]["loginCount"] == 1
