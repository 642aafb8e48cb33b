"""Subcommands that other distributions add to ``vault-access-operator`` (entry point group below).

The shipped package has no ``demo``: the development kit (``devkit/``, vault-access-operator-devkit) adds
it, so the product never imports the Kubernetes API emulator. A built-in command always wins over an
entry point of the same name, and ``run`` never loads one.
"""

from __future__ import annotations

import importlib.metadata

import click

COMMANDS_GROUP = "vault_access_operator.commands"
#: Commands the development kit adds: asked for without it, say how to get it.
DEVKIT_COMMANDS = frozenset({"demo"})
DEVKIT_HINT = ("`{name}` comes with the development kit (vault-access-operator-devkit, in the repository's "
               "devkit/ folder): from a checkout, run ./dev {name}, or pip install -e ./devkit")


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {entry.name: entry for entry in importlib.metadata.entry_points(group=COMMANDS_GROUP)}


def _broken(name: str, entry: importlib.metadata.EntryPoint, problem: str) -> click.Command:
    """Stands in for a command that cannot load: ``--help`` still lists the others, running it says why."""

    def fail() -> None:
        raise click.ClickException(f"the command {name!r} ({entry.value}, entry point group {COMMANDS_GROUP}) "
                                   f"cannot load: {problem}; reinstall the package that provides it")

    return click.Command(name, callback=fail, help=f"(cannot load: {problem})")


class ExtensibleGroup(click.Group):
    """A click group that also offers the commands registered under :data:`COMMANDS_GROUP`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        entry = _entry_points().get(cmd_name)
        if entry is None:
            if cmd_name in DEVKIT_COMMANDS:
                raise click.UsageError(DEVKIT_HINT.format(name=cmd_name), ctx)
            return None
        try:
            command = entry.load()
        except Exception as error:  # a broken extension must not take the operator's other commands down
            return _broken(cmd_name, entry, f"{type(error).__name__}: {error}")
        if not isinstance(command, click.Command):
            return _broken(cmd_name, entry, f"it is a {type(command).__name__}, not a click command")
        return command
