"""core/trust.py and its inputs: each check refuses what it must, allows what it may, and names its setting."""

from __future__ import annotations

import asyncio
import logging

import pytest
from click.testing import CliRunner

from vault_access_operator.admission import secret_refs
from vault_access_operator.cli import main
from vault_access_operator.context import CoreAuthContext, OperatorIdentity
from vault_access_operator.errors import Reason
from vault_access_operator.kube import KubeClient
from vault_access_operator.models import VaultConnectionSpec
from vault_access_operator.session import VaultSession
from vault_access_operator.trust import (
    TrustPolicy,
    TrustPolicyError,
    check_address,
    check_secret,
    check_token_request,
    is_api_audience,
    normalise_address,
)
from vault_access_operator.trust_config import discover_api_audiences, policy_from_env, trust_from_flags
from vault_access_operator_devkit.kube import FakeKube

OWN = ("ops", "vao")
DEFAULT = TrustPolicy()


def refusal(call: object, *args: object, **kwargs: object) -> TrustPolicyError:
    with pytest.raises(TrustPolicyError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.reason == Reason.FORBIDDEN_BY_POLICY == "ForbiddenByPolicy"  # type: ignore[comparison-overlap]
    assert caught.value.retryable is False
    return caught.value


def test_secrets_only_in_the_operator_namespace_by_default() -> None:
    check_secret(DEFAULT, "ops", "ops", "ca")
    error = refusal(check_secret, DEFAULT, "ops", "kube-system", "admin-token", "spec.auth.jwt.jwtSecretRef")
    assert error.message == (
        "spec.auth.jwt.jwtSecretRef names Secret kube-system/admin-token, but the operator reads Secrets only in "
        "ops: move the Secret there, or have the operator's administrator add kube-system with --secret-namespace "
        "(env VAO_SECRET_NAMESPACES, chart value trust.secretNamespaces)"
    )
    check_secret(TrustPolicy(secret_namespaces=("ci",)), "ops", "ci", "jwt")
    refusal(check_secret, TrustPolicy(secret_namespaces=("ci",)), "ops", "cj", "jwt")
    check_secret(TrustPolicy(secret_namespaces=("*",)), "ops", "kube-system", "anything")


def test_token_requests_only_for_the_operator_account_by_default() -> None:
    check_token_request(DEFAULT, OWN, "ops", "vao", ["vault"], 3600)
    for namespace, name in (("kube-system", "cluster-admin-sa"), ("ops", "other")):
        error = refusal(check_token_request, DEFAULT, OWN, namespace, name, ["vault"], 600)
        assert f"service account {namespace}/{name}" in error.message and "--token-service-account" in error.message
    check_token_request(TrustPolicy(token_service_accounts=("apps/login",)), OWN, "apps", "login", ["vault"], 600)
    check_token_request(TrustPolicy(token_service_accounts=("apps/*",)), OWN, "apps", "any", ["vault"], 600)
    refusal(check_token_request, TrustPolicy(token_service_accounts=("apps/*",)), OWN, "appsx", "a", ["vault"], 600)


@pytest.mark.parametrize("audience", [
    "https://kubernetes.default.svc", "https://kubernetes.default.svc/", "HTTPS://Kubernetes.Default.Svc",
    "https://kubernetes.default.svc.cluster.local", "kubernetes.default.svc", " https://kubernetes.default ",
])
def test_the_api_servers_audiences_are_never_requested(audience: str) -> None:
    error = refusal(check_token_request, DEFAULT, OWN, "ops", "vao", ["vault", audience], 600, field="spec.auth.x")
    assert error.message.startswith(f"spec.auth.x asks for a token with audience {audience!r}")
    assert "--api-audience (env VAO_API_AUDIENCES, chart value trust.apiAudiences)" in error.message


def test_configured_and_discovered_audiences_are_refused_too() -> None:
    policy = TrustPolicy(api_audiences=("https://issuer.example",)).with_api_audiences(
        ["https://10.96.0.1:443", "https://issuer.example", ""])
    assert policy.api_audiences == ("https://issuer.example", "https://10.96.0.1:443")
    assert is_api_audience(policy, "https://issuer.example/") and is_api_audience(policy, "https://10.96.0.1:443")
    assert not is_api_audience(policy, "vault") and not is_api_audience(DEFAULT, "https://issuer.example")


def test_token_lifetime_is_capped_not_shortened() -> None:
    check_token_request(DEFAULT, OWN, "ops", "vao", ["vault"], 3600)
    error = refusal(check_token_request, DEFAULT, OWN, "ops", "vao", ["vault"], 3601)
    wanted = "the auth plugin asks for a token valid for 1h1s, longer than the operator's maximum of 1h: lower"
    assert wanted in error.message
    check_token_request(TrustPolicy(max_token_seconds=8 * 3600), OWN, "ops", "vao", ["vault"], 8 * 3600)


@pytest.mark.parametrize(("address", "normal"), [
    ("https://Vault.Example.com", "https://vault.example.com:443"),
    ("http://vault:8200/", "http://vault:8200"),
    ("https://[::1]:8200/v1", "https://[::1]:8200"),
    ("https://vault.example.com:8200/ui?x#y", "https://vault.example.com:8200"),
])
def test_addresses_are_normalised(address: str, normal: str) -> None:
    assert normalise_address(address) == normal


def test_the_address_allow_list() -> None:
    check_address(DEFAULT, "http://anything:1")  # empty: any address
    policy = TrustPolicy(vault_addresses=("https://vault.example.com:8200", "https://*.vault.internal:8200"))
    check_address(policy, "https://VAULT.example.com:8200/")
    check_address(policy, "https://a.vault.internal:8200")
    for address in ("https://vault.example.com", "http://vault.example.com:8200", "https://vault.internal.evil:8200",
                    "https://vault.example.com.evil:8200"):
        error = refusal(check_address, policy, address)
        assert error.message.startswith(f"spec.address {normalise_address(address)} is not among")
        assert "--vault-address (env VAO_VAULT_ADDRESSES, chart value trust.vaultAddresses)" in error.message


def test_settings_from_env_and_flags() -> None:
    assert policy_from_env({}) == TrustPolicy()
    env = {"VAO_SECRET_NAMESPACES": "ci, apps,", "VAO_TOKEN_SERVICE_ACCOUNTS": "apps/login",
           "VAO_API_AUDIENCES": "https://issuer", "VAO_MAX_TOKEN_LIFETIME": "2h30m",
           "VAO_ALLOW_MOUNTED_TOKEN": "true", "VAO_VAULT_ADDRESSES": "https://*.vault:8200"}
    policy = policy_from_env(env)
    assert policy == TrustPolicy(("ci", "apps"), ("apps/login",), ("https://issuer",), 9000, True, ("https://*.vault:8200",))
    flagged = trust_from_flags(policy, secret_namespaces=["*"], max_token_lifetime="20m", allow_mounted_token=False)
    assert (flagged.secret_namespaces, flagged.max_token_seconds, flagged.allow_mounted_token) == (("*",), 1200, False)
    assert flagged.token_service_accounts == ("apps/login",)  # no flag: the env value stays
    assert trust_from_flags(policy) == policy  # an absent --allow-mounted-token (None) keeps the env's true
    for bad, text in (
        ({"VAO_MAX_TOKEN_LIFETIME": "1y"}, "VAO_MAX_TOKEN_LIFETIME: '1y' is not a duration"),
        ({"VAO_TOKEN_SERVICE_ACCOUNTS": "login"}, "VAO_TOKEN_SERVICE_ACCOUNTS: 'login' is not NAMESPACE/NAME"),
        ({"VAO_ALLOW_MOUNTED_TOKEN": "maybe"}, "VAO_ALLOW_MOUNTED_TOKEN: 'maybe' is not true or false"),
    ):
        with pytest.raises(ValueError) as caught:
            policy_from_env(bad)
        assert text in str(caught.value)


def test_a_bad_flag_is_a_usage_error_naming_it() -> None:
    result = CliRunner().invoke(main, ["run", "--max-token-lifetime", "soon"])
    assert result.exit_code == 2 and "--max-token-lifetime: 'soon' is not a duration" in result.output
    result = CliRunner().invoke(main, ["run", "--token-service-account", "kube-system"])
    assert result.exit_code == 2 and "--token-service-account: 'kube-system' is not NAMESPACE/NAME" in result.output
    result = CliRunner().invoke(main, ["run"], env={"VAO_MAX_TOKEN_LIFETIME": "forever"})
    assert result.exit_code == 2 and "VAO_MAX_TOKEN_LIFETIME: 'forever' is not a duration" in result.output


def test_the_context_checks_before_any_kubernetes_call() -> None:
    # kube=None: a check that let the call through would fail with AttributeError instead.
    ctx = CoreAuthContext("c", OperatorIdentity("ops", "vao"), kube=None, session_factory=None)  # type: ignore[arg-type]
    with pytest.raises(TrustPolicyError):
        asyncio.run(ctx.read_secret("kube-system", "admin-token", "token"))
    for account, audiences, seconds in ((("kube-system", "admin"), ["vault"], 600),
                                        (("ops", "vao"), ["https://kubernetes.default.svc"], 600),
                                        (("ops", "vao"), ["vault"], 366 * 86400)):
        with pytest.raises(TrustPolicyError):
            asyncio.run(ctx.request_service_account_token(*account, audiences, seconds))


def test_the_ca_secret_read_goes_through_the_policy() -> None:
    ctx = CoreAuthContext("c", OperatorIdentity("ops", "vao"), kube=None, session_factory=None)  # type: ignore[arg-type]
    spec = VaultConnectionSpec.model_validate({
        "address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}},
        "tls": {"caSecretRef": {"name": "ca", "namespace": "kube-system", "key": "ca.crt"}}})
    session = VaultSession(spec, ctx, http=None, health=None)  # type: ignore[arg-type]
    with pytest.raises(TrustPolicyError, match=r"spec\.tls\.caSecretRef names Secret kube-system/ca"):
        asyncio.run(session._tls_verify())


def test_every_secret_reference_is_found() -> None:
    spec = VaultConnectionSpec.model_validate({
        "address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}},
        "tls": {"caSecretRef": {"name": "ca", "key": "ca.crt"}}})
    assert [(where, ref.name) for where, ref in secret_refs(spec, "spec")] == [("spec.tls.caSecretRef", "ca")]


def test_discovery_reads_the_issuer_and_survives_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    async def discover(kube: FakeKube) -> list[str]:
        client = KubeClient(kube.connection_info())
        try:
            return await discover_api_audiences(client, kube.url)
        finally:
            await client.close()

    with FakeKube(issuer="https://issuer.cluster.test") as kube:
        assert asyncio.run(discover(kube)) == [kube.url, "https://issuer.cluster.test"]
        kube.inject_failure("GET", r"/\.well-known/openid-configuration", 500)
        with caplog.at_level(logging.WARNING):
            assert asyncio.run(discover(kube)) == [kube.url]
    assert "could not read the cluster's service-account issuer" in caplog.text


def test_the_policy_in_one_log_line() -> None:
    from vault_access_operator.trust import describe_policy

    assert describe_policy(DEFAULT, "ops") == (
        "Secrets in ops; tokens for its own, at most 1h; mounted token off; Vault addresses any")
    policy = TrustPolicy(("ci",), ("apps/login",), (), 7200, True, ("https://*.vault:8200",))
    assert describe_policy(policy, "ops") == ("Secrets in ops, ci; tokens for its own, apps/login, at most 2h; "
                                              "mounted token allowed; Vault addresses https://*.vault:8200")
