"""The userpass provider against a real OpenBao, through the plugin kit's fixtures."""

from __future__ import annotations

import pytest
from vault_access_operator.plugin import LoginDeniedError
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.plugin_login import login_with
from vault_access_operator.testing.recording import RecordingAuthContext

from vao_userpass import UserpassAuthProvider

pytest_plugins = ["vault_access_operator.testing.pytest_plugin"]
PASSWORD = "correct-horse-battery-staple"


def enable_userpass(server: OpenBaoServer, mount: str = "userpass") -> None:
    """Userpass auth at ``mount`` with user "operator" (password PASSWORD)."""
    client = server.client()
    client.sys.enable_auth_method("userpass", path=mount)
    client.auth.userpass.create_or_update_user("operator", PASSWORD, mount_point=mount,
                                               token_policies=["default"], token_ttl="1h")


def config(mount: str = "userpass") -> dict[str, object]:
    return {"username": "operator", "passwordSecretRef": {"name": "userpass", "key": "password"}, "mountPath": mount}


def test_login_returns_a_token_for_the_user(openbao_server: OpenBaoServer, auth_context: RecordingAuthContext) -> None:
    enable_userpass(openbao_server, mount="userpass-prod")
    auth_context.add_secret(auth_context.operator_namespace, "userpass", "password", PASSWORD)
    grant = login_with(UserpassAuthProvider, config("userpass-prod"), auth_context, openbao_server.url)
    assert grant.renewable and 3500 < grant.ttl <= 3600
    looked_up = openbao_server.client().auth.token.lookup_accessor(grant.accessor)["data"]
    assert looked_up["meta"]["username"] == "operator" and "default" in looked_up["policies"]


def test_a_wrong_password_is_explained_without_showing_it(
    openbao_server: OpenBaoServer, auth_context: RecordingAuthContext
) -> None:
    enable_userpass(openbao_server)
    wrong = "not-the-password-123"
    auth_context.add_secret(auth_context.operator_namespace, "userpass", "password", wrong)
    with pytest.raises(LoginDeniedError) as denied:
        login_with(UserpassAuthProvider, config(), auth_context, openbao_server.url)
    assert "invalid username or password" in denied.value.message and "users/operator" in denied.value.message
    assert wrong not in denied.value.message and denied.value.status == 400


def test_a_wrong_mount_points_at_mount_path(openbao_server: OpenBaoServer, auth_context: RecordingAuthContext) -> None:
    enable_userpass(openbao_server)
    auth_context.add_secret(auth_context.operator_namespace, "userpass", "password", PASSWORD)
    with pytest.raises(LoginDeniedError, match=r"enabled at 'nowhere' .*mountPath"):
        login_with(UserpassAuthProvider, config("nowhere"), auth_context, openbao_server.url)
