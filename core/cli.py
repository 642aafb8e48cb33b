"""The ``vault-access-operator`` command."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random

import click
import kopf

from .access.tenancy import confinement_override
from .app import OperatorApp, OperatorConfig
from .cli_extensions import ExtensibleGroup
from .gc_policy import tune_garbage_collector
from .handlers import build_registry
from .kinds import KINDS
from .peering import check_peering_lifetime
from .registry import load_providers
from .shards import shard_from_flags
from .startup import prepare
from .trust_config import trust_from_flags
from .tuning import event_loop_factory


@click.group(cls=ExtensibleGroup)  # `demo` comes from the devkit (cli_extensions.py)
@click.version_option(package_name="vault-access-operator")
def main() -> None:
    """Declarative, pluggable login to HashiCorp Vault and OpenBao for Kubernetes."""


@main.command()
@click.option("--standalone", is_flag=True, help="Do not coordinate with other replicas (no peering).")
@click.option("--peering", "peering_name", default=None, help="kopf peering object name (for several replicas).")
@click.option("--priority", type=int, default=None, help="Peering priority of this replica.")
@click.option("--peering-lifetime", type=int, default=None, metavar="SECONDS",
              help="How long a replica's peering record counts: a stopped leader is replaced at most this long "
              "after its last keep-alive (11-3600; default 15). Env VAO_PEERING_LIFETIME.")
@click.option(
    "--liveness", "liveness_endpoint", default=None, help="Liveness endpoint, e.g. http://0.0.0.0:8080/healthz"
)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    help="Namespaces to serve (VaultConnection is cluster-scoped; default: cluster-wide).",
)
@click.option("--metrics-port", type=int, default=9090, show_default=True,
              help="Serve Prometheus metrics on this port at /metrics (0: off).")
@click.option("--secret-namespace", "secret_namespaces", multiple=True, metavar="NS",
              help="Namespace whose Secrets a VaultConnection may reference, besides the operator's own "
              "(repeatable; * = any). Env VAO_SECRET_NAMESPACES (comma-separated).")
@click.option("--token-service-account", "token_service_accounts", multiple=True, metavar="NS/NAME",
              help="Service account a VaultConnection may have tokens requested for, besides the operator's own "
              "(repeatable; NS/* = a whole namespace). Env VAO_TOKEN_SERVICE_ACCOUNTS.")
@click.option("--api-audience", "api_audiences", multiple=True, metavar="AUD",
              help="An audience of the API server's, never requested for a token sent to Vault (repeatable; "
              "the cluster's issuer is discovered). Env VAO_API_AUDIENCES.")
@click.option("--max-token-lifetime", default=None, metavar="DURATION",
              help="Longest service-account token a VaultConnection may request (Go duration; default 1h). "
              "Env VAO_MAX_TOKEN_LIFETIME.")
@click.option("--allow-mounted-token", is_flag=True, default=None,
              help="When TokenRequest is forbidden, log in with the operator's mounted token (its audience is "
              "the API server's). Env VAO_ALLOW_MOUNTED_TOKEN=true.")
@click.option("--vault-address", "vault_addresses", multiple=True, metavar="GLOB",
              help="Vault address a VaultConnection may use, as a glob on scheme://host:port (repeatable; "
              "default: any). Env VAO_VAULT_ADDRESSES.")
@click.option("--cluster-name", default=None, metavar="NAME",
              help="This operator's identity in the names of the Vault objects it writes "
              "(vao.<name>.<namespace>.<object>; lower-cased; default: default). Env VAO_CLUSTER_NAME.")
@click.option("--tenancy-confinement", default=None, type=click.Choice(["none", "namespace"]),
              help="namespace: confine every namespaced policy to its namespace's paths, whatever the "
              "VaultConnection's spec.tenancy.confinement says (docs/access/policies.md). "
              "Env VAO_TENANCY_CONFINEMENT.")
@click.option("--shard", "shard_name", default=None, metavar="NAME",
              help="Run as one shard of several deployments (docs/scaling.md). Env VAO_SHARD.")
@click.option("--shard-namespace", "shard_namespaces", multiple=True, metavar="GLOB",
              help="The shard's namespaced objects: those in these namespaces (repeatable, globs; default: all). "
              "Env VAO_SHARD_NAMESPACES (comma-separated).")
@click.option("--shard-selector", "shard_selector", multiple=True, metavar="KEY=VALUE",
              help="The shard's namespaced objects: those with these labels (repeatable; default: all). "
              "Env VAO_SHARD_SELECTOR (comma-separated).")
@click.option("--cluster-scoped/--no-cluster-scoped", "shard_cluster_scoped", default=None,
              help="This shard also owns the VaultConnections' status and the cluster-scoped kinds (exactly one "
              "shard must; default: yes without --shard, no with it). Env VAO_SHARD_CLUSTER_SCOPED.")
@click.option("-v", "--verbose", is_flag=True, help="Also log kopf's line per handled watch event (INFO).")
@click.option("-q", "--quiet", is_flag=True, help="Log warnings and errors only.")
@click.option("--debug", is_flag=True, help="Log at DEBUG level.")
def run(
    standalone: bool,
    peering_name: str | None,
    priority: int | None,
    peering_lifetime: int | None,
    liveness_endpoint: str | None,
    namespaces: tuple[str, ...],
    metrics_port: int,
    secret_namespaces: tuple[str, ...],
    token_service_accounts: tuple[str, ...],
    api_audiences: tuple[str, ...],
    max_token_lifetime: str | None,
    allow_mounted_token: bool | None,
    vault_addresses: tuple[str, ...],
    cluster_name: str | None,
    tenancy_confinement: str | None,
    shard_name: str | None,
    shard_namespaces: tuple[str, ...],
    shard_selector: tuple[str, ...],
    shard_cluster_scoped: bool | None,
    verbose: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Run the operator (in a cluster, or outside one with KUBECONFIG / ~/.kube/config)."""
    if peering_name and priority is None:
        # kopf pauses every replica that shares the highest priority: give each pod its own.
        priority = random.SystemRandom().randint(1, 2**31 - 1)
    try:
        config = OperatorConfig.from_env()
        config.trust = trust_from_flags(
            config.trust,
            secret_namespaces=secret_namespaces,
            token_service_accounts=token_service_accounts,
            api_audiences=api_audiences,
            max_token_lifetime=max_token_lifetime,
            allow_mounted_token=allow_mounted_token,
            vault_addresses=vault_addresses,
        )
        config.shard = shard_from_flags(shard_name, shard_namespaces, shard_selector, shard_cluster_scoped,
                                        os.environ)
        if peering_lifetime is not None:  # the flag replaces VAO_PEERING_LIFETIME
            config.peering_lifetime = check_peering_lifetime(peering_lifetime, "--peering-lifetime")
        if tenancy_confinement is not None:  # the flag replaces VAO_TENANCY_CONFINEMENT
            config.tenancy_confinement = confinement_override(tenancy_confinement, {})
    except ValueError as error:  # names the flag or the VAO_* variable
        raise click.UsageError(str(error)) from None
    config.metrics_port = metrics_port or None
    if cluster_name:
        config.access = dataclasses.replace(config.access, cluster_name=cluster_name)
    # Logging is set up once the flags are known good: a refused flag leaves the process's loggers as they were.
    kopf.configure(debug=debug, quiet=quiet and not debug)  # INFO by default
    if not (verbose or debug):
        # kopf logs "Handler ... succeeded" at INFO for every watch event of every object: at scale, a
        # large share of the operator's CPU during a burst (bench/README.md).
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    app = OperatorApp(config)
    prepare(app, liveness_endpoint)  # a fatal start-up problem exits here, with one line
    operator = kopf.operator(
        registry=build_registry(app),
        standalone=standalone or None,
        peering_name=peering_name,
        priority=priority,
        liveness_endpoint=liveness_endpoint,
        clusterwide=not namespaces,
        namespaces=namespaces,
    )
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        # After start-up (modules, settings and plugins are loaded): freeze them, fewer young collections;
        # VAO_GC_TUNING=off keeps CPython's defaults, VAO_GC_STATS=PATH measures (core/gc_policy.py).
        tune_garbage_collector()
        try:
            runner.run(operator)
        except asyncio.CancelledError:  # as kopf.run: a stop by signal is not an error
            pass


@main.command()
def plugins() -> None:
    """List the auth methods and role writer families found through entry points, with load errors."""
    registry = load_providers()
    click.echo(f"{'METHOD':<14} {'ROLES':<12} {'PLUGIN':<14} {'PACKAGE':<34} {'VERSION':<10} STATUS")
    for plugin in registry.plugins:
        methods = ", ".join(plugin.keys) or "-"
        families = ", ".join(plugin.families) or "-"
        state = f"error: {plugin.error}" if plugin.error else "ok"
        if plugin.writer_error:
            state = f"role writers failed: {plugin.writer_error}"
        for key in plugin.keys:
            if key in registry.conflicts:
                state = f"conflict: {key} is also provided by " + ", ".join(registry.conflicts[key])
        for family in plugin.families:
            if family in registry.writer_conflicts:
                state = f"conflict: {family} roles are also written by " + ", ".join(registry.writer_conflicts[family])
        click.echo(f"{methods:<14} {families:<12} {plugin.name:<14} {plugin.package:<34} {plugin.version:<10} {state}")


def _crds_help() -> str:
    return ("Print the CustomResourceDefinition of every kind the operator serves ("
            + ", ".join(kind.kind for kind in KINDS)
            + "), or of one with --kind: vault-access-operator crds | kubectl apply -f -. "
            "kopf's ClusterKopfPeering CRD, needed only for several replicas, is not among them: it is in the "
            "chart's crds/ folder.")


@main.command(help=_crds_help(), short_help="Print the CRDs of every kind (or of one).")
@click.option("--kind", "kind_name", default=None, metavar="KIND",
              help="Print only this kind's CRD (e.g. VaultPolicy); the chart keeps one file per kind.")
def crds(kind_name: str | None) -> None:
    from .crd import render_crds

    kinds = [kind for kind in KINDS if kind_name in (None, kind.kind)]
    if not kinds:
        raise click.UsageError(f"--kind {kind_name}: not a kind of this operator (one of "
                               + ", ".join(kind.kind for kind in KINDS) + ")")
    click.echo(render_crds(kinds), nl=False)


@main.command("api-docs")
def api_docs() -> None:
    """Print the API reference of every kind (Markdown)."""
    from .apidocs import render_api_reference

    click.echo(render_api_reference(), nl=False)

