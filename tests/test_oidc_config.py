"""spec.auth.oidc / spec.auth.jwt validation: defaults, aliases, and fields that are refused."""

from __future__ import annotations

from typing import Any

import pytest

from vault_access_operator.plugin import ConfigError
from vault_access_operator.plugins.oidc import OIDCAuthConfig, OIDCAuthProvider
from vault_access_operator.plugins.oidc.jwt import JWTAuthConfig, JWTAuthProvider
from vault_access_operator.registry import ProviderRegistry, load_providers
from vault_access_operator.validation import validate_spec


@pytest.fixture(scope="module")
def registry() -> ProviderRegistry:
    return load_providers()


def validate(registry: ProviderRegistry, method: str, block: dict[str, Any]) -> Any:
    return validate_spec({"address": "https://vault.example:8200", "auth": {method: block}}, registry).config


def refused(registry: ProviderRegistry, method: str, block: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(registry, method, block)
    return caught.value.message


def test_both_entry_points_load_each_with_its_own_provider(registry: ProviderRegistry) -> None:
    assert isinstance(registry.get("oidc"), OIDCAuthProvider)
    assert isinstance(registry.get("jwt"), JWTAuthProvider)
    infos = {p.name: p for p in registry.plugins if p.name in ("oidc", "jwt")}
    assert infos["oidc"].keys == ("oidc",) and infos["oidc"].error is None
    assert infos["jwt"].keys == ("jwt",) and infos["jwt"].error is None


def test_oidc_defaults(registry: ProviderRegistry) -> None:
    config = validate(registry, "oidc", {"role": "op"})
    assert isinstance(config, OIDCAuthConfig)
    assert (config.auth_path, config.token_duration, config.use_service_account_token) == ("oidc", 3600.0, True)
    assert config.requested_audiences == ["vault"]
    assert config.token_kind() == "serviceAccount"
    assert OIDCAuthProvider().mount(config) == "oidc"


def test_oidc_audience_is_vault_not_the_provider_url(registry: ProviderRegistry) -> None:
    # providerURL is usually the cluster's issuer: a token for it would be a login to the API server.
    url = "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"
    config = validate(registry, "oidc", {"role": "op", "providerURL": url})
    assert config.provider_url == url
    assert config.requested_audiences == ["vault"]
    explicit = validate(registry, "oidc", {"role": "op", "providerURL": url, "audiences": ["sts"]})
    assert explicit.requested_audiences == ["sts"]


def test_provider_url_alias_is_exactly_providerURL(registry: ProviderRegistry) -> None:
    assert "spec.auth.oidc.providerUrl is not a known field" in refused(
        registry, "oidc", {"role": "op", "providerUrl": "https://x"}
    )
    assert "providerURL" in OIDCAuthConfig.model_json_schema(by_alias=True)["properties"]


def test_jwt_defaults_and_camel_case(registry: ProviderRegistry) -> None:
    config = validate(
        registry,
        "jwt",
        {"role": "op", "authPath": "jwt-eks/", "tokenDuration": "20m", "jwtSecretRef": {"name": "s", "key": "k"}},
    )
    assert isinstance(config, JWTAuthConfig)
    assert JWTAuthProvider().mount(config) == "jwt-eks"
    assert config.token_duration == 1200.0
    assert config.token_kind() == "secret"
    assert validate(registry, "jwt", {"role": "op"}).requested_audiences == ["vault"]


def test_use_service_account_token_false_needs_a_secret(registry: ProviderRegistry) -> None:
    message = refused(registry, "oidc", {"role": "op", "useServiceAccountToken": False})
    assert "useServiceAccountToken is false and jwtSecretRef is not set" in message
    assert "set jwtSecretRef" in message
    ok = validate(
        registry, "oidc", {"role": "op", "useServiceAccountToken": False, "jwtSecretRef": {"name": "s", "key": "k"}}
    )
    assert ok.token_kind() == "secret"


@pytest.mark.parametrize(
    ("method", "block", "expected"),
    [
        ("oidc", {"scopes": ["openid", "email"]}, "spec.auth.oidc.scopes is not supported: OAuth scopes"),
        ("oidc", {"scopes": "openid"}, "spec.auth.oidc.scopes is not supported"),
        ("jwt", {"claimsToPass": ["email"]}, "spec.auth.jwt.claimsToPass is not supported: a JWT login sends"),
        ("jwt", {"claimsToPass": {"email": "email"}}, "claim_mappings"),
        ("jwt", {"expectedAudience": "sts"}, "expectedAudience 'sts' is not among the audiences requested"),
        ("jwt", {"source": "google", "audiences": ["a", "b"]}, "source google needs exactly one audience"),
        ("jwt", {"tokenDuration": "5m"}, "tokenDuration must be at least 10m"),
        ("jwt", {"source": "secret"}, "source is secret but jwtSecretRef is not set"),
        ("jwt", {"source": "google", "jwtSecretRef": {"name": "s", "key": "k"}}, "jwtSecretRef is set too"),
        ("oidc", {"source": "serviceAccount", "useServiceAccountToken": False}, "useServiceAccountToken is false"),
        ("jwt", {"audiences": []}, "spec.auth.jwt.audiences must list at least one"),
        ("jwt", {"providerURL": "https://x"}, "spec.auth.jwt.providerURL is not a known field"),
        ("oidc", {"expectedIssuer": "https://x"}, "spec.auth.oidc.expectedIssuer is not a known field"),
        ("jwt", {"tokenDuration": "forever"}, "spec.auth.jwt.tokenDuration"),
    ],
)
def test_refused_with_a_message(registry: ProviderRegistry, method: str, block: dict[str, Any], expected: str) -> None:
    assert expected in refused(registry, method, {"role": "op", **block})


def test_role_is_required(registry: ProviderRegistry) -> None:
    assert refused(registry, "jwt", {}) == "spec.auth.jwt.role is required"


def test_short_duration_is_fine_when_no_token_is_minted(registry: ProviderRegistry) -> None:
    config = validate(registry, "jwt", {"role": "op", "tokenDuration": "5m", "jwtSecretRef": {"name": "s", "key": "k"}})
    assert config.token_duration == 300.0


def test_compat_fields_that_work(registry: ProviderRegistry) -> None:
    config = validate(
        registry,
        "jwt",
        {
            "role": "op",
            "expectedIssuer": "https://issuer/",
            "expectedAudience": "vault",
            "userClaim": "sub",
            "groupsClaim": "/kubernetes.io/namespace",
        },
    )
    assert (config.expected_issuer_value, config.expected_audience_value) == ("https://issuer/", "vault")
    oidc = validate(registry, "oidc", {"role": "op", "userClaim": "email", "groupsClaim": "groups"})
    assert (oidc.user_claim, oidc.groups_claim) == ("email", "groups")


def test_google_source_takes_the_default_audience(registry: ProviderRegistry) -> None:
    config = validate(registry, "oidc", {"role": "op", "source": "google", "providerURL": "https://accounts.google.com"})
    assert config.token_kind() == "google"
    assert config.requested_audiences == ["https://accounts.google.com"]
