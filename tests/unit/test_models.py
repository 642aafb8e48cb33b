"""Spec models, durations and validation messages."""

from __future__ import annotations

from typing import Any

import pytest

from vault_access_operator.durations import format_duration, parse_duration
from vault_access_operator.errors import ConfigError, PluginUnavailableError
from vault_access_operator.registry import ProviderRegistry, load_providers
from vault_access_operator.validation import validate_spec

K8S = {"kubernetes": {"role": "operator"}}


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1h", 3600), ("1m30s", 90), ("500ms", 0.5), ("1.5h", 5400), ("2h45m10s", 9910)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "s", "1d", "thirty seconds", "1h 30m", "-5s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(30, "30s"), (3600, "1h"), (90, "1m30s"), (0.5, "500ms")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.fixture(scope="module")
def registry() -> ProviderRegistry:
    return load_providers()


def test_upstream_yaml_validates_unchanged(registry: ProviderRegistry) -> None:
    spec = {
        "address": "https://vault.example.com:8200",
        "tls": {"caSecretRef": {"name": "vault-ca-cert", "namespace": "vault-access-operator-system", "key": "ca.crt"}},
        "auth": {
            "kubernetes": {
                "role": "vault-access-operator",
                "authPath": "kubernetes",
                "tokenDuration": "1h",
                "renewalStrategy": "renew",
                "tokenReviewerRotation": True,
            }
        },
        "healthCheckInterval": "30s",
        "defaults": {"driftMode": "detect"},
    }
    validated = validate_spec(spec, registry)
    assert validated.method == "kubernetes"
    assert validated.mount == "kubernetes"
    assert validated.spec.health_check_interval == 30
    assert validated.spec.tls and validated.spec.tls.ca_secret_ref and validated.spec.tls.ca_secret_ref.key == "ca.crt"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"address": "https://v:8200"}, "spec.auth is required"),
        ({"address": "https://v:8200", "auth": {}}, "exactly one auth method block is required under spec.auth"),
        ({"address": "https://v:8200", "auth": {**K8S, "aws": {"role": "x"}}}, "found: aws, kubernetes"),
        ({"address": "vault.example.com", "auth": K8S}, "spec.address must be an http:// or https:// URL"),
        ({"auth": K8S}, "spec.address is required"),
        ({"address": "http://v", "auth": {"kubernetes": {}}}, "spec.auth.kubernetes.role is required"),
        ({"address": "http://v", "auth": K8S, "healthCheckInterval": "0s"}, "must be longer than zero"),
        ({"address": "http://v", "auth": K8S, "healthCheckInterval": "500ms"}, "must be at least 1s (each check is"),
        ({"address": "http://v", "auth": K8S, "healthCheckInterval": "often"}, "is not a duration"),
        (
            {"address": "http://v", "auth": {"kubernetes": {"role": "r", "tokenDuration": "soon"}}},
            "spec.auth.kubernetes.tokenDuration",
        ),
        ({"address": "http://v", "auth": {"kubernetes": {"role": "r", "tokenDuration": "1m"}}}, "at least 10m"),
        (
            {"address": "http://v", "auth": {"kubernetes": {"role": "r", "rol": "typo"}}},
            "spec.auth.kubernetes.rol is not a known field",
        ),
        ({"address": "http://v", "auth": {"kubernetes": {"role": 5}}}, "spec.auth.kubernetes.role"),
        ({"address": "http://v", "auth": K8S, "tls": {"caSecretRef": {"name": "ca"}}}, "spec.tls.caSecretRef.key"),
        ({"address": "http://v", "auth": {"kubernetes": {"role": "r", "audiences": []}}},
         "spec.auth.kubernetes.audiences must list at least one non-empty audience"),
        ({"address": "http://v", "auth": {"oidc": {"role": "r", "audiences": [""]}}},
         "spec.auth.oidc.audiences must list at least one non-empty audience"),
    ],
)
def test_bad_specs_say_what_to_fix(registry: ProviderRegistry, spec: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_spec(spec, registry)
    assert expected in caught.value.message
    assert not caught.value.retryable


def test_unknown_method_lists_installed_ones(registry: ProviderRegistry) -> None:
    with pytest.raises(PluginUnavailableError) as caught:
        validate_spec({"address": "http://v", "auth": {"ldap": {"role": "x"}}}, registry)
    assert "unknown auth method 'ldap'" in caught.value.message
    assert "kubernetes" in caught.value.message
