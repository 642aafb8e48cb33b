"""`vault-access-operator demo` comes from the devkit through an entry point; the shipped command has none."""

from __future__ import annotations

import importlib.metadata

import click
import pytest
from click.testing import CliRunner

from vault_access_operator import cli_extensions
from vault_access_operator.cli import main
from vault_access_operator_devkit.cli import demo


def entry(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=cli_extensions.COMMANDS_GROUP)


def only(monkeypatch: pytest.MonkeyPatch, *entries: importlib.metadata.EntryPoint) -> None:
    """As if only the packages registering ``entries`` were installed."""
    monkeypatch.setattr(cli_extensions, "_entry_points", lambda: {e.name: e for e in entries})


def test_the_installed_devkit_adds_demo() -> None:
    assert "demo" not in main.commands  # not part of the shipped command
    with click.Context(main) as ctx:
        assert main.get_command(ctx, "demo") is demo
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert result.exit_code == 0 and "--keep-running" in result.output


def test_without_the_devkit_demo_says_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 2
    assert "comes with the development kit" in result.output and "./dev demo" in result.output
    assert "demo" not in CliRunner().invoke(main, ["--help"]).output


def test_a_broken_extension_leaves_the_other_commands_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, entry("broken", "no_such_module_here:command"), entry("odd", "json:dumps"))
    listing = CliRunner().invoke(main, ["--help"])
    assert listing.exit_code == 0 and "broken" in listing.output and "run" in listing.output
    result = CliRunner().invoke(main, ["broken"])
    assert result.exit_code == 1
    assert "'broken' (no_such_module_here:command, entry point group vault_access_operator.commands)" in result.output
    assert "ModuleNotFoundError" in result.output
    assert "it is a function, not a click command" in CliRunner().invoke(main, ["odd"]).output


def test_a_builtin_command_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, entry("crds", "no_such_module_here:command"))
    result = CliRunner().invoke(main, ["crds"])
    assert result.exit_code == 0 and "CustomResourceDefinition" in result.output
