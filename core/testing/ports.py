"""Free loopback TCP ports for test servers."""

from __future__ import annotations

import socket


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port that is free right now (the usual small race is accepted in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_pair() -> int:
    """A port P such that P+1 is free too.

    Why: `bao server -dev` always binds its cluster listener on dev-port + 1,
    and there is no flag to move it.
    """
    for _ in range(50):
        port = free_port()
        if port < 65535 and _bindable(port + 1):
            return port
    raise RuntimeError("could not find two consecutive free ports on 127.0.0.1")
