"""A TCP listener standing in for a Vault address of an attacker's choosing: it records every byte.

It answers each connection with an HTTP 503 and closes it, so a client that does reach it fails fast.
"""

from __future__ import annotations

import socket
import threading

_ANSWER = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Listener:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.received: list[bytes] = []  # what each connection sent
        self._lock = threading.Lock()
        self._socket = socket.create_server((host, 0))
        self.port: int = self._socket.getsockname()[1]
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="listener", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def data(self) -> bytes:
        with self._lock:
            return b"".join(self.received)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._socket.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(1.0)
                chunk = b""
                try:
                    chunk = client.recv(65536)
                    client.sendall(_ANSWER)
                except OSError:
                    pass
                with self._lock:
                    self.received.append(chunk)
