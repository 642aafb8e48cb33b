"""Role writers through entry points: loaded beside the auth providers, each plugin in isolation."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from vault_access_operator import hookspecs
from vault_access_operator.cli import main
from vault_access_operator.errors import PluginUnavailableError
from vault_access_operator.plugin import RoleBinding, RoleWriter, SpecModel, hookimpl, validate_writer
from vault_access_operator.registry import load_providers


def _writer(family: str, **attrs: Any) -> type[RoleWriter[Any]]:
    def payload(self: RoleWriter[Any], binding: RoleBinding, config: SpecModel | None) -> dict[str, Any]:
        return {"family": family}

    return type(f"{family.title()}Writer", (RoleWriter,), {"family": family, "payload": payload, **attrs})


def _module(name: str, **attrs: object) -> str:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return name


def _ep(name: str, module: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=module, group=hookspecs.ENTRY_POINT_GROUP)


@pytest.fixture
def writer_plugins() -> Iterator[list[importlib.metadata.EntryPoint]]:
    modules = {
        "only_writer": _module("vao_w_only", vao_role_writers=hookimpl(
            lambda: [_writer("gitlab", login_methods=("gitlab",), mount_prefixes=("gitlab",))])),
        "dup_a": _module("vao_w_dup_a", vao_role_writers=hookimpl(lambda: [_writer("dup")])),
        "dup_b": _module("vao_w_dup_b", vao_role_writers=hookimpl(lambda: [_writer("dup")])),
        "bad_writer": _module("vao_w_bad", vao_role_writers=hookimpl(lambda: [_writer("Not A Family")])),
        "raising": _module("vao_w_raises", vao_role_writers=hookimpl(lambda: 1 / 0)),
        "nothing": _module("vao_w_nothing"),
    }
    yield [_ep(name, module) for name, module in modules.items()]
    for module in modules.values():
        sys.modules.pop(module, None)


def test_writers_load_per_plugin_and_a_broken_one_stops_nothing(
        writer_plugins: list[importlib.metadata.EntryPoint]) -> None:
    registry = load_providers(writer_plugins)
    assert sorted(registry.writers) == ["gitlab"]
    infos = {p.name: p for p in registry.plugins}
    assert infos["only_writer"].families == ("gitlab",) and infos["only_writer"].error is None
    assert "family 'Not A Family' must be a lower-case name" in (infos["bad_writer"].writer_error or "")
    assert "ZeroDivisionError" in (infos["raising"].writer_error or "")
    assert "offers no auth providers and no role writers" in (infos["nothing"].error or "")
    assert registry.family_of_login("gitlab") == "gitlab" and registry.family_of_login("kubernetes") is None
    assert registry.family_of_mount("gitlab_ci") == "gitlab" and registry.family_of_mount("gitlabx") is None


def test_two_writers_for_one_family_make_it_unusable_naming_both(
        writer_plugins: list[importlib.metadata.EntryPoint]) -> None:
    registry = load_providers(writer_plugins)
    with pytest.raises(PluginUnavailableError, match=r"'dup' family are written by more than one plugin "
                                                     r"\(dup_a \(unknown\) and dup_b \(unknown\)\)"):
        registry.writer("dup")
    with pytest.raises(PluginUnavailableError, match=r"no role writer for the 'aws' family .*installed families: "
                                                     r"gitlab.*bad_writer"):
        registry.writer("aws")


def test_broken_writers_leave_the_plugins_providers_working() -> None:
    from vault_access_operator.plugins.kubernetes import KubernetesAuthProvider

    name = _module("vao_w_mixed", vao_auth_providers=hookimpl(lambda: [KubernetesAuthProvider]),
                   vao_role_writers=hookimpl(lambda: [object]))
    try:
        registry = load_providers([_ep("mixed", name)])
    finally:
        sys.modules.pop(name, None)
    assert "kubernetes" in registry.providers and not registry.writers
    assert "is not a subclass of vault_access_operator.plugin.RoleWriter" in (registry.plugins[0].writer_error or "")


def test_validate_writer_names_each_problem() -> None:
    assert validate_writer(_writer("ok")) == []
    half = _writer("half", spec_key="half")
    assert any("spec_key and config_model go together" in p for p in validate_writer(half))
    taken = _writer("taken", spec_key="policies", config_model=SpecModel)
    assert any("other than the common fields" in p for p in validate_writer(taken))
    lazy = type("Lazy", (RoleWriter,), {"family": "lazy"})
    assert any("does not implement payload" in p for p in validate_writer(lazy))


def test_builtin_kubernetes_writer_and_the_plugins_command() -> None:
    registry = load_providers()
    assert registry.writer("kubernetes").login_methods == ("kubernetes",)
    assert registry.family_of_login("kubernetes") == "kubernetes"
    assert registry.family_of_mount("kubernetes-east") == "kubernetes"
    result = CliRunner().invoke(main, ["plugins"])
    line = next(line for line in result.output.splitlines() if line.startswith("kubernetes"))
    assert line.split()[:3] == ["kubernetes", "kubernetes", "kubernetes"] and line.endswith("ok")
