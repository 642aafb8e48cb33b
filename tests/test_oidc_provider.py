"""login_request of the oidc and jwt providers with a test AuthContext (no Vault, no Kubernetes)."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from tests.support.oidc_context import oidc_context
from tests.support.oidc_fixtures import oidc_issuer_fixture  # noqa: F401  (provides oidc_issuer)
from tests.support.oidc_issuer import OIDCIssuer
from vault_access_operator.plugin import ConfigError, CredentialsError, LoginRequest, Reason, SecretNotFoundError
from vault_access_operator.plugins.oidc import OIDCAuthConfig, OIDCAuthProvider
from vault_access_operator.plugins.oidc.jwt import JWTAuthConfig, JWTAuthProvider
from vault_access_operator.testing import RecordingAuthContext

SECRET = ("vao-system", "jwt", "token")


def jwt_login(config: dict[str, Any], ctx: RecordingAuthContext) -> LoginRequest:
    return asyncio.run(JWTAuthProvider().login_request(JWTAuthConfig.model_validate(config), ctx))


def oidc_login(config: dict[str, Any], ctx: RecordingAuthContext) -> LoginRequest:
    return asyncio.run(OIDCAuthProvider().login_request(OIDCAuthConfig.model_validate(config), ctx))


def assert_no_token(ctx: RecordingAuthContext, *texts: object) -> None:
    for token in ctx.remembered:
        for text in texts:
            assert token not in str(text)


def failure(kind: type[Exception], call: Any, *args: Any) -> Any:
    with pytest.raises(kind) as caught:
        call(*args)
    return caught.value


def test_jwt_defaults_request_an_operator_token(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    request = jwt_login({"role": "op"}, ctx)
    (call,) = ctx.token_requests
    assert (call.namespace, call.name, call.audiences, call.duration_seconds) == ("vao-system", "vao", ("vault",), 3600)
    (minted,) = ctx.handed_out
    assert (request.mount, request.path, dict(request.body)) == ("jwt", "login", {"role": "op", "jwt": minted})
    assert request.details == {
        "serviceAccount": "vao-system/vao",
        "tokenSource": "TokenRequest",
        "tokenIssuer": oidc_issuer.url,
        "tokenSubject": "system:serviceaccount:vao-system:vao",
        "tokenAudiences": "vault",
    }
    assert minted in ctx.remembered
    assert_no_token(ctx, request, request.details)


def test_a_fresh_token_for_every_login(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    first, second = jwt_login({"role": "op"}, ctx), jwt_login({"role": "op"}, ctx)
    assert len(ctx.token_requests) == 2
    assert first.body["jwt"] != second.body["jwt"]


def test_oidc_requests_the_vault_audience_and_checks_issuer(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    request = oidc_login({"role": "op", "providerURL": oidc_issuer.url + "/", "tokenDuration": "15m"}, ctx)
    assert ctx.token_requests[0].audiences == ("vault",)  # not providerURL: the cluster issuer's audience
    assert ctx.token_requests[0].duration_seconds == 900
    assert request.mount == "oidc"


def test_oidc_issuer_mismatch_of_a_minted_token_is_a_spec_error(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, token_issuer="https://kubernetes.default.svc")
    error = failure(ConfigError, oidc_login, {"role": "op", "providerURL": "https://oidc.eks.example/id/X"}, ctx)
    assert "was issued by 'https://kubernetes.default.svc', not by 'https://oidc.eks.example/id/X'" in error.message
    assert "(spec.auth.oidc.providerURL): set providerURL to the token's issuer" in error.message
    assert_no_token(ctx, error)


def test_secret_token_is_stripped_and_read_from_the_operator_namespace(oidc_issuer: OIDCIssuer) -> None:
    token = oidc_issuer.mint(sub="ci", audiences=["vault"])
    ctx = oidc_context(oidc_issuer, secrets={SECRET: f"  {token}\n"})
    request = jwt_login({"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token"}}, ctx)
    assert request.body["jwt"] == token
    assert token in ctx.remembered
    assert not ctx.token_requests
    assert request.details["tokenSource"] == "Secret vao-system/jwt[token]"
    assert "ignoredFields" not in request.details


def test_token_duration_with_a_secret_is_reported_as_ignored(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, secrets={SECRET: oidc_issuer.mint()})
    config = {"role": "op", "tokenDuration": "2h", "jwtSecretRef": {"name": "jwt", "key": "token"}}
    assert jwt_login(config, ctx).details["ignoredFields"].startswith("tokenDuration (only used for service-account")


def test_missing_and_empty_secrets(oidc_issuer: OIDCIssuer) -> None:
    config = {"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token", "namespace": "apps"}}
    failure(SecretNotFoundError, jwt_login, config, oidc_context(oidc_issuer))
    ctx = oidc_context(oidc_issuer, secrets={("apps", "jwt", "token"): " \n"})
    error = failure(CredentialsError, jwt_login, config, ctx)
    assert error.message == "key 'token' of Secret apps/jwt (jwtSecretRef) is empty: store the JWT there"


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [(-60, "expired at"), (20, "(under 30s): it is not sent")],
)
def test_expired_or_expiring_secret_token_is_not_sent(oidc_issuer: OIDCIssuer, ttl: int, expected: str) -> None:
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    token = oidc_issuer.mint(now=now.timestamp() - 600, ttl=600 + ttl)
    ctx = oidc_context(oidc_issuer, secrets={SECRET: token}, now=now)
    error = failure(CredentialsError, jwt_login, {"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token"}}, ctx)
    assert error.reason == Reason.CREDENTIALS_REJECTED and error.retryable
    assert expected in error.message and "key 'token' of Secret vao-system/jwt" in error.message
    assert_no_token(ctx, error)


def test_secret_that_is_not_a_jwt(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, secrets={SECRET: "hunter2-is-not-a-token"})
    error = failure(CredentialsError, jwt_login, {"role": "op", "jwtSecretRef": {"name": "jwt", "key": "token"}}, ctx)
    assert error.message.startswith("the token from key 'token' of Secret vao-system/jwt is not a JWT")
    assert_no_token(ctx, error)


def test_expected_issuer_and_audience_with_a_secret_token(oidc_issuer: OIDCIssuer) -> None:
    ref = {"name": "jwt", "key": "token"}
    ctx = oidc_context(oidc_issuer, secrets={SECRET: oidc_issuer.mint(audiences=["sts"])})
    error = failure(CredentialsError, jwt_login, {"role": "op", "jwtSecretRef": ref, "expectedAudience": "vault"}, ctx)
    assert "has audiences ['sts'], which do not include 'vault' (spec.auth.jwt.expectedAudience)" in error.message
    error = failure(CredentialsError, jwt_login, {"role": "op", "jwtSecretRef": ref, "audiences": ["vault"]}, ctx)
    assert "none of ['vault'] (spec.auth.jwt.audiences): store a token for one of them" in error.message
    config = {"role": "op", "jwtSecretRef": ref, "expectedIssuer": "https://x"}
    error = failure(CredentialsError, jwt_login, config, ctx)
    assert f"was issued by '{oidc_issuer.url}', not by 'https://x' (spec.auth.jwt.expectedIssuer)" in error.message
    config.update(expectedIssuer=oidc_issuer.url + "/", expectedAudience="sts")
    ok = jwt_login(config, ctx)
    assert ok.details["tokenAudiences"] == "sts"


def test_user_and_groups_claims_are_checked(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer, extra_claims={"kubernetes.io": {"namespace": "vao-system"}})
    jwt_login({"role": "op", "userClaim": "sub", "groupsClaim": "/kubernetes.io/namespace"}, ctx)
    error = failure(ConfigError, jwt_login, {"role": "op", "groupsClaim": "groups"}, ctx)
    assert "has no 'groups' claim (spec.auth.jwt.groupsClaim): Vault's role would refuse it" in error.message


def test_mounted_token_fallback_with_the_wrong_audience(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(
        oidc_issuer, source="/var/run/secrets/kubernetes.io/serviceaccount/token",
        token_audiences=["https://kubernetes.default.svc"],
    )
    error = failure(CredentialsError, jwt_login, {"role": "op"}, ctx)
    assert "(TokenRequest was forbidden, so the mounted token was used)" in error.message
    assert "grant the operator 'create' on serviceaccounts/token" in error.message


def test_login_request_repr_hides_the_token(oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    request = jwt_login({"role": "op"}, ctx)
    assert_no_token(ctx, repr(request), str(request.details))


@pytest.mark.parametrize(
    ("vault_says", "fix"),
    [
        ("error validating token: invalid not before (nbf) claim: token not yet valid", "by Vault's clock"),
        ("error validating token: invalid subject (sub) claim", "does not match bound_subject on auth/jwt/role/op"),
        ("error configuring token validator: keyset configuration error: Get \"http://x/.well-known/openid-"
         "configuration\": dial tcp: connection refused", "Vault could not fetch the issuer's keys"),
        ("something new", "check that role op exists at auth/jwt with role_type=jwt"),
    ],
)
def test_explain_names_the_setting(oidc_issuer: OIDCIssuer, vault_says: str, fix: str) -> None:
    ctx = oidc_context(oidc_issuer)
    request = jwt_login({"role": "op"}, ctx)
    config = JWTAuthConfig.model_validate({"role": "op"})
    message = JWTAuthProvider().explain_login_error(config, request, 400, vault_says)
    assert message is not None
    assert message.startswith(f"Vault refused the JWT login for role 'op' at auth/jwt: {vault_says}. Fix: ")
    assert fix in message
