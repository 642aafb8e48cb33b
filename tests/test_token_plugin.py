"""The built-in token plugin: its contract, its config (the replaced operator's), the SuppliedToken it hands the
core, and the core's lookup of that token against a real OpenBao (the plugin kit does what the core does)."""

from __future__ import annotations

import pydantic
import pytest

from tests.support.tokens import is_valid, new_token
from vault_access_operator.plugin import CredentialsError, SecretNotFoundError, SuppliedToken
from vault_access_operator.plugins.token import TokenAuthConfig, TokenAuthProvider
from vault_access_operator.testing.contract import ProviderContract, check_entry_point, check_provider
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.plugin_login import login_with, make_login_request, make_supplied_token
from vault_access_operator.testing.recording import RecordingAuthContext

NS = "vault-access-operator-system"
SAMPLE = {"secretRef": {"name": "vault-token", "key": "token"}}
SOURCE = f"key 'token' of Secret {NS}/vault-token (spec.auth.token.secretRef)"


class TestTokenContract(ProviderContract):
    provider_class = TokenAuthProvider
    sample_config = SAMPLE


def test_the_built_in_entry_point_serves_spec_auth_token() -> None:
    assert check_entry_point("token") is TokenAuthProvider
    assert isinstance(check_provider(TokenAuthProvider, SAMPLE).supplied, SuppliedToken)


def test_config_is_the_replaced_operators() -> None:
    config = TokenAuthConfig.model_validate({"secretRef": {"name": "vault-token", "namespace": NS, "key": "token"}})
    assert (config.secret_ref.name, config.secret_ref.namespace, config.secret_ref.key) == ("vault-token", NS, "token")
    assert TokenAuthProvider().mount(config) == "token"
    with pytest.raises(pydantic.ValidationError, match="secretRef"):
        TokenAuthConfig.model_validate({})
    with pytest.raises(pydantic.ValidationError, match="key"):
        TokenAuthConfig.model_validate({"secretRef": {"name": "vault-token"}})
    with pytest.raises(pydantic.ValidationError, match="token"):  # unknown fields are refused
        TokenAuthConfig.model_validate({**SAMPLE, "token": "s.abc"})


def test_the_token_is_supplied_masked_and_never_shown() -> None:
    ctx = RecordingAuthContext({(NS, "vault-token", "token"): "s.vaulttoken123456\n"})
    supplied = make_supplied_token(TokenAuthProvider, SAMPLE, ctx)
    assert (supplied.token, supplied.source) == ("s.vaulttoken123456", SOURCE)
    assert dict(supplied.details) == {"secretRef": f"{NS}/vault-token (key token)"}
    assert "vaulttoken" not in repr(supplied) and "s.vaulttoken123456" in ctx.remembered
    with pytest.raises(TypeError, match="make_supplied_token"):  # the kit says which helper fits
        make_login_request(TokenAuthProvider, SAMPLE, ctx)


def test_a_missing_or_empty_secret_says_which_secret() -> None:
    with pytest.raises(SecretNotFoundError, match=f"{NS}/vault-token"):
        make_supplied_token(TokenAuthProvider, SAMPLE, RecordingAuthContext())
    with pytest.raises(CredentialsError) as empty:
        make_supplied_token(TokenAuthProvider, SAMPLE, RecordingAuthContext({(NS, "vault-token", "token"): " \n"}))
    assert empty.value.message == f"{SOURCE} is empty: store a Vault token there"


def test_a_periodic_token_is_looked_up_not_logged_in_with(openbao: OpenBaoServer) -> None:
    token, accessor = new_token(openbao, period="1h")
    grant = login_with(TokenAuthProvider, SAMPLE, RecordingAuthContext({(NS, "vault-token", "token"): token}),
                       openbao.url)
    assert (grant.token, grant.accessor, grant.renewable) == (token, accessor, True) and 3500 < grant.ttl <= 3600
    assert is_valid(openbao, accessor)


@pytest.mark.parametrize("how", ["revoked", "unknown"])
def test_a_rejected_token_says_to_replace_the_secret(openbao: OpenBaoServer, how: str) -> None:
    token, accessor = new_token(openbao, ttl="1h")
    if how == "revoked":
        openbao.client().auth.token.revoke_accessor(accessor)
    else:
        token = "s.NotATokenOpenBaoKnows1"
    with pytest.raises(CredentialsError) as rejected:
        login_with(TokenAuthProvider, SAMPLE, RecordingAuthContext({(NS, "vault-token", "token"): token}), openbao.url)
    assert rejected.value.reason == "CredentialsRejected"
    assert rejected.value.message == (
        f"Vault rejected the token in {SOURCE}: permission denied: it has expired or was revoked (or its policies do "
        "not allow auth/token/lookup-self, which Vault's default policy grants): replace it there with a valid token; "
        "the operator reads it again at every retry, no spec change needed"
    )
