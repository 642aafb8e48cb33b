"""The userpass provider without Vault: the operator's contract, the config it accepts, the request it builds."""

from __future__ import annotations

import pydantic
import pytest
from vault_access_operator.plugin import CredentialsError, SecretNotFoundError
from vault_access_operator.testing.contract import ProviderContract, check_entry_point
from vault_access_operator.testing.plugin_login import make_login_request
from vault_access_operator.testing.recording import RecordingAuthContext

from vao_userpass import UserpassAuthConfig, UserpassAuthProvider

pytest_plugins = ["vault_access_operator.testing.pytest_plugin"]

SAMPLE = {"username": "operator", "passwordSecretRef": {"name": "userpass", "key": "password"}}


class TestUserpassContract(ProviderContract):
    provider_class = UserpassAuthProvider
    sample_config = SAMPLE


def test_the_installed_entry_point_serves_spec_auth_userpass() -> None:
    assert check_entry_point("userpass") is UserpassAuthProvider


def test_config_is_strict_and_the_username_is_path_safe() -> None:
    config = UserpassAuthConfig.model_validate(SAMPLE)
    assert (config.username, config.mount_path, config.password_secret_ref.namespace) == ("operator", "userpass", None)
    with pytest.raises(pydantic.ValidationError, match="authPath"):  # mountPath, as the built-in appRole
        UserpassAuthConfig.model_validate({**SAMPLE, "authPath": "userpass"})
    with pytest.raises(pydantic.ValidationError, match="username"):  # it goes into the login URL
        UserpassAuthConfig.model_validate({**SAMPLE, "username": "../../sys/seal"})
    with pytest.raises(pydantic.ValidationError, match="username"):  # strict: never coerced to a string
        UserpassAuthConfig.model_validate({**SAMPLE, "username": 12345})


def test_request_reads_the_password_and_keeps_it_out_of_details(auth_context: RecordingAuthContext) -> None:
    auth_context.add_secret(auth_context.operator_namespace, "userpass", "password", "pa ss-w0rd-value\n")
    request = make_login_request(UserpassAuthProvider, {**SAMPLE, "mountPath": "/userpass-prod/"}, auth_context)
    assert (request.mount, request.path) == ("userpass-prod", "login/operator")
    assert dict(request.body) == {"password": "pa ss-w0rd-value"}  # the newline stripped, inner spaces kept
    assert "w0rd" not in repr(request) + str(dict(request.details))
    assert request.details["passwordSecretRef"] == "vault-access-operator-system/userpass (key password)"
    assert "pa ss-w0rd-value" in auth_context.remembered  # the redacting logger will mask it


def test_a_missing_or_empty_secret_says_which_secret() -> None:
    with pytest.raises(SecretNotFoundError, match="userpass"):
        make_login_request(UserpassAuthProvider, SAMPLE, RecordingAuthContext())
    ctx = RecordingAuthContext({("vault-access-operator-system", "userpass", "password"): "\n"})
    with pytest.raises(CredentialsError, match=r"Secret vault-access-operator-system/userpass .* is empty"):
        make_login_request(UserpassAuthProvider, SAMPLE, ctx)


def test_denials_say_what_to_fix() -> None:
    provider = UserpassAuthProvider()
    config = UserpassAuthConfig.model_validate(SAMPLE)
    request = make_login_request(provider, config, RecordingAuthContext(fake_missing=True))
    invalid = provider.explain_login_error(config, request, 400, "invalid username or password")
    assert "as 'operator'" in invalid and "(key password)" in invalid and "auth/userpass/users/operator" in invalid
    assert "mountPath" in provider.explain_login_error(config, request, 403, "permission denied")
