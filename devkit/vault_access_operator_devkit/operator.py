"""Runs the real operator (kopf + our handlers) in a background thread, for tests and the demo."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator

import kopf

from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.app import OperatorApp, OperatorConfig
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.handlers import build_registry
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.models import Confinement
from vault_access_operator.peering import DEFAULT_PEERING_LIFETIME
from vault_access_operator.registry import ProviderRegistry
from vault_access_operator.shards import ShardSettings
from vault_access_operator.trust import TrustPolicy


@dataclasses.dataclass
class RunningOperator:
    app: OperatorApp
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop | None = None
    error: BaseException | None = None


def _settings() -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.watching.reconnect_backoff = 0.2  # tests restart watches often; no 1 s pauses
    settings.networking.request_timeout = 30
    return settings


@contextlib.contextmanager
def run_operator(
    connection: kopf.ConnectionInfo,
    *,
    identity: OperatorIdentity | None = None,
    backoff: Backoff | None = None,
    registry: ProviderRegistry | None = None,
    events_namespace: str = "default",
    metrics_port: int | None = None,
    ready_timeout: float = 30.0,
    standalone: bool = True,
    peering_name: str | None = None,
    priority: int | None = None,
    configure: Callable[[kopf.OperatorSettings], None] | None = None,
    trust: TrustPolicy | None = None,
    access: AccessSettings | None = None,
    tenancy_confinement: Confinement | None = None,
    shard: ShardSettings | None = None,
) -> Iterator[RunningOperator]:
    """Start the operator against ``connection`` and stop it (cleanly) when the block ends.

    ``standalone``/``peering_name``/``priority`` are kopf's peering options (pass ``standalone=False``
    and a ``peering_name`` to run several replicas); ``configure`` adjusts kopf's settings before the
    start (e.g. a short ``settings.peering.lifetime``). ``trust`` is the operator's trust policy
    (default: the safe defaults, as a fresh install has). ``tenancy_confinement`` is the operator-wide
    override (``--tenancy-confinement``; default: none, as without the flag). ``shard`` makes it one shard
    of several deployments (``--shard`` and friends; default: all objects).
    """
    settings = _settings()
    settings.peering.lifetime = DEFAULT_PEERING_LIFETIME  # as `run` has it; ``configure`` may shorten it
    if configure is not None:
        configure(settings)
    config = OperatorConfig(
        identity=identity or OperatorIdentity(),
        backoff=backoff or Backoff(),
        kube_connection=connection,
        events_namespace=events_namespace,
        metrics_port=metrics_port,
        trust=trust or TrustPolicy(),
        access=access or AccessSettings(),
        tenancy_confinement=tenancy_confinement,
        peering_lifetime=settings.peering.lifetime,
        shard=shard or ShardSettings(),
    )
    app = OperatorApp(config, registry=registry)
    ready, stop = threading.Event(), threading.Event()
    running = RunningOperator(app=app, thread=threading.Thread(name="operator", daemon=True, target=lambda: None))

    def target() -> None:
        loop = asyncio.new_event_loop()
        running.loop = loop
        try:
            loop.run_until_complete(
                kopf.operator(
                    registry=build_registry(app),
                    settings=settings,
                    standalone=standalone,
                    peering_name=peering_name,
                    priority=priority,
                    clusterwide=True,
                    ready_flag=ready,
                    stop_flag=stop,
                )
            )
        except BaseException as error:  # surfaced to the test on exit
            running.error = error
        finally:
            ready.set()
            loop.close()

    running.thread = threading.Thread(name="operator", daemon=True, target=target)
    running.thread.start()
    if not ready.wait(ready_timeout):
        raise TimeoutError("the operator did not become ready")
    if running.error is not None:
        raise RuntimeError("the operator failed to start") from running.error
    try:
        yield running
    finally:
        stop.set()
        running.thread.join(30)
        if running.error is not None and not isinstance(running.error, asyncio.CancelledError):
            raise RuntimeError("the operator stopped with an error") from running.error
