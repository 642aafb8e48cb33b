"""FakeKube: the Kubernetes API emulator in its own thread + event loop, with sync helpers.

Own thread/loop on purpose: kopf (in another thread, via kopf.testing.KopfRunner) and plain
sync test code can use it at the same time. All helpers talk plain HTTP to the emulator, i.e.
they go through the same API the operator uses.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import kmock
import kopf
import requests

from .kube_emulator import KubeEmulator
from .kube_helpers import KubeHelpersMixin
from .kube_resources import DEFAULT_RESOURCES, ResourceSpec
from .kube_tokens import DEFAULT_ISSUER, TokenAuthority
from .kube_watch import Observer

_interceptor_lock = threading.Lock()


class KubeAPIError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body = status, body
        self.reason = body.get("reason") if isinstance(body, dict) else None


class _NoInterceptor:
    async def __aexit__(self, *exc: object) -> None:
        pass


@attrs.mutable
class _LoopbackServer(kmock.Server):
    async def __aenter__(self) -> _LoopbackServer:
        # kmock.Server patches aiohttp's resolver process-wide (a class attribute) and demands
        # strict LIFO unpatching across all servers in the process, else RuntimeError. We only
        # use 127.0.0.1 URLs, so undo the patch at once; the lock covers parallel starts.
        with _interceptor_lock:
            await super().__aenter__()
            assert self._managed_interceptor is not None
            await self._managed_interceptor.__aexit__(None, None, None)
            self._managed_interceptor = _NoInterceptor()  # type: ignore[assignment]
        return self


class FakeKube(KubeHelpersMixin):
    """A Kubernetes API on http://127.0.0.1:PORT. Namespaces `default` and `kube-system` exist."""

    def __init__(self, *, issuer: str = DEFAULT_ISSUER, resources: Iterable[ResourceSpec] = (),
                 namespaces: Iterable[str] = ("default", "kube-system")) -> None:
        self.tokens = TokenAuthority(issuer=issuer)
        self.specs: list[ResourceSpec] = [*DEFAULT_RESOURCES, *resources]
        self._namespaces = tuple(namespaces)
        self.emulator: KubeEmulator | None = None  # lives in the emulator's loop: read-only from tests
        self.port = 0
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies / CA bundles from the environment
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._tmpdir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> FakeKube:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._run, name="fake-kube", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=15) or self._failure is not None:
            self.stop()
            raise RuntimeError(f"FakeKube failed to start: {self._failure!r}")
        for name in self._namespaces:
            self.create_namespace(name)
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:  # surfaced by start()
            self._failure = e
            self._ready.set()

    async def _serve(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        emulator = KubeEmulator(tokens=self.tokens)
        for spec in self.specs:
            emulator.add_resource(spec)
        async with emulator, _LoopbackServer(emulator) as server:
            self.port, self.emulator = server.port, emulator
            self._ready.set()
            await self._stopping.wait()
            await emulator.close_streams()  # end open watches, so the server closes at once

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.session.close()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def errors(self) -> list[Exception]:
        """Server-side errors answered so far (kmock collects them; 4xx included)."""
        try:
            return list(self.emulator.errors) if self.emulator else []
        except RuntimeError:  # kmock only keeps them while the server runs
            return []

    def inject_failure(self, method: str, path_regex: str, status: int = 500, times: int = 1,
                       headers: dict[str, str] | None = None) -> None:
        """Make the next `times` requests matching METHOD (or "*") and the path regex fail (with `headers`)."""
        assert self.emulator is not None
        self.emulator.inject_failure(method, path_regex, status, times, headers)

    def clear_failures(self) -> None:
        """Forget the injected failures not used up yet."""
        assert self.emulator is not None
        self.emulator.clear_failures()

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(spec, event)`` in the emulator's thread for every watch event from now on, as a
        watch stream would carry it but without one (no serialising, no socket); returns the unsubscriber."""
        assert self.emulator is not None
        observers = self.emulator.observers
        observers.append(observer)  # a list append is atomic: no lock against the emulator's thread
        return lambda: observers.remove(observer)

    def restart_watches(self, compact: bool = False) -> None:
        """End every open watch stream now, as an API server restart or a load balancer timeout would.
        ``compact``: first forget the event log, as etcd compaction does, so that resuming from any
        resourceVersion seen so far answers "410 Gone" and the client must list again."""
        assert self.emulator is not None and self._loop is not None
        emulator = self.emulator

        async def restart() -> None:
            if compact:
                await emulator.compact()
            await emulator.close_streams()

        asyncio.run_coroutine_threadsafe(restart(), self._loop).result(timeout=5)

    # -- client configuration ---------------------------------------------------------------
    def connection_info(self) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=self.url, insecure=True, default_namespace="default")

    def kubeconfig_path(self) -> Path:
        """A kubeconfig for this server in a temporary folder that stop() removes."""
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="fake-kube-"))
        return self.write_kubeconfig(self._tmpdir / "kubeconfig")

    def write_kubeconfig(self, path: Path, namespace: str = "default") -> Path:
        """Write a kubeconfig (JSON, which is valid YAML) for this server to ``path``: kubectl and
        kopf use it as they would a cluster's. Any bearer token is accepted."""
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": namespace}}],
        }, indent=2) + "\n")
        return path

    # -- raw HTTP --------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url + path, **kwargs)

    def call(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        """Request + JSON decode; raise KubeAPIError on errors (or return None on 404 if missing_ok)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 404 and missing_ok:
            return None
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise KubeAPIError(response.status_code, body)
        return body
