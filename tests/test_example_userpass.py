"""The example third-party plugin (examples/vault-access-operator-userpass), installed as its own
distribution and found through its entry point, logs the real operator in to real OpenBao userpass auth."""

from __future__ import annotations

import importlib.metadata
import json
import logging
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS
from tests.e2e.helpers import condition, status_of, wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

INSTALL_HINT = "pip install -e examples/vault-access-operator-userpass (./dev test does it)"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def example_installed() -> None:
    # Fail, not skip: a silently skipped example would hide a broken plugin kit.
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="vault_access_operator.auth")}
    assert names.get("userpass") == "vao_userpass", f"the example plugin is not installed: {INSTALL_HINT}"


@pytest.fixture
def userpass(openbao: OpenBaoServer) -> None:
    """Userpass auth on OpenBao with user "operator" (password PASSWORD)."""
    client = openbao.client()
    client.sys.enable_auth_method("userpass")
    client.auth.userpass.create_or_update_user("operator", PASSWORD, token_policies=["default"], token_ttl="1h")


def userpass_spec(address: str) -> dict[str, Any]:
    ref = {"name": "vault-userpass", "namespace": OPERATOR_NS, "key": "password"}
    auth = {"userpass": {"username": "operator", "passwordSecretRef": ref}}
    return {"address": address, "auth": auth, "healthCheckInterval": "1s"}


def test_userpass_connection_becomes_active_through_the_plugin(
    fake_kube: FakeKube, openbao: OpenBaoServer, userpass: None, operator: RunningOperator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_kube.create_secret(OPERATOR_NS, "vault-userpass", {"password": PASSWORD + "\n"})
    fake_kube.create_vaultconnection("vault-userpass", userpass_spec(openbao.url))
    status = wait_phase(fake_kube, "vault-userpass", "Active")
    assert status["healthy"] is True and status["vaultVersion"] and status["message"] == ""
    assert condition(status, "Ready")["reason"] == "Connected"
    assert condition(status, "Authenticated")["reason"] == "LoggedIn"
    auth = status["authStatus"]
    assert auth["authMethod"] == "userpass" and auth["authPath"] == "userpass"
    assert auth["tokenAccessor"] and auth["tokenExpiration"] and auth["lastLogin"] and auth["loginCount"] == 1
    ref = f"{OPERATOR_NS}/vault-userpass (key password)"
    assert auth["details"] == {"username": "operator", "passwordSecretRef": ref}
    meta = openbao.client().auth.token.lookup_accessor(auth["tokenAccessor"])["data"]["meta"]
    assert meta["username"] == "operator"
    # The health check (every 1 s) keeps it Active; the password shows up nowhere.
    wait_for(lambda: any(e["reason"] == "LoggedIn" for e in fake_kube.list_events(involved_name="vault-userpass")))
    exposed = {
        "status and object": json.dumps(fake_kube.get_vaultconnection("vault-userpass")),
        "events": json.dumps(fake_kube.list_events()),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
    }
    for where, text in exposed.items():
        assert PASSWORD not in text and PASSWORD[-12:] not in text, f"the password reached the {where}"


def test_a_wrong_password_is_explained_and_a_changed_one_recovers(
    fake_kube: FakeKube, openbao: OpenBaoServer, userpass: None, operator: RunningOperator
) -> None:
    wrong = "not-the-password-123"
    fake_kube.create_secret(OPERATOR_NS, "vault-userpass", {"password": wrong})
    fake_kube.create_vaultconnection("vault-userpass", userpass_spec(openbao.url))
    status = wait_phase(fake_kube, "vault-userpass", "Error")
    assert condition(status, "Authenticated")["reason"] == "LoginDenied"
    assert "invalid username or password" in status["message"] and "as 'operator'" in status["message"]
    assert wrong not in json.dumps(status)
    # Changing the Secret is enough: every login reads it afresh.
    fake_kube.delete("secrets", "vault-userpass", OPERATOR_NS)
    fake_kube.create_secret(OPERATOR_NS, "vault-userpass", {"password": PASSWORD})
    assert wait_phase(fake_kube, "vault-userpass", "Active")["authStatus"]["tokenAccessor"]
    assert status_of(fake_kube, "vault-userpass")["healthy"] is True
