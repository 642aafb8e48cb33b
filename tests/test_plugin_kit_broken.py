"""Broken third-party plugins, through the real operator: each affects only the connections that use it."""

from __future__ import annotations

import asyncio
import importlib.metadata
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.models import SpecModel
from vault_access_operator.plugin import AuthProvider, LoginRequest, hookimpl
from vault_access_operator.registry import load_providers
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

GROUP = "vault_access_operator.auth"


class RoleConfig(SpecModel):
    role: str


def provider(key: str, login: Any, **attrs: Any) -> type[AuthProvider[Any]]:
    return type(f"{key.title()}Provider", (AuthProvider,), {
        "key": key, "config_model": RoleConfig, "mount": lambda self, config: key, "login_request": login, **attrs})


async def raise_bug(self: Any, config: RoleConfig, ctx: Any) -> LoginRequest:
    raise RuntimeError("the plugin has a bug")


async def hang(self: Any, config: RoleConfig, ctx: Any) -> LoginRequest:
    await asyncio.sleep(3600)  # an unanswered call with no timeout of its own
    raise AssertionError("unreachable")


class Twin(AuthProvider[RoleConfig]):
    key = "twin"
    config_model = RoleConfig

    def mount(self, config: RoleConfig) -> str:
        return "twin"

    async def login_request(self, config: RoleConfig, ctx: Any) -> LoginRequest:
        return LoginRequest(mount="twin", body={})


PLUGINS: dict[str, dict[str, Any]] = {
    "vao_kit_bad": {"vao_auth_providers": hookimpl(lambda: [dict])},
    "vao_kit_twin_a": {"vao_auth_providers": hookimpl(lambda: [Twin])},
    "vao_kit_twin_b": {"vao_auth_providers": hookimpl(lambda: [Twin])},
    "vao_kit_raises": {"vao_auth_providers": hookimpl(lambda: [provider("raises", raise_bug)])},
    "vao_kit_hangs": {"vao_auth_providers": hookimpl(lambda: [provider("hangs", hang, login_request_timeout=0.5)])},
}


@pytest.fixture
def broken_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[importlib.metadata.EntryPoint]:
    # A real module whose own import fails, as a plugin with a missing dependency does.
    (tmp_path / "vao_kit_importfails.py").write_text("import vao_kit_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, attrs in PLUGINS.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, module)
    points = {"importfails": "vao_kit_importfails", "bad": "vao_kit_bad", "twin": "vao_kit_twin_a",
              "twin2": "vao_kit_twin_b", "raises": "vao_kit_raises", "hangs": "vao_kit_hangs"}
    return [importlib.metadata.EntryPoint(name=n, value=v, group=GROUP) for n, v in points.items()]


@pytest.fixture
def operator_with_broken_plugins(
    fake_kube: FakeKube, operator_identity: OperatorIdentity, broken_entry_points: list[importlib.metadata.EntryPoint]
) -> Iterator[RunningOperator]:
    registry = load_providers([*importlib.metadata.entry_points(group=GROUP), *broken_entry_points])
    with run_operator(fake_kube.connection_info(), identity=operator_identity, registry=registry,
                      backoff=Backoff(base=0.2, cap=1.0)) as running:
        yield running


def error_status(kube: FakeKube, name: str, reason: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = status_of(kube, name)
        return status if status.get("phase") == "Error" and condition(status, "Ready")["reason"] == reason else None

    status = wait_for(check, timeout=10, message=f"{name} never failed with {reason}: {status_of(kube, name)}")
    assert status is not None  # wait_for returns only a truthy value
    return status


def test_each_broken_plugin_fails_only_its_own_connections(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_with_broken_plugins: RunningOperator
) -> None:
    for key in ("importfails", "bad", "twin", "raises", "hangs"):
        fake_kube.create_vaultconnection(key, {"address": vault_k8s.url, "auth": {key: {"role": "r"}}})
    fake_kube.create_vaultconnection("fine", k8s_spec(vault_k8s.url))
    wait_phase(fake_kube, "fine", "Active", timeout=10)

    message = error_status(fake_kube, "importfails", "PluginUnavailable")["message"]
    assert "the plugin for auth method 'importfails'" in message
    assert "failed to load: ModuleNotFoundError: No module named 'vao_kit_dependency_that_is_not_installed'" in message
    message = error_status(fake_kube, "bad", "PluginUnavailable")["message"]
    assert "failed to load: TypeError: <class 'dict'> is not a subclass of vault_access_operator.plugin" in message
    message = error_status(fake_kube, "twin", "PluginUnavailable")["message"]
    assert "'twin' is provided by more than one plugin (twin (unknown) and twin2 (unknown))" in message

    status = error_status(fake_kube, "raises", "PluginFailed")
    assert status["message"] == "the 'raises' auth plugin failed: RuntimeError: the plugin has a bug"
    assert condition(status, "Authenticated")["reason"] == "PluginFailed"
    # Retried with backoff (a plugin bug may be transient), never crashing the operator.
    wait_for(lambda: status_of(fake_kube, "raises")["consecutiveFailures"] >= 2, timeout=10)

    status = error_status(fake_kube, "hangs", "PluginTimeout")
    assert "the 'hangs' auth plugin did not produce a login request within" in status["message"]
    wait_for(lambda: status_of(fake_kube, "hangs")["consecutiveFailures"] >= 2, timeout=10)

    # The operator kept serving the healthy connection all along, and still does.
    fine = status_of(fake_kube, "fine")
    assert fine["phase"] == "Active" and fine["healthy"] is True and fine["authStatus"]["loginCount"] == 1
    events = fake_kube.list_events(involved_name="hangs")
    assert any(e["reason"] == "PluginTimeout" for e in events)


def test_a_provider_whose_constructor_fails_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def needs_args(self: Any, region: str) -> None:
        self.region = region

    picky = provider("picky", raise_bug, __init__=needs_args)
    module = types.ModuleType("vao_kit_picky")
    module.__dict__["vao_auth_providers"] = hookimpl(lambda: [picky])
    monkeypatch.setitem(sys.modules, "vao_kit_picky", module)
    entry = importlib.metadata.EntryPoint(name="picky", value="vao_kit_picky", group=GROUP)
    registry = load_providers([*importlib.metadata.entry_points(group=GROUP), entry])
    assert "kubernetes" in registry.providers
    error = next(p.error for p in registry.plugins if p.name == "picky")
    assert error is not None and "TypeError" in error
