"""A counting TCP proxy: tells how many connections a client opened, even while the backend is down.

Used to prove that retries during a Vault outage are bounded by the backoff: every attempt
the operator makes opens a connection here, whether or not Vault is up behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from typing import Self

from vault_access_operator.testing.ports import free_port

# HTTP/1.1 request lines in the client's byte stream (keep-alive sends many per connection).
_REQUEST_LINE = re.compile(rb"(GET|PUT|POST|DELETE|LIST|HEAD|PATCH) (/\S*) HTTP/1\.[01]\r\n")


class CountingProxy:
    def __init__(self, backend_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.backend_port = host, backend_port
        self.port = free_port()
        self.connections = 0
        self.requests: list[str] = []  # "METHOD /path" of every HTTP request sent through
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

    def requests_since(self, index: int) -> list[str]:
        with self._lock:
            return self.requests[index:]

    def _record(self, stream: bytes) -> bytes:
        """Record complete request lines; return the tail that may hold a partial one."""
        end = 0
        for match in _REQUEST_LINE.finditer(stream):
            with self._lock:
                self.requests.append(f"{match.group(1).decode()} {match.group(2).decode()}")
            end = match.end()
        return stream[max(end, len(stream) - 512):]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool = False) -> None:
        tail = b""
        try:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    if record:
                        tail = self._record(tail + data)
                    writer.write(data)
                    await writer.drain()
        finally:  # also when the proxy stops: the client sees its connection drop, not hang until a timeout
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection(self.host, self.backend_port)
        except OSError:
            writer.close()  # backend down: the client sees the connection drop, as with a dead server
            return
        with contextlib.suppress(asyncio.CancelledError):  # the proxy stops (both pipes closed their writers)
            await asyncio.gather(self._pipe(reader, backend_writer, record=True), self._pipe(backend_reader, writer))

    def start(self) -> Self:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, self.host, self.port), self._loop)
        self._server = future.result(10)
        return self

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:  # open client connections: end them rather than leave them pending
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Self:  # a subclass's own type (tests/faults/test_slow_vault.py: StallingProxy)
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
