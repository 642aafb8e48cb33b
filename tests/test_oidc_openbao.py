"""Logins built by the oidc/jwt providers, sent to a real OpenBao (jwt and oidc auth)."""

from __future__ import annotations

import asyncio
import datetime
import functools
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.oidc_context import oidc_context
from tests.support.oidc_fixtures import jwt_bao_fixture, oidc_issuer_fixture  # noqa: F401  (fixtures)
from tests.support.oidc_issuer import OIDCIssuer
from vault_access_operator.plugin import AuthProvider, LoginDeniedError, LoginRequest
from vault_access_operator.plugins.oidc import OIDCAuthProvider
from vault_access_operator.plugins.oidc.jwt import JWTAuthProvider
from vault_access_operator.testing import RecordingAuthContext, send_login
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.vault import TokenGrant

SECRET = ("vao-system", "jwt", "token")
SendLogin = Callable[[LoginRequest], TokenGrant]


@pytest.fixture(name="vault")
def vault_fixture(jwt_bao: OpenBaoServer) -> SendLogin:
    return functools.partial(send_login, jwt_bao.url)


def build(provider: AuthProvider[Any], block: dict[str, Any], ctx: RecordingAuthContext) -> Any:
    config = provider.config_model.model_validate(block)
    return config, asyncio.run(provider.login_request(config, ctx))


def login(vault: SendLogin, provider: AuthProvider[Any], block: dict[str, Any],
          ctx: RecordingAuthContext) -> TokenGrant:
    return vault(build(provider, block, ctx)[1])


def denial(vault: SendLogin, provider: AuthProvider[Any], block: dict[str, Any], ctx: RecordingAuthContext) -> str:
    config, request = build(provider, block, ctx)
    with pytest.raises(LoginDeniedError) as caught:
        vault(request)
    message = provider.explain_login_error(config, request, 400, caught.value.message)
    assert message is not None
    for token in ctx.remembered:
        assert token not in message
    return message


def test_jwt_with_validation_pubkeys(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    grant = login(vault, JWTAuthProvider(), {"role": "op"}, oidc_context(oidc_issuer))
    assert grant.accessor and grant.ttl == 60 and grant.renewable


def test_oidc_with_discovery_url_and_issuer_audience(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    block = {"role": "op", "providerURL": oidc_issuer.url, "audiences": [oidc_issuer.url]}
    grant = login(vault, OIDCAuthProvider(), block, ctx)
    assert grant.accessor
    assert ctx.token_requests[0].audiences == (oidc_issuer.url,)


def test_audience_is_compared_verbatim(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    # The issuer check ignores a trailing slash; Vault's audience check does not (bound_audiences is exact).
    block = {"role": "op", "providerURL": oidc_issuer.url + "/", "audiences": [oidc_issuer.url + "/"]}
    message = denial(vault, OIDCAuthProvider(), block, oidc_context(oidc_issuer))
    assert f"the token's audiences are [{oidc_issuer.url}/]" in message


def test_jwt_with_jwks_url_and_expectations(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    block = {
        "role": "op", "authPath": "jwks", "expectedIssuer": oidc_issuer.url, "expectedAudience": "vault",
        "userClaim": "sub",
    }
    assert login(vault, JWTAuthProvider(), block, oidc_context(oidc_issuer)).accessor


def test_jwt_from_a_secret(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, secrets={SECRET: oidc_issuer.mint(sub="ci-pipeline") + "\n"})
    block = {"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token"}}
    assert login(vault, JWTAuthProvider(), block, ctx).accessor
    assert not ctx.token_requests


def test_oidc_from_a_secret_when_service_account_token_is_off(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, secrets={SECRET: oidc_issuer.mint(audiences=[oidc_issuer.url])})
    block = {"role": "op", "useServiceAccountToken": False, "jwtSecretRef": {"name": "jwt", "key": "token"}}
    assert login(vault, OIDCAuthProvider(), block, ctx).accessor


def test_wrong_audience(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    block = {"role": "op", "audiences": ["sts.amazonaws.com"]}
    message = denial(vault, JWTAuthProvider(), block, oidc_context(oidc_issuer))
    assert "Vault refused the JWT login for role 'op' at auth/jwt: error validating token: invalid audience (aud) " in (
        message
    )
    assert "the token's audiences are [sts.amazonaws.com]: make the role's bound_audiences include one" in message


def test_expired_by_vaults_clock(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    # The operator's clock runs 2h late, so its pre-flight passes; Vault's clock says expired.
    real = time.time()
    token = oidc_issuer.mint(now=real - 7200, ttl=3600)
    late = datetime.datetime.fromtimestamp(real - 7000, datetime.UTC)
    ctx = oidc_context(oidc_issuer, secrets={SECRET: token}, now=late)
    message = denial(vault, JWTAuthProvider(), {"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token"}}, ctx)
    assert "invalid expiration time (exp) claim: token is expired" in message
    assert "supply a fresh token, and check that the clocks of Vault and the issuer agree" in message
    assert "Secret vao-system/jwt[token]" in message


def test_wrong_issuer(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, token_issuer="https://kubernetes.default.svc")
    message = denial(vault, JWTAuthProvider(), {"role": "op"}, ctx)
    assert "error validating token: invalid issuer (iss) claim" in message
    assert "the token's issuer is https://kubernetes.default.svc: set bound_issuer on auth/jwt/config" in message


def test_unknown_role(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    block = {"role": "nope", "providerURL": oidc_issuer.url}
    message = denial(vault, OIDCAuthProvider(), block, oidc_context(oidc_issuer))
    assert 'role "nope" could not be found' in message
    assert "create the role (vault write auth/oidc/role/nope role_type=jwt" in message
    assert "or fix spec.auth.oidc.role" in message


def test_unknown_signing_key(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    message = denial(vault, JWTAuthProvider(), {"role": "op", "authPath": "otherkey"}, oidc_context(oidc_issuer))
    assert "no known key successfully validated the token signature" in message
    assert f"Vault has no key that verifies this token from {oidc_issuer.url}" in message


@pytest.mark.parametrize(
    ("mount", "vault_says", "fix"),
    [
        ("unreachable", "error verifying token signature: fetching keys", "Vault could not fetch the issuer's keys"),
        ("bare", "could not load configuration", "auth/bare is not configured: vault write auth/bare/config"),
    ],
)
def test_mount_configuration_problems(
    vault: SendLogin, oidc_issuer: OIDCIssuer, mount: str, vault_says: str, fix: str
) -> None:
    message = denial(vault, JWTAuthProvider(), {"role": "op", "authPath": mount}, oidc_context(oidc_issuer))
    assert vault_says in message and fix in message


def test_mount_not_enabled(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    message = denial(vault, JWTAuthProvider(), {"role": "op", "authPath": "nosuch"}, oidc_context(oidc_issuer))
    assert "at auth/nosuch: permission denied. Fix: Vault answers this when no auth method is enabled" in message
    assert "'vault auth enable -path=nosuch jwt', or fix spec.auth.jwt.authPath" in message


@pytest.mark.parametrize(
    ("role", "vault_says", "fix"),
    [
        ("email", 'claim "email" not found in token', "the role's user_claim is not in the token: set user_claim"),
        ("groups", 'failed to fetch groups: "groups" claim not found', "the role's groups_claim is not in the token"),
        ("bound", 'error validating claims: claim "team" is missing', "does not satisfy bound_claims"),
        ("browser", "role with oidc role_type is not allowed", "set role_type=jwt on auth/jwt/role/browser"),
    ],
)
def test_role_settings_the_token_does_not_meet(
    vault: SendLogin, oidc_issuer: OIDCIssuer, role: str, vault_says: str, fix: str
) -> None:
    message = denial(vault, JWTAuthProvider(), {"role": role}, oidc_context(oidc_issuer))
    assert vault_says in message and fix in message


def test_user_claim_is_caught_before_vault_sees_the_token(vault: SendLogin, oidc_issuer: OIDCIssuer) -> None:
    from vault_access_operator.plugin import ConfigError

    with pytest.raises(ConfigError, match=r"has no 'email' claim \(spec.auth.jwt.userClaim\)"):
        build(JWTAuthProvider(), {"role": "email", "userClaim": "email"}, oidc_context(oidc_issuer))
