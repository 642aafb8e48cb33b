"""A counting TCP proxy: tells how many connections a client opened, even while the backend is down.

Used to prove that retries during a Vault outage are bounded by the backoff: every attempt
the operator makes opens a connection here, whether or not Vault is up behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from .ports import free_port


class CountingProxy:
    def __init__(self, backend_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.backend_port = host, backend_port
        self.port = free_port()
        self.connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="counting-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def count(self) -> int:
        with self._lock:
            return self.connections

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection(self.host, self.backend_port)
        except OSError:
            writer.close()  # backend down: the client sees the connection drop, as with a dead server
            return
        await asyncio.gather(self._pipe(reader, backend_writer), self._pipe(backend_reader, writer))

    def start(self) -> CountingProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, self.host, self.port), self._loop)
        self._server = future.result(10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
