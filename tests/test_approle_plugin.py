"""The built-in appRole plugin: its contract, the config it accepts (the replaced operator's fields), the request
it builds, and what users read when OpenBao's approle auth refuses the login."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from tests.support.approle import enable_approle, new_secret_id
from vault_access_operator.plugin import CredentialsError, LoginDeniedError, SecretNotFoundError
from vault_access_operator.plugins.approle import AppRoleAuthConfig, AppRoleAuthProvider
from vault_access_operator.testing.contract import ProviderContract, check_entry_point
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.plugin_login import login_with, make_login_request
from vault_access_operator.testing.recording import RecordingAuthContext
from vault_access_operator.vault import TokenGrant

NS = "vault-access-operator-system"
SAMPLE: dict[str, Any] = {"roleId": "role-id-1", "secretIdRef": {"name": "approle", "key": "secret-id"}}
SECRET = "key 'secret-id' of Secret vault-access-operator-system/approle (spec.auth.appRole.secretIdRef)"


class TestAppRoleContract(ProviderContract):
    provider_class = AppRoleAuthProvider
    sample_config = SAMPLE


def test_the_built_in_entry_point_serves_spec_auth_approle() -> None:
    assert check_entry_point("appRole") is AppRoleAuthProvider


def test_config_keeps_the_replaced_operators_fields_and_defaults() -> None:
    config = AppRoleAuthConfig.model_validate({**SAMPLE, "secretIdRef": {**SAMPLE["secretIdRef"], "namespace": NS}})
    assert (config.role_id, config.mount_path, config.secret_id_ref.namespace) == ("role-id-1", "approle", NS)
    with pytest.raises(pydantic.ValidationError, match="authPath"):  # mountPath, not authPath
        AppRoleAuthConfig.model_validate({**SAMPLE, "authPath": "approle"})
    for missing in ("roleId", "secretIdRef"):
        with pytest.raises(pydantic.ValidationError, match=missing):
            AppRoleAuthConfig.model_validate({k: v for k, v in SAMPLE.items() if k != missing})
    with pytest.raises(pydantic.ValidationError, match="roleId"):  # strict: never coerced, never empty
        AppRoleAuthConfig.model_validate({**SAMPLE, "roleId": 12345})
    with pytest.raises(pydantic.ValidationError, match="roleId"):
        AppRoleAuthConfig.model_validate({**SAMPLE, "roleId": ""})
    with pytest.raises(pydantic.ValidationError, match="mountPath"):
        AppRoleAuthConfig.model_validate({**SAMPLE, "mountPath": "../sys"})


def test_request_reads_the_secret_id_masks_it_and_keeps_it_out_of_details() -> None:
    ctx = RecordingAuthContext({(NS, "approle", "secret-id"): "s3cr3t-id-value\n"})
    request = make_login_request(AppRoleAuthProvider, {**SAMPLE, "mountPath": "/approle-prod/"}, ctx)
    assert (request.mount, request.path) == ("approle-prod", "login")
    assert dict(request.body) == {"role_id": "role-id-1", "secret_id": "s3cr3t-id-value"}  # newline stripped
    assert "s3cr3t" not in repr(request) + str(dict(request.details))
    assert dict(request.details) == {"roleId": "role-id-1", "secretIdRef": f"{NS}/approle (key secret-id)"}
    assert "s3cr3t-id-value" in ctx.remembered


def test_every_login_reads_the_secret_again() -> None:
    ctx = RecordingAuthContext({(NS, "approle", "secret-id"): "first-secret-id"})
    provider = AppRoleAuthProvider()
    assert make_login_request(provider, SAMPLE, ctx).body["secret_id"] == "first-secret-id"
    ctx.add_secret(NS, "approle", "secret-id", "rotated-secret-id")
    assert make_login_request(provider, SAMPLE, ctx).body["secret_id"] == "rotated-secret-id"
    assert len(ctx.secret_reads) == 2


def test_a_missing_or_empty_secret_says_which_secret() -> None:
    with pytest.raises(SecretNotFoundError, match=f"{NS}/approle"):
        make_login_request(AppRoleAuthProvider, SAMPLE, RecordingAuthContext())
    ctx = RecordingAuthContext({(NS, "approle", "secret-id"): "  \n"})
    with pytest.raises(CredentialsError) as empty:
        make_login_request(AppRoleAuthProvider, SAMPLE, ctx)
    assert empty.value.message == (
        f"{SECRET} is empty: store a secret ID there (vault write -f auth/approle/role/<role>/secret-id)")


# --- OpenBao's answers, as the user reads them --------------------------------------------------------


def _login(server: OpenBaoServer, role_id: str, secret_id: str, mount: str = "approle") -> TokenGrant:
    ctx = RecordingAuthContext({(NS, "approle", "secret-id"): secret_id})
    return login_with(AppRoleAuthProvider, {**SAMPLE, "roleId": role_id, "mountPath": mount}, ctx, server.url)


def invalid(role_id: str) -> str:
    return (
        f"Vault denied the AppRole login at auth/approle with role ID {role_id!r} (Vault said: \"invalid role or "
        "secret ID\"): either spec.auth.appRole.roleId is not the role's role ID (vault read "
        f"auth/approle/role/<role>/role-id), or the secret ID in {SECRET} is not valid for it: expired "
        "(secret_id_ttl), used up (secret_id_num_uses), destroyed, or of another role. Store a new one there "
        "(vault write -f auth/approle/role/<role>/secret-id); the next login reads it"
    )


def test_login_gets_a_renewable_token_of_the_role(openbao: OpenBaoServer) -> None:
    role_id = enable_approle(openbao, mount="approle-prod")
    grant = _login(openbao, role_id, new_secret_id(openbao, mount="approle-prod"), mount="approle-prod")
    assert grant.renewable and 3500 < grant.ttl <= 3600
    data = openbao.client().auth.token.lookup_accessor(grant.accessor)["data"]
    assert data["meta"]["role_name"] == "operator"


def test_a_wrong_secret_id_or_role_id_says_what_to_fix(openbao: OpenBaoServer) -> None:
    role_id = enable_approle(openbao)
    wrong = "00000000-1111-2222-3333-444444444444"
    with pytest.raises(LoginDeniedError) as denied:
        _login(openbao, role_id, wrong)
    assert denied.value.message == invalid(role_id) and denied.value.status == 400
    with pytest.raises(LoginDeniedError) as denied:
        _login(openbao, "not-a-role-id", new_secret_id(openbao))
    assert denied.value.message == invalid("not-a-role-id")


def test_a_used_up_secret_id_and_a_deleted_role_point_at_the_secret(openbao: OpenBaoServer) -> None:
    role_id = enable_approle(openbao, secret_id_num_uses=1)
    secret_id = new_secret_id(openbao)
    _login(openbao, role_id, secret_id)
    with pytest.raises(LoginDeniedError, match="used up"):
        _login(openbao, role_id, secret_id)
    spare = new_secret_id(openbao)
    openbao.client().auth.approle.delete_role("operator")
    with pytest.raises(LoginDeniedError) as denied:  # OpenBao answers a deleted role as a wrong secret ID
        _login(openbao, role_id, spare)
    assert denied.value.message == invalid(role_id)


def test_a_missing_mount_points_at_mount_path(openbao: OpenBaoServer) -> None:
    role_id = enable_approle(openbao)
    with pytest.raises(LoginDeniedError) as denied:
        _login(openbao, role_id, new_secret_id(openbao), mount="nowhere")
    assert denied.value.message == (
        "Vault denied the AppRole login at auth/nowhere with role ID "
        f"{role_id!r} (Vault said: \"permission denied\"): check that AppRole auth is enabled at 'nowhere' (vault auth "
        "list; the path goes in spec.auth.appRole.mountPath, default approle)"
    )


def test_a_cidr_bound_role_names_the_cidr_settings(openbao: OpenBaoServer) -> None:
    role_id = enable_approle(openbao, secret_id_bound_cidrs=["10.0.0.0/8"])
    with pytest.raises(LoginDeniedError) as denied:
        _login(openbao, role_id, new_secret_id(openbao))
    assert "unauthorized by CIDR restrictions on the role" in denied.value.message
    assert denied.value.message.endswith(
        "the operator's address is outside the CIDRs the role or secret ID allows: check secret_id_bound_cidrs and "
        "token_bound_cidrs of the role (vault read auth/approle/role/<role>)")


def test_other_answers_are_quoted_with_the_fields_to_check() -> None:
    provider = AppRoleAuthProvider()
    config = AppRoleAuthConfig.model_validate(SAMPLE)
    request = make_login_request(provider, config, RecordingAuthContext(fake_missing=True))
    text = provider.explain_login_error(config, request, 400, "something new")
    assert text == (
        "Vault denied the AppRole login at auth/approle with role ID 'role-id-1' (Vault said: \"something new\"): "
        f"check spec.auth.appRole.roleId and the secret ID in {SECRET}")
    assert "no longer exists" in provider.explain_login_error(config, request, 400, "failed to find role")
