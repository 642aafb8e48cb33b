"""The plugin kit's contract check: the built-in plugins and the example keep it; broken providers fail it clearly."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
from pydantic import Field

from vault_access_operator.models import SecretKeySelector, SpecModel
from vault_access_operator.plugin import AuthProvider, CredentialsError, LoginRequest, SuppliedToken, hookimpl
from vault_access_operator.provider import PlannedToken
from vault_access_operator.testing.contract import ContractReport, ProviderContract, check_entry_point, check_provider
from vault_access_operator.testing.recording import RecordingAuthContext

BUILT_IN: dict[str, tuple[str, str, dict[str, Any]]] = {
    "kubernetes": ("vault_access_operator.plugins.kubernetes", "KubernetesAuthProvider", {"role": "operator"}),
    "oidc": ("vault_access_operator.plugins.oidc", "OIDCAuthProvider", {"role": "operator"}),
    "jwt": ("vault_access_operator.plugins.oidc.jwt", "JWTAuthProvider", {"role": "operator", "audiences": ["v"]}),
}
USERPASS_SAMPLE: dict[str, Any] = {"username": "operator", "passwordSecretRef": {"name": "userpass", "key": "password"}}
PluginOf = Callable[[type], types.ModuleType]


def recorded(report: ContractReport) -> RecordingAuthContext:
    """The report's context: check_provider's own RecordingAuthContext, or the one a test passed."""
    assert isinstance(report.ctx, RecordingAuthContext)
    return report.ctx


@pytest.mark.parametrize("key", sorted(BUILT_IN))
def test_built_in_providers_keep_the_contract(key: str) -> None:
    module, name, sample = BUILT_IN[key]
    provider_cls = getattr(importlib.import_module(module), name)
    assert check_entry_point(key) is provider_cls
    report = check_provider(provider_cls, sample)
    assert report.request is not None and report.request.mount == key
    assert recorded(report).token_requests, "the fake context handed out a service-account token"


def test_the_aws_provider_keeps_the_contract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    aws = pytest.importorskip("vault_access_operator.plugins.aws_iam", reason="plugins/aws_iam is not in this tree")
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": secret_key,
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ctx = RecordingAuthContext(fake_missing=True)
    ctx.watch_for_leaks(secret_key)  # from the environment, not the context: still must not leak
    report = check_provider(aws.AwsAuthProvider, {"role": "operator"}, ctx)
    assert report.request is not None and report.request.details["region"] == "eu-west-1"


def test_the_example_plugin_keeps_the_contract() -> None:
    provider_cls = check_entry_point("userpass")
    report = check_provider(provider_cls, USERPASS_SAMPLE)
    ctx = recorded(report)
    assert report.request is not None
    assert ctx.secret_reads and report.request.body["password"] == ctx.handed_out[0]


# --- a provider that keeps the contract, and broken variants of it ------------------------------


class GoodConfig(SpecModel):
    role: str = Field(min_length=1)
    secret_ref: SecretKeySelector
    auth_path: str = "good"


class GoodProvider(AuthProvider[GoodConfig]):
    key = "good"
    config_model = GoodConfig

    def mount(self, config: GoodConfig) -> str:
        return config.auth_path

    async def login_request(self, config: GoodConfig, ctx: Any) -> LoginRequest | SuppliedToken:
        ref = config.secret_ref
        secret = await ctx.read_secret(ref.namespace or ctx.operator_namespace, ref.name, ref.key)
        return self.build(config, secret)

    def build(self, config: GoodConfig, secret: str) -> LoginRequest | SuppliedToken:
        return LoginRequest(mount=self.mount(config), body={"role": config.role, "secret": secret},
                            details={"role": config.role})


GOOD_SAMPLE: dict[str, Any] = {"role": "r", "secretRef": {"name": "s", "key": "k"}}


def variant_of(name: str, **attrs: Any) -> type:
    """GoodProvider with ``attrs`` replaced: one broken thing at a time."""
    return type(name, (GoodProvider,), attrs)


@pytest.fixture
def plugin_of(monkeypatch: pytest.MonkeyPatch) -> PluginOf:
    """A plugin module (in sys.modules) whose hook offers ``cls``: isolates the failure under test."""

    def make(cls: type) -> types.ModuleType:
        module = types.ModuleType(f"vao_kit_plugin_{cls.__name__.lower()}")
        module.__dict__["vao_auth_providers"] = hookimpl(lambda: [cls])
        monkeypatch.setitem(sys.modules, module.__name__, module)
        return module

    return make


def breaks(plugin_of: PluginOf, cls: type, *expected: str, sample: dict[str, Any] = GOOD_SAMPLE, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        check_provider(cls, sample, plugin=plugin_of(cls), **kwargs)
    text = str(caught.value)
    assert text.startswith(f"{cls.__name__} breaks the auth provider contract:"), text
    for part in expected:
        assert part in text, f"{part!r} not in:\n{text}"
    return text


def test_a_good_provider_passes_and_reports_what_it_saw(plugin_of: PluginOf) -> None:
    report = check_provider(GoodProvider, GOOD_SAMPLE, plugin=plugin_of(GoodProvider))
    assert report.request is not None
    assert report.failures == [] and report.request.mount == "good"
    assert recorded(report).handed_out[0].startswith("vao-fake-secret-")


def test_not_a_provider_or_bad_class_attributes(plugin_of: PluginOf) -> None:
    breaks(plugin_of, dict, "is not a subclass of vault_access_operator.plugin.AuthProvider")
    bad_key = type("BadKey", (GoodProvider,), {"key": "app-role"})
    breaks(plugin_of, bad_key, "key 'app-role' must be a field name under spec.auth")
    kept = ("key", "config_model", "login_request")
    no_mount = type("NoMount", (AuthProvider,), {k: vars(GoodProvider)[k] for k in kept})
    breaks(plugin_of, no_mount, "NoMount does not implement mount (abstract in AuthProvider)")

    class NeedsArgs(GoodProvider):
        def __init__(self, region: str) -> None:
            self.region = region

    breaks(plugin_of, NeedsArgs, "must instantiate with no arguments: TypeError",
           "the operator's plugin loader rejects vao_kit_plugin_needsargs: TypeError")

    class NotAsync(GoodProvider):
        def login_request(self, config: Any, ctx: Any) -> Any:
            return LoginRequest(mount="good", body={})

    breaks(plugin_of, NotAsync, "login_request must be an async def")


def test_a_loose_config_model_is_reported_field_by_field(plugin_of: PluginOf) -> None:
    class LooseConfig(pydantic.BaseModel):
        role_name: str
        secret_ref: SecretKeySelector

    loose = type("Loose", (GoodProvider,), {"config_model": LooseConfig})
    sample = {"role_name": "r", "secret_ref": {"name": "s", "key": "k"}}
    text = breaks(plugin_of, loose, "is not strict", "does not forbid unknown fields", "populate_by_name",
                  "field 'role_name' appears in YAML as 'role_name': use a camelCase alias",
                  "accepted an unknown field 'vaoContractUnknownField'", sample=sample)
    assert text.count("\n  - ") >= 5  # every problem at once, one per line

    class FillsItself(SpecModel):
        role: str

        @pydantic.model_validator(mode="before")
        @classmethod
        def _default(cls, data: Any) -> Any:
            return {"role": "x", **data}

    filled = type("Filled", (GoodProvider,), {"config_model": FillsItself})
    breaks(plugin_of, filled, "accepted an empty block although role are required", sample={"role": "r"})
    breaks(plugin_of, GoodProvider, "the config does not validate: spec.auth.good.role is required",
           sample={"secretRef": {"name": "s", "key": "k"}})


def _supplied(**fields: Any) -> Any:
    """A GoodProvider.build that supplies the Secret's value as an existing Vault token, with ``fields`` over it."""
    return lambda s, c, secret: SuppliedToken(**{"token": secret, "source": "Secret s (key k)", **fields})


def test_a_provider_may_supply_an_existing_token_instead_of_a_login(plugin_of: PluginOf) -> None:
    supplies = variant_of("Supplies", build=_supplied(details={"secretRef": "s (key k)"}))
    report = check_provider(supplies, GOOD_SAMPLE, plugin=plugin_of(supplies))
    assert report.failures == [] and report.request is None
    handed_out = recorded(report).handed_out
    assert report.supplied is not None and report.supplied.token == handed_out[0]
    assert handed_out[0] not in repr(report.supplied)  # the token is not in the repr


def test_bad_supplied_tokens(plugin_of: PluginOf) -> None:
    breaks(plugin_of, variant_of("NoToken", build=_supplied(token="  ")),
           "SuppliedToken.token must be a non-empty string")
    breaks(plugin_of, variant_of("NoSource", build=_supplied(source="")), "SuppliedToken.source must say where")
    leaky = variant_of("LeakySource", build=lambda s, c, secret: SuppliedToken(token=secret, source=f"token {secret}"))
    breaks(plugin_of, leaky, "SuppliedToken.source contains a secret")
    shown = variant_of("ShownToken", build=lambda s, c, secret: SuppliedToken(secret, "s", details={"t": secret}))
    breaks(plugin_of, shown, "SuppliedToken.details contains a secret")
    breaks(plugin_of, variant_of("IntDetails", build=_supplied(details={"ttl": 5})),
           "SuppliedToken.details must map strings to strings")


def test_bad_login_requests(plugin_of: PluginOf) -> None:
    breaks(plugin_of, variant_of("WrongMount", build=lambda s, c, x: LoginRequest(mount="other", body={})),
           "request.mount 'other' must be provider.mount(config) = 'good'")
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    breaks(plugin_of, variant_of("Unjson", build=lambda s, c, x: LoginRequest(mount="good", body={"at": when})),
           "request.body is not JSON-serialisable")
    not_strings = {"n": 1}  # what the contract must reject: details that are not strings
    int_detail = variant_of("IntDetail", build=lambda s, c, x: LoginRequest(
        mount="good", body={}, details=not_strings))  # type: ignore[arg-type]
    breaks(plugin_of, int_detail, "request.details must map strings to strings")
    breaks(plugin_of, variant_of("Dict", build=lambda s, c, x: {"mount": "good"}), "returned dict, not a LoginRequest")


def test_secrets_handed_out_must_not_leak(plugin_of: PluginOf) -> None:
    leaky = variant_of("LeakyDetails", build=lambda s, c, secret: LoginRequest(mount="good", body={},
                                                                            details={"copy": secret[:-1] + "?"}))
    breaks(plugin_of, leaky, "request.details contains a secret: secret #1 handed out")

    class ChattyRequest(LoginRequest):
        def __repr__(self) -> str:
            return f"ChattyRequest({dict(self.body)})"

    chatty = variant_of("ChattyRepr", build=lambda s, c, x: ChattyRequest(mount="good", body={"s": x}))
    breaks(plugin_of, chatty, "repr(request) contains a secret")

    def raise_with_secret(self: Any, config: Any, secret: str) -> Any:
        raise CredentialsError(f"the secret {secret} was refused")

    text = breaks(plugin_of, variant_of("Raises", build=raise_with_secret),
                  "the exception from login_request contains a secret",
                  "login_request raised with the sample config: CredentialsError: the secret *** was refused")
    assert "vao-fake-secret-" not in text  # the report itself never shows the secret

    def explain(self: Any, config: Any, request: LoginRequest, status: int, errors: str) -> str:
        return f"denied; you sent {request.body['secret']}"

    breaks(plugin_of, variant_of("Explains", explain_login_error=explain),
           "explain_login_error's message contains a secret")


def test_explain_and_plugin_failures(plugin_of: PluginOf) -> None:
    breaks(plugin_of, variant_of("Blank", explain_login_error=lambda *a: " "), "must return a message or None")
    breaks(plugin_of, variant_of("Crashes", explain_login_error=lambda *a: 1 / 0),
           "explain_login_error raised ZeroDivisionError")

    def bug(self: Any, config: Any, secret: str) -> Any:
        raise KeyError("region")

    breaks(plugin_of, variant_of("Buggy", build=bug),
           "login_request raised (not a VaultAccessError: would be PluginFailed) with the sample config: KeyError")

    async def hang(self: Any, config: Any, ctx: Any) -> LoginRequest:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    breaks(plugin_of, variant_of("Hangs", login_request=hang, login_request_timeout=0.2),
           "login_request did not return within 0.2s")


def test_the_hook_must_offer_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AssertionError) as caught:
        check_provider(GoodProvider, GOOD_SAMPLE)  # tests.test_plugin_kit has no hook
    text = str(caught.value)
    assert "no vao_auth_providers hook in tests.test_plugin_kit or a package above it" in text
    undecorated = types.ModuleType("vao_kit_undecorated")
    undecorated.__dict__["vao_auth_providers"] = lambda: [GoodProvider]
    with pytest.raises(AssertionError, match=r"vao_kit_undecorated\.vao_auth_providers must be decorated with @hook"):
        check_provider(GoodProvider, GOOD_SAMPLE, plugin=undecorated)
    other = types.ModuleType("vao_kit_other")
    other.__dict__["vao_auth_providers"] = hookimpl(lambda: [])
    with pytest.raises(AssertionError, match=r"returns \[\], which does not include GoodProvider"):
        check_provider(GoodProvider, GOOD_SAMPLE, plugin=other)
    with pytest.raises(AssertionError, match="cannot import the plugin module 'vao_kit_nowhere'"):
        check_provider(GoodProvider, GOOD_SAMPLE, plugin="vao_kit_nowhere")


def test_it_runs_inside_an_event_loop_too(plugin_of: PluginOf) -> None:
    module = plugin_of(GoodProvider)

    async def from_async_code() -> LoginRequest | None:
        return check_provider(GoodProvider, GOOD_SAMPLE, plugin=module).request

    request = asyncio.run(from_async_code())
    assert request is not None and request.mount == "good"


class TestExampleContractAsPytestClass(ProviderContract):
    """The pytest mixin plugin authors use; here with a context holding a real-looking secret."""

    sample_config = USERPASS_SAMPLE

    @property
    def provider_class(self) -> type:  # type: ignore[override]
        return check_entry_point("userpass")

    def make_context(self) -> RecordingAuthContext:
        return RecordingAuthContext({("vault-access-operator-system", "userpass", "password"): "3f1c9d1e-password"})


async def _login_with_an_undeclared_token(
    self: GoodProvider, config: GoodConfig, ctx: Any
) -> LoginRequest | SuppliedToken:
    token = await ctx.request_service_account_token(ctx.operator_namespace, "other", ["vault"], 600)
    return self.build(config, token.token)


def test_tokens_a_login_requests_must_be_declared(plugin_of: PluginOf) -> None:
    # The trust policy checks declared tokens before any I/O; an undeclared one would reach Vault's address first.
    undeclared = variant_of("Undeclared", login_request=_login_with_an_undeclared_token)
    breaks(plugin_of, undeclared, "login_request requested a token for vault-access-operator-system/other "
           "(audiences ['vault'], 600s) that planned_tokens does not declare")
    plan = PlannedToken("vault-access-operator-system", "other", ("vault",), 600)
    declared = variant_of("Declared", login_request=_login_with_an_undeclared_token,
                          planned_tokens=lambda self, config, ctx: [plan])
    assert check_provider(declared, GOOD_SAMPLE, plugin=plugin_of(declared)).failures == []
