"""Child-process hygiene: stop politely, then forcibly; never leave orphans behind."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading

_live: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


def kill_on_exit(proc: subprocess.Popen[bytes]) -> None:
    """Remember a child so that an interrupted test run still kills it at interpreter exit."""
    with _lock:
        _live.add(proc)


def terminate(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send `sig` to the child's own process group, wait, SIGKILL on timeout."""
    try:
        if proc.poll() is None:
            # The child runs in its own session (start_new_session=True), so its pgid == pid:
            # this reaches only that child and its descendants.
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    finally:
        with _lock:
            _live.discard(proc)


@atexit.register
def _kill_leftovers() -> None:
    with _lock:
        leftovers = list(_live)
    for proc in leftovers:
        terminate(proc, signal.SIGKILL, timeout=5.0)
