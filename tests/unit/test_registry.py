"""Plugin discovery: each entry point loads in isolation; every hook is documented."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest

from vault_access_operator import hookspecs
from vault_access_operator.errors import PluginUnavailableError
from vault_access_operator.plugin import AuthContext, AuthProvider, LoginRequest, hookimpl
from vault_access_operator.registry import load_providers, new_plugin_manager


class _Config(pydantic.BaseModel):
    role: str


def _provider(key: str) -> type[AuthProvider[Any]]:
    class Provider(AuthProvider[_Config]):
        config_model = _Config

        def mount(self, config: _Config) -> str:
            return key

        async def login_request(  # pragma: no cover - not called here
                self, config: _Config, ctx: AuthContext) -> LoginRequest:
            return LoginRequest(mount=key, body={})

    Provider.key = key
    Provider.__name__ = f"{key.title()}Provider"
    return Provider


def _module(name: str, **attrs: object) -> str:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return name


def _entry_point(name: str, module: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=module, group=hookspecs.ENTRY_POINT_GROUP)


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[importlib.metadata.EntryPoint]]:
    good = _module("vao_test_good", vao_auth_providers=hookimpl(lambda: [_provider("good")]))
    other = _module("vao_test_other", vao_auth_providers=hookimpl(lambda: [_provider("other")]))
    dup_a = _module("vao_test_dup_a", vao_auth_providers=hookimpl(lambda: [_provider("dup")]))
    dup_b = _module("vao_test_dup_b", vao_auth_providers=hookimpl(lambda: [_provider("dup")]))
    not_provider = _module("vao_test_bad", vao_auth_providers=hookimpl(lambda: [object]))
    raising = _module("vao_test_raises", vao_auth_providers=hookimpl(lambda: 1 / 0))
    empty = _module("vao_test_empty")
    yield [
        _entry_point("good", good),
        _entry_point("other", other),
        _entry_point("broken", "vao_test_does_not_exist"),
        _entry_point("dup_a", dup_a),
        _entry_point("dup_b", dup_b),
        _entry_point("bad", not_provider),
        _entry_point("raises", raising),
        _entry_point("empty", empty),
    ]
    for name in (good, other, dup_a, dup_b, not_provider, raising, empty):
        sys.modules.pop(name, None)


def test_broken_plugins_do_not_stop_the_others(fake_plugins: list[importlib.metadata.EntryPoint]) -> None:
    registry = load_providers(fake_plugins)
    assert sorted(registry.providers) == ["good", "other"]
    errors = {p.name: p.error for p in registry.plugins if p.error}
    assert "ModuleNotFoundError" in errors["broken"]
    assert "is not a subclass of vault_access_operator.plugin.AuthProvider" in errors["bad"]
    assert "ZeroDivisionError" in errors["raises"]
    assert "offers no auth providers" in errors["empty"]


def test_each_problem_reaches_the_connections_that_need_it(
        fake_plugins: list[importlib.metadata.EntryPoint]) -> None:
    registry = load_providers(fake_plugins)
    with pytest.raises(
        PluginUnavailableError,
        match=r"the plugin for auth method 'broken' .* failed to load: "
        r"ModuleNotFoundError",
    ):
        registry.get("broken")
    with pytest.raises(PluginUnavailableError, match=r"'dup' is provided by more than one plugin \(dup_a .* and dup_b"):
        registry.get("dup")
    with pytest.raises(PluginUnavailableError, match="installed methods are good, other"):
        registry.get("nope")
    assert registry.get("good").key == "good"


def test_builtin_plugins_load_through_entry_points() -> None:
    registry = load_providers()
    assert "kubernetes" in registry.providers
    plugin = next(p for p in registry.plugins if p.name == "kubernetes")
    assert plugin.package == "vault-access-operator" and plugin.error is None


def test_every_hook_is_documented() -> None:
    names = [name for name, obj in vars(hookspecs).items() if name.startswith("vao_") and callable(obj)]
    assert names, "no hook specifications found"
    manager = new_plugin_manager()
    for name in names:
        spec = getattr(manager.hook, name).spec  # pluggy's public view: is it declared as a hookspec?
        assert spec is not None, f"{name} is not marked as a hookspec"
        hook = spec.function
        doc = inspect.getdoc(hook) or ""
        assert len(doc.split()) >= 8, f"hook {hook.__name__} needs a docstring saying when it is called"
