"""The example third-party plugin (examples/vault-access-operator-approle), installed as its own
distribution and found through its entry point, logs the real operator in to real OpenBao AppRole auth."""

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

INSTALL_HINT = "pip install -e examples/vault-access-operator-approle (./dev test does it)"


@pytest.fixture(autouse=True)
def example_installed() -> None:
    # Fail, not skip: a silently skipped example would hide a broken plugin kit.
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="vault_access_operator.auth")}
    assert names.get("appRole") == "vao_approle", f"the example plugin is not installed: {INSTALL_HINT}"


@pytest.fixture
def approle(openbao: OpenBaoServer) -> tuple[str, str]:
    """AppRole auth on OpenBao with role "operator": its role ID and a secret ID."""
    client = openbao.client()
    client.sys.enable_auth_method("approle")
    client.auth.approle.create_or_update_approle("operator", token_policies=["default"], token_ttl="1h")
    role_id = client.auth.approle.read_role_id("operator")["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id("operator")["data"]["secret_id"]
    return role_id, secret_id


def approle_spec(address: str, role_id: str) -> dict[str, Any]:
    ref = {"name": "vault-approle", "namespace": OPERATOR_NS, "key": "secret-id"}
    auth = {"appRole": {"roleId": role_id, "secretIdRef": ref}}
    return {"address": address, "auth": auth, "healthCheckInterval": "1s"}


def test_approle_connection_becomes_active_through_the_plugin(
    fake_kube: FakeKube, openbao: OpenBaoServer, approle: tuple[str, str], operator: RunningOperator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    role_id, secret_id = approle
    fake_kube.create_secret(OPERATOR_NS, "vault-approle", {"secret-id": secret_id + "\n"})
    fake_kube.create_vaultconnection("vault-approle", approle_spec(openbao.url, role_id))
    status = wait_phase(fake_kube, "vault-approle", "Active")
    assert status["healthy"] is True and status["vaultVersion"] and status["message"] == ""
    assert condition(status, "Ready")["reason"] == "Connected"
    assert condition(status, "Authenticated")["reason"] == "LoggedIn"
    auth = status["authStatus"]
    assert auth["authMethod"] == "appRole" and auth["authPath"] == "approle"
    assert auth["tokenAccessor"] and auth["tokenExpiration"] and auth["lastLogin"] and auth["loginCount"] == 1
    assert auth["details"] == {"roleId": role_id, "secretIdRef": f"{OPERATOR_NS}/vault-approle (key secret-id)"}
    meta = openbao.client().auth.token.lookup_accessor(auth["tokenAccessor"])["data"]["meta"]
    assert meta["role_name"] == "operator"
    # The health check (every 1 s) keeps it Active; the secret ID shows up nowhere.
    wait_for(lambda: any(e["reason"] == "LoggedIn" for e in fake_kube.list_events(involved_name="vault-approle")))
    exposed = {
        "status and object": json.dumps(fake_kube.get_vaultconnection("vault-approle")),
        "events": json.dumps(fake_kube.list_events()),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
    }
    for where, text in exposed.items():
        assert secret_id not in text and secret_id[-12:] not in text, f"the secret ID reached the {where}"


def test_a_wrong_secret_id_is_explained_and_a_rotated_one_recovers(
    fake_kube: FakeKube, openbao: OpenBaoServer, approle: tuple[str, str], operator: RunningOperator
) -> None:
    role_id, secret_id = approle
    wrong = "00000000-1111-2222-3333-444444444444"
    fake_kube.create_secret(OPERATOR_NS, "vault-approle", {"secret-id": wrong})
    fake_kube.create_vaultconnection("vault-approle", approle_spec(openbao.url, role_id))
    status = wait_phase(fake_kube, "vault-approle", "Error")
    assert condition(status, "Authenticated")["reason"] == "LoginDenied"
    assert "invalid role or secret ID" in status["message"] and f"role ID {role_id!r}" in status["message"]
    assert wrong not in json.dumps(status)
    # Rotating the Secret is enough: every login reads it afresh.
    fake_kube.delete("secrets", "vault-approle", OPERATOR_NS)
    fake_kube.create_secret(OPERATOR_NS, "vault-approle", {"secret-id": secret_id})
    assert wait_phase(fake_kube, "vault-approle", "Active")["authStatus"]["tokenAccessor"]
    assert status_of(fake_kube, "vault-approle")["healthy"] is True
