"""``vault-access-operator demo``, added to the operator's command by the ``vault_access_operator.commands``
entry point group. The demo itself is imported only when the command runs: ``--help`` stays fast."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--timeout", type=float, default=60.0, help="Seconds to wait for the connection to turn Active.")
@click.option("--keep-running", is_flag=True, help="Keep the demo running until Ctrl-C.")
def demo(timeout: float, keep_running: bool) -> None:
    """Start a local OpenBao and an in-process Kubernetes API, and watch a VaultConnection turn Active."""
    from .demo import run_demo

    sys.exit(run_demo(timeout=timeout, keep_running=keep_running))
