"""One contract check: the operator's loader and the plugin kit refuse the same classes with the same words."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from typing import Any

import pytest

from vault_access_operator.plugin import (
    ENTRY_POINT_GROUP,
    AuthContext,
    AuthProvider,
    LoginRequest,
    SpecModel,
    hookimpl,
    validate_provider,
)
from vault_access_operator.registry import load_providers
from vault_access_operator.testing.contract import check_provider


class RoleConfig(SpecModel):
    role: str


class Fine(AuthProvider[RoleConfig]):
    key = "fine"
    config_model = RoleConfig

    def mount(self, config: RoleConfig) -> str:
        return "fine"

    async def login_request(self, config: RoleConfig, ctx: AuthContext) -> LoginRequest:
        return LoginRequest(self.mount(config), {"role": config.role}, role=config.role)


def variant(name: str, base: type = Fine, **attrs: Any) -> type:
    return type(name, (base,), attrs)


BROKEN = {
    "dashed key": variant("Dashed", key="app-role"),
    "upper-case key": variant("Upper", key="AppRole"),
    "no config model": variant("NoModel", config_model=dict),
    "sync login": variant("Sync", login_request=lambda self, config, ctx: None),
    "zero timeout": variant("Zero", login_request_timeout=0),
    "no mount": type("NoMount", (AuthProvider,), {"key": "nomount", "config_model": RoleConfig,
                                                   "login_request": Fine.login_request}),
}


def loader_error(cls: type, monkeypatch: pytest.MonkeyPatch) -> str:
    module = types.ModuleType(f"vao_contract_{cls.__name__.lower()}")
    module.vao_auth_providers = hookimpl(lambda: [cls])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    registry = load_providers([importlib.metadata.EntryPoint("x", module.__name__, ENTRY_POINT_GROUP)])
    [plugin] = registry.plugins
    assert plugin.error is not None and not registry.providers
    return plugin.error


def test_a_fine_provider_has_no_problems() -> None:
    assert validate_provider(Fine) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_loader_and_kit_refuse_with_the_same_message(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = BROKEN[case]
    [problem] = validate_provider(cls)
    assert loader_error(cls, monkeypatch) == f"TypeError: {problem}"
    with pytest.raises(AssertionError) as caught:
        check_provider(cls, {"role": "r"})
    assert f"  - {problem}\n" in str(caught.value) + "\n"


def test_the_dashed_key_message_says_what_a_key_may_be(monkeypatch: pytest.MonkeyPatch) -> None:
    message = loader_error(BROKEN["dashed key"], monkeypatch)
    assert "key 'app-role' must be a field name under spec.auth: a lowercase letter" in message
    assert "(such as 'aws' or 'appRole')" in message


def test_an_unmarked_hook_is_not_a_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("vao_contract_unmarked")
    module.vao_auth_providers = lambda: [Fine]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    registry = load_providers([importlib.metadata.EntryPoint("fine", module.__name__, ENTRY_POINT_GROUP)])
    assert "no vao_auth_providers function marked @hookimpl" in str(registry.plugins[0].error)
