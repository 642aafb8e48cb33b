"""The kopf handlers, bound to an :class:`OperatorApp`: each one calls a plain method of it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from typing import Any, cast

import kopf

from .app import SHUTDOWN_REVOKE_SECONDS, OperatorApp
from .kinds import (
    VAULT_CLUSTER_POLICY,
    VAULT_CLUSTER_ROLE,
    VAULT_CONNECTION,
    VAULT_KV_SECRET,
    VAULT_POLICY,
    VAULT_ROLE,
    KindDefinition,
)
from .kopf_state import InMemoryProgress, StatelessDiffBase
from .redact import install_log_redaction

FINALIZER = "vault.platform.io/finalizer"
DAEMON_EXIT_WAIT_SECONDS = 3.0
KOPF_PREFIX = "vault.platform.io"  # what kopf writes into annotations goes under our prefix, not kopf.zalando.org
ACCESS_KINDS = (VAULT_POLICY, VAULT_CLUSTER_POLICY, VAULT_ROLE, VAULT_CLUSTER_ROLE, VAULT_KV_SECRET)
LIST_CHUNK_SIZE = 500  # objects per page of kopf's initial lists (kubectl's default)
#: kopf keeps a worker per object (a task, a queue, the last parsed event) this long after the object's last event
#: (kopf's default is 5 s). During a sync of thousands of objects those idle workers held about half of the memory
#: peak, and the peak stays as the process's size; an object's events (add, finalizer, status) come well within it.
WORKER_IDLE_SECONDS = 0.5


class EndlessBackoff:
    """kopf's API retry delays, without an end (a fresh iterator per request)."""

    def __iter__(self) -> Iterator[float]:
        yield from (1, 1, 2, 3, 5, 8, 13, 21)
        while True:
            yield 30


def build_registry(app: OperatorApp) -> kopf.OperatorRegistry:
    """kopf handlers bound to ``app``: a registry of its own, so tests can run several operators."""
    registry = kopf.OperatorRegistry()
    # The access kinds keep no kopf state on their objects (core/kopf_state.py); VaultConnection keeps kopf's own
    # progress records. No kind has a diff-base: only on.create/update/resume/field handlers compare one, and none
    # is registered (on.delete needs none). For VaultConnection (a daemon and an on.event handler) kopf still copied
    # and trimmed its whole body on every watch event to build one it never used (bench/README.md, session 9).
    access_kinds = [(kind.api_version, kind.kind) for kind in ACCESS_KINDS]
    progress = InMemoryProgress(kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX), access_kinds)
    diffbase = StatelessDiffBase(kopf.AnnotationsDiffBaseStorage(prefix=KOPF_PREFIX),
                                 [*access_kinds, (VAULT_CONNECTION.api_version, VAULT_CONNECTION.kind)])

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        install_log_redaction()
        app.serve_metrics()
        settings.persistence.finalizer = FINALIZER
        # Keep kopf's bookkeeping out of .status: status belongs to the connection.
        settings.persistence.progress_storage = progress
        settings.persistence.diffbase_storage = diffbase
        settings.posting.level = logging.WARNING  # our own events, not kopf's per-handler chatter
        settings.execution.max_workers = 4
        # Lists in chunks, as kubectl does: a restart with 10,000 objects otherwise holds the whole list (its
        # bytes, its text and every parsed body) at once, and the process keeps that peak as its size.
        settings.watching.chunk_size = LIST_CHUNK_SIZE
        settings.queueing.idle_timeout = WORKER_IDLE_SECONDS
        settings.peering.lifetime = app.config.peering_lifetime  # failover within it (core/peering.py)
        # A stopped daemon revokes its token before it returns. kopf waits only a few zero-time
        # cycles for that, then re-checks the deletion after the cancellation backoff, which held up
        # every delete by that backoff. Waiting here blocks only this object's worker, and a revocation
        # is quick; a slow Vault falls back to the backoff.
        settings.background.instant_exit_timeout = DAEMON_EXIT_WAIT_SECONDS
        # kopf stops the whole operator once its API retries run out (about 54 s by default): keep
        # retrying instead, so an API-server outage does not cost every connection a restart.
        settings.networking.error_backoffs = EndlessBackoff()

    @kopf.on.startup(registry=registry)
    async def start(**_: Any) -> None:
        await app.learn_api_audiences()  # before any connection is served (kopf watches after start-up)
        app.start()

    @kopf.on.login(registry=registry)
    def authenticate(settings: kopf.OperatorSettings, **_: Any) -> kopf.ConnectionInfo:
        app.kopf_settings = settings
        return app.login()

    # Every shard holds the connections its objects use; only the one that owns the cluster-scoped objects
    # writes their status and events (OperatorApp._reporter).
    _connection_daemon(registry, app)
    if app.config.shard.cluster_scoped:
        _deletion_gate(registry, app)

    for kind in ACCESS_KINDS:
        if kind.scope == "Namespaced" or app.config.shard.cluster_scoped:
            _access_handlers(registry, app, kind, progress)

    @kopf.on.cleanup(registry=registry)
    async def cleanup(**_: Any) -> None:
        await app.shutdown()

    return registry


def _connection_daemon(registry: kopf.OperatorRegistry, app: OperatorApp) -> None:
    resource = (VAULT_CONNECTION.group, VAULT_CONNECTION.version, VAULT_CONNECTION.plural)

    # One daemon per VaultConnection carries its runtime. kopf stops daemons when the object is deleted
    # and when a replica loses the peering lead (plain tasks would keep running), and it keeps no
    # progress or diff-base annotations for daemons: the only kopf write per object is its finalizer.
    # Stopping means revoking the token: give that time before kopf cancels (a cancelled deletion
    # would skip what follows the revocation, such as dropping the connection's metrics).
    # Spec changes are read from the daemon's live body (core/follow.py), not from a kopf handler.
    @kopf.daemon(*resource, registry=registry, cancellation_backoff=SHUTDOWN_REVOKE_SECONDS, cancellation_timeout=5)
    async def hold(name: str, uid: str, body: kopf.Body, spec: kopf.Spec, stopped: kopf.DaemonStopped,
                   **_: Any) -> None:
        if app.exiting:
            # kopf spawns a daemon it stopped again for the object's next watch event, and events queued before
            # the exit are still processed while it stops: serving the connection again would start a runtime
            # that never logs in, and its objects would report "waiting for the first login" on the way out.
            return
        generation = body.metadata.get("generation")
        await app.reconcile(name, uid, generation, dict(spec), body.get("status"))  # no-op when unchanged
        app.specs.follow(name, body, generation)
        try:
            await _until_stopped(stopped)  # an awaitable, not a coroutine of ours: no frame of its own
        finally:
            if stopped.reason and kopf.DaemonStoppingReason.OPERATOR_EXITING in stopped.reason:
                app.exiting = True
            await app.specs.unfollow(name, uid)
        if stopped.reason and kopf.DaemonStoppingReason.RESOURCE_DELETED in stopped.reason:
            # Revoked now, unless dependants still need the token (their finalizer holds the object).
            await app.connection_stopped(name, uid, list(body.metadata.get("finalizers") or []))
        else:
            # Another replica leads now, or this process is stopping: the connection's objects wait and write
            # nothing from here on (AccessController.released); the next leader finds them as they were.
            await app.release(name, uid)


def _until_stopped(stopped: kopf.DaemonStopped) -> Awaitable[object]:
    """Wait for kopf to stop the daemon. ``stopped.wait()`` makes a task with a ``wait_for`` and a name of its own
    for the whole wait, for every connection (bench/README.md, session 11): the stopper's own event, where this
    kopf has one, costs one coroutine. Set at the same moment (kopf's ``DaemonStopper.set``)."""
    event = getattr(getattr(stopped, "_setter", None), "async_event", None)
    return event.wait() if isinstance(event, asyncio.Event) else stopped.wait()


def _deletion_gate(registry: kopf.OperatorRegistry, app: OperatorApp) -> None:
    """A deleted connection may wait for its dependants (core/access/dependants_gate.py): events cost no writes."""
    resource = (VAULT_CONNECTION.group, VAULT_CONNECTION.version, VAULT_CONNECTION.plural)

    @kopf.on.event(*resource, registry=registry)
    async def connection_seen(event: kopf.RawEvent, **_: Any) -> None:
        if event.get("type") in (None, "ADDED", "MODIFIED"):
            # The raw body (plain JSON, which kopf never changes) is read where it is: a deep copy of every event's
            # body was most of this handler. One being deleted is copied, as the gate keeps it while it waits.
            raw = cast("dict[str, Any]", event["object"])  # a TypedDict to kopf: not copied into a dict
            meta = raw.get("metadata") or {}
            app.connection_seen(str(meta.get("name")), _plain(raw) if meta.get("deletionTimestamp") else raw)


def _access_handlers(registry: kopf.OperatorRegistry, app: OperatorApp, kind: KindDefinition,
                     progress: InMemoryProgress) -> None:
    """An access kind: every watch event goes to its controller (no kopf state is stored on the object); deletion
    runs behind the finalizer and retries with backoff until Vault is done with (kopf's progress in memory)."""
    resource = (kind.group, kind.version, kind.plural)

    shard = app.config.shard
    # Whether every event must be checked against the shard: kopf builds its whole set of handler arguments for a
    # ``when`` filter, twice per event (the deletion cause and the finalizer check), so none when it owns all.
    filtered = kind.scope == "Namespaced" and not shard.owns_every_object

    def ours(body: kopf.Body, **_: Any) -> bool:
        return shard.owns(body)

    # Unfiltered, so that an object relabelled out of this shard is let go of (a kopf label filter would
    # hide that event): the worker stops, nothing is written, and the shard it moved to takes it from there.
    @kopf.on.event(*resource, registry=registry)
    async def seen(event: kopf.RawEvent, **_: Any) -> None:
        body = dict(event["object"])
        if event.get("type") == "DELETED":  # gone (normally after our finalizer): stop its worker
            progress.forget(event["object"].get("metadata", {}).get("uid"))  # a retried deletion ended some other way
            await app.forget_access(kind, body)
        elif event.get("type") in (None, "ADDED", "MODIFIED"):
            if not filtered or shard.owns(body):
                app.observe_access(kind, body)
            else:
                await app.forget_access(kind, body)

    # The filter keeps the finalizer off other shards' objects (kopf adds it only where a handler matches).
    @kopf.on.delete(*resource, registry=registry, retries=None, when=ours if filtered else None)
    async def deleted(body: kopf.Body, retry: int, **_: Any) -> None:
        delay = await app.delete_access(kind, _plain(body), retry)
        if delay is not None:
            raise kopf.TemporaryError("the Vault object is not deleted yet (see the status)", delay=delay)


def _plain(value: Any) -> Any:
    """kopf's views as plain dicts and lists."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
