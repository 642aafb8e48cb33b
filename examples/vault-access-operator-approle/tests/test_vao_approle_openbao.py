"""The AppRole provider against a real OpenBao, through the plugin kit's fixtures."""

from __future__ import annotations

import pytest
from vault_access_operator.plugin import LoginDeniedError
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.plugin_login import login_with
from vault_access_operator.testing.recording import RecordingAuthContext

from vao_approle import AppRoleAuthProvider

pytest_plugins = ["vault_access_operator.testing.pytest_plugin"]


def enable_approle(server: OpenBaoServer, mount: str = "approle") -> tuple[str, str]:
    """AppRole auth at ``mount`` with role "operator"; returns its role ID and a fresh secret ID."""
    client = server.client()
    client.sys.enable_auth_method("approle", path=mount)
    client.auth.approle.create_or_update_approle("operator", token_policies=["default"], token_ttl="1h",
                                                 mount_point=mount)
    role_id = client.auth.approle.read_role_id("operator", mount_point=mount)["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id("operator", mount_point=mount)["data"]["secret_id"]
    return role_id, secret_id


def config(role_id: str, mount: str = "approle") -> dict[str, object]:
    return {"roleId": role_id, "secretIdRef": {"name": "approle", "key": "secret-id"}, "mountPath": mount}


def test_login_returns_a_token_for_the_role(openbao_server: OpenBaoServer, auth_context: RecordingAuthContext) -> None:
    role_id, secret_id = enable_approle(openbao_server, mount="approle-prod")
    auth_context.add_secret(auth_context.operator_namespace, "approle", "secret-id", secret_id)
    grant = login_with(AppRoleAuthProvider, config(role_id, "approle-prod"), auth_context, openbao_server.url)
    assert grant.renewable and 3500 < grant.ttl <= 3600
    looked_up = openbao_server.client().auth.token.lookup_accessor(grant.accessor)["data"]
    assert looked_up["meta"]["role_name"] == "operator" and "default" in looked_up["policies"]


def test_a_wrong_secret_id_is_explained_without_showing_it(
    openbao_server: OpenBaoServer, auth_context: RecordingAuthContext
) -> None:
    role_id, _ = enable_approle(openbao_server)
    wrong = "00000000-1111-2222-3333-444444444444"
    auth_context.add_secret(auth_context.operator_namespace, "approle", "secret-id", wrong)
    with pytest.raises(LoginDeniedError) as denied:
        login_with(AppRoleAuthProvider, config(role_id), auth_context, openbao_server.url)
    assert "invalid role or secret ID" in denied.value.message and "secret_id_num_uses" in denied.value.message
    assert wrong not in denied.value.message and denied.value.status == 400


def test_a_wrong_mount_points_at_mount_path(openbao_server: OpenBaoServer, auth_context: RecordingAuthContext) -> None:
    role_id, secret_id = enable_approle(openbao_server)
    auth_context.add_secret(auth_context.operator_namespace, "approle", "secret-id", secret_id)
    with pytest.raises(LoginDeniedError, match=r"enabled at 'nowhere' .*mountPath"):
        login_with(AppRoleAuthProvider, config(role_id, "nowhere"), auth_context, openbao_server.url)
