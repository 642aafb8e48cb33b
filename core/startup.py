"""Start-up checks of ``vault-access-operator run``: all or nothing.

What the operator cannot work without is checked before kopf starts: the metrics and liveness ports,
Kubernetes credentials and the API server itself. A failure exits non-zero with one line that says
what to fix (no traceback), so Kubernetes restarts the pod and ``kubectl logs --previous`` shows why;
a half-started operator would look alive and do nothing.

After start-up, an API outage is kopf's to ride out: it retries forever (core/handlers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import urllib.parse
from pathlib import Path
from typing import IO, Any

import aiohttp
import click
import kopf
import yaml

from .app import OperatorApp
from .errors import VaultAccessError
from .kinds import VAULT_CONNECTION
from .kube import KubeClient

# Waits between attempts to reach the API server at start-up (connection errors and 5xx answers). Short:
# the kubelet restarts a failed pod with its own growing backoff, and shows the reason meanwhile.
API_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
API_ATTEMPT_SECONDS = 10.0  # per request: an address that drops packets fails in under a minute in all
LIVENESS_DEFAULT_HOST, LIVENESS_DEFAULT_PORT = "localhost", 80  # kopf's defaults for --liveness


# In a pod, Kubernetes shows this file's text as the container's termination message (kubectl describe pod).
TERMINATION_LOG = Path("/dev/termination-log")


class StartupError(click.ClickException):
    """A fatal start-up problem: printed as one ``vault-access-operator: ...`` line, exit code 1.

    The line also goes to the termination log when the container has one.
    """

    def show(self, file: IO[Any] | None = None) -> None:
        line = f"vault-access-operator: {self.format_message()}"
        click.echo(line, file=file, err=True)
        if TERMINATION_LOG.is_file():
            with contextlib.suppress(OSError):  # the log line above is what matters
                TERMINATION_LOG.write_text(line + "\n")


def prepare(app: OperatorApp, liveness_endpoint: str | None) -> None:
    """Run every start-up check, serving metrics on the way; raise :class:`StartupError` on the first failure.

    Call before kopf's operator coroutine is made. The API check runs on an event loop of its own.
    """
    check_plugins(app)
    serve_metrics(app)
    if liveness_endpoint:
        check_liveness_port(liveness_endpoint)
    info = kube_credentials(app)
    with asyncio.Runner() as runner:
        runner.run(check_kube_api(info))


def check_plugins(app: OperatorApp) -> None:
    if not app.registry.providers:
        raise StartupError(
            "no auth method is available: every auth plugin failed to load; "
            "run 'vault-access-operator plugins' to see why, and fix or reinstall the plugin packages"
        )


def serve_metrics(app: OperatorApp) -> None:
    port = app.config.metrics_port
    if port is None:
        return
    if not 0 < port < 65536:
        raise StartupError(f"--metrics-port {port} is not a TCP port: pass 1-65535, or 0 to turn metrics off")
    try:
        app.serve_metrics()
    except OSError as error:
        raise StartupError(
            f"cannot serve metrics on port {port}: {_describe_os_error(error)}; "
            "free the port or pass another --metrics-port (0 turns metrics off)"
        ) from None


def check_liveness_port(endpoint: str) -> None:
    """kopf binds the liveness endpoint only once it runs (and then fails without a word): try it first."""
    parts = urllib.parse.urlsplit(endpoint)
    try:
        port = parts.port or LIVENESS_DEFAULT_PORT
    except ValueError:
        port = -1
    if parts.scheme != "http" or not 0 < port < 65536:
        raise StartupError(f"--liveness {endpoint!r} is not an http:// URL with a valid port, "
                           "e.g. http://0.0.0.0:8080/healthz")
    host = parts.hostname or LIVENESS_DEFAULT_HOST
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = addresses[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's server binds
            probe.bind(address)
    except OSError as error:
        raise StartupError(
            f"cannot serve the liveness probe on {host}:{port}: {_describe_os_error(error)}; "
            "free the port or pass another --liveness"
        ) from None


def kube_credentials(app: OperatorApp) -> kopf.ConnectionInfo:
    try:
        return app.login()
    except kopf.LoginError as error:
        raise StartupError(
            f"{_one_line(error).rstrip('.')}; run in a cluster with a service account, "
            "or set KUBECONFIG to a kubeconfig with a current context"
        ) from None
    except (OSError, ValueError, yaml.YAMLError) as error:  # an unreadable or malformed kubeconfig
        raise StartupError(
            f"cannot read the Kubernetes credentials: {_one_line(error)}; fix KUBECONFIG or ~/.kube/config"
        ) from None


async def check_kube_api(info: kopf.ConnectionInfo) -> None:
    """List at most one VaultConnection: proves the API server answers, accepts the credentials, serves
    the CRD and lets the operator read it. Connection errors and 5xx answers are retried briefly."""
    client = KubeClient(info)
    attempt_timeout = aiohttp.ClientTimeout(total=API_ATTEMPT_SECONDS)
    kind = VAULT_CONNECTION
    path = f"/apis/{kind.group}/{kind.version}/{kind.plural}"
    try:
        for delay in (*API_RETRY_DELAYS, None):
            try:
                status, body = await client.request("GET", path, params={"limit": "1"}, timeout=attempt_timeout)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                failure = f"cannot reach the Kubernetes API at {info.server}: {_describe_client_error(error)}; " \
                          "check KUBECONFIG's server address or the network to the API server"
            except VaultAccessError as error:  # KubeClient's own text for a missing or throttled answer
                failure = f"{_one_line(error)}; check KUBECONFIG's server address or the network to the API server"
            else:
                if status < 500:
                    _raise_for_answer(info.server, status, body)
                    return
                failure = f"the Kubernetes API at {info.server} answers {status}; check the API server"
            if delay is None:
                raise StartupError(failure)
            await asyncio.sleep(delay)
    finally:
        await client.close()


def _raise_for_answer(server: str, status: int, body: Any) -> None:
    resource, version = VAULT_CONNECTION.crd_name, VAULT_CONNECTION.version
    if status == 401:
        raise StartupError(f"the Kubernetes API at {server} rejected the operator's credentials (401): "
                           "fix the service-account token or KUBECONFIG's user")
    if status == 403:
        raise StartupError(f"the operator may not list {resource} (403): grant it list/watch on {resource} "
                           "(the chart's ClusterRole)")
    if status == 404:
        raise StartupError(f"the Kubernetes API at {server} does not serve {resource}/{version}: install the CRD "
                           "(vault-access-operator crds | kubectl apply -f -)")
    if status >= 300:
        message = body.get("message") if isinstance(body, dict) else None
        raise StartupError(f"the Kubernetes API at {server} answered {status} to listing {resource}: {message}")


def _describe_os_error(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "address already in use"
    if error.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges)"
    return error.strerror or str(error)


def _describe_client_error(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, aiohttp.ClientConnectorError) and error.os_error.errno:
        return os.strerror(error.os_error.errno).lower()
    return str(error) or type(error).__name__


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())  # YAML errors span lines
