"""The AppRole provider without Vault: the operator's contract, the config it accepts, the request it builds."""

from __future__ import annotations

import pydantic
import pytest
from vault_access_operator.plugin import CredentialsError, SecretNotFoundError
from vault_access_operator.testing.contract import ProviderContract, check_entry_point
from vault_access_operator.testing.plugin_login import make_login_request
from vault_access_operator.testing.recording import RecordingAuthContext

from vao_approle import AppRoleAuthConfig, AppRoleAuthProvider

pytest_plugins = ["vault_access_operator.testing.pytest_plugin"]

SAMPLE = {"roleId": "role-id-1", "secretIdRef": {"name": "approle", "key": "secret-id"}}


class TestAppRoleContract(ProviderContract):
    provider_class = AppRoleAuthProvider
    sample_config = SAMPLE


def test_the_installed_entry_point_serves_spec_auth_approle() -> None:
    assert check_entry_point("appRole") is AppRoleAuthProvider


def test_config_uses_the_replaced_operators_field_names() -> None:
    config = AppRoleAuthConfig.model_validate(SAMPLE)
    assert (config.role_id, config.mount_path, config.secret_id_ref.namespace) == ("role-id-1", "approle", None)
    with pytest.raises(pydantic.ValidationError, match="authPath"):  # mountPath, not authPath
        AppRoleAuthConfig.model_validate({**SAMPLE, "authPath": "approle"})
    with pytest.raises(pydantic.ValidationError, match="roleId"):  # strict: never coerced to a string
        AppRoleAuthConfig.model_validate({**SAMPLE, "roleId": 12345})


def test_request_reads_the_secret_id_and_keeps_it_out_of_details(auth_context: RecordingAuthContext) -> None:
    auth_context.add_secret(auth_context.operator_namespace, "approle", "secret-id", "s3cr3t-id-value\n")
    request = make_login_request(AppRoleAuthProvider, {**SAMPLE, "mountPath": "/approle-prod/"}, auth_context)
    assert request.mount == "approle-prod" and request.path == "login"
    assert dict(request.body) == {"role_id": "role-id-1", "secret_id": "s3cr3t-id-value"}  # newline stripped
    assert "s3cr3t" not in repr(request) + str(dict(request.details))
    assert request.details["secretIdRef"] == "vault-access-operator-system/approle (key secret-id)"
    assert "s3cr3t-id-value" in auth_context.remembered  # the redacting logger will mask it


def test_a_missing_or_empty_secret_says_which_secret() -> None:
    with pytest.raises(SecretNotFoundError, match="approle"):
        make_login_request(AppRoleAuthProvider, SAMPLE, RecordingAuthContext())
    ctx = RecordingAuthContext({("vault-access-operator-system", "approle", "secret-id"): "  \n"})
    with pytest.raises(CredentialsError, match=r"Secret vault-access-operator-system/approle .* is empty"):
        make_login_request(AppRoleAuthProvider, SAMPLE, ctx)


def test_denials_say_what_to_fix() -> None:
    provider = AppRoleAuthProvider()
    config = AppRoleAuthConfig.model_validate(SAMPLE)
    request = make_login_request(provider, config, RecordingAuthContext(fake_missing=True))
    invalid = provider.explain_login_error(config, request, 400, "invalid role or secret ID")
    assert "role ID 'role-id-1'" in invalid and "secret-id" in invalid and "auth/approle" in invalid
    assert "mountPath" in provider.explain_login_error(config, request, 403, "permission denied")
