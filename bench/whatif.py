"""Runs the operator command with one experimental change applied in-process, to measure what it would gain.

    python -m bench.whatif no-env-proxy run --standalone ...

For measurements only: the change lives here, not in the operator.

no-env-proxy: requests sessions do not re-read proxy/CA settings from the environment on every request
    (requests.Session.trust_env = False). requests otherwise scans os.environ twice per request
    (urllib.request.getproxies_environment) inside every hvac call.

no-loggedin-event: no "LoggedIn" event at all (warnings and the "Active" event after a recovery stay).
    Since session 11 only a login that is news posts one (a new connection, a spec edit, the first login after an
    error); a restart over Active connections posts none, so this now measures what those remaining events cost.

asyncio-loop: asyncio's own event loop instead of uvloop (core/tuning.py). Measures what uvloop buys.

default-gc: CPython's garbage collector settings (no gc.freeze after start-up, young threshold 700).
    Measures what the collector tuning in core/gc_policy.py buys.

pool-wait-log=PATH: appends each wait of 0.5 s or more for a pooled connection (aiohttp's connector: a free slot
    and the TCP connection) to PATH: whether requests queue behind the operator's own (bench/README.md, session 10).

vault-timeout=SECONDS: the Vault request timeout (core/vault_transport.py REQUEST_TIMEOUT, 10 s), also for builds
    that bound it as VaultHTTP's default argument (bench/README.md, session 10: connections under load).

gc-log=PATH: appends each garbage collection of 20 ms or more to PATH (wall time, generation, milliseconds,
    objects collected), to tell a collector pause from other stalls (bench.access's edit outliers).

Several, comma-separated: ``resync=40,gc-log=/tmp/gc.txt``. ``BENCH_WHAT_IF`` in the environment of a benchmark
applies one to every operator process it starts (bench.stack.OperatorProcess).

drift-slots=N: the drift checks' grid (core/access/settings.py DRIFT_SLOTS, 150 slots per interval); 100000
    is about none (every check its own instant, as before the grid).

no-name-snapshot: no LIST stands in for the reads of new objects' names (core/access/name_snapshot.py): each
    reads its name. Measures what the LISTs' answers cost in memory with many connections to one Vault.

resync=SECONDS: the access kinds' drift-check interval (AccessSettings.resync_seconds, 300 s by default; the
    operator has no flag for it). bench.access uses it to see how drift checks spread over one interval.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def no_env_proxy() -> None:
    import requests

    original = requests.Session.__init__

    def init(self: requests.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.trust_env = False

    requests.Session.__init__ = init  # type: ignore[method-assign]


def no_loggedin_event() -> None:
    from vault_access_operator.events import EventEmitter

    original = EventEmitter.post

    async def post(self: EventEmitter, kind: str, reason: str, message: str, *, masked: bool = False) -> None:
        if reason != "LoggedIn":
            await original(self, kind, reason, message, masked=masked)

    EventEmitter.post = post  # type: ignore[method-assign]


def asyncio_loop() -> None:
    import asyncio

    from vault_access_operator import cli

    cli.event_loop_factory = lambda: asyncio.new_event_loop  # type: ignore[attr-defined]  # cli's own name for it


def default_gc() -> None:
    from vault_access_operator import cli

    cli.tune_garbage_collector = lambda *_: None  # type: ignore[attr-defined]  # cli's own name for it


def resync(seconds: str) -> None:
    import dataclasses

    from vault_access_operator.app import OperatorConfig

    original = OperatorConfig.from_env.__func__  # type: ignore[attr-defined]

    def from_env(cls: type[OperatorConfig]) -> OperatorConfig:
        config: OperatorConfig = original(cls)
        config.access = dataclasses.replace(config.access, resync_seconds=float(seconds))
        return config

    OperatorConfig.from_env = classmethod(from_env)  # type: ignore[method-assign, assignment]


def gc_log(path: str) -> None:
    import gc
    import time

    started: list[float] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            took = time.perf_counter() - started[0]
            if took >= 0.02:
                with open(path, "a") as out:
                    out.write(f"{time.time():.3f} gen{info['generation']} {1000 * took:.0f} ms "
                              f"collected {info['collected']}\n")

    gc.callbacks.append(record)


def pool_wait_log(path: str) -> None:
    """Appends each wait of 0.5 s or more for a connection of an aiohttp pool (Vault's and the API's) to PATH."""
    import time

    import aiohttp

    connect = aiohttp.BaseConnector.connect

    def write(line: str) -> None:
        with open(path, "a") as out:
            out.write(line)

    async def timed(self: aiohttp.BaseConnector, req: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await connect(self, req, *args, **kwargs)
        finally:
            took = time.perf_counter() - started
            if took >= 0.5:  # rare, and a measurement: a blocking append is fine
                write(f"{time.time():.3f} {took:.2f} s {req.method} {req.url.host}:{req.url.port}{req.url.path}\n")

    aiohttp.BaseConnector.connect = timed  # type: ignore[method-assign]


def vault_timeout(seconds: str) -> None:
    """The Vault request timeout (10 s): a shorter one shows at this host's load what a longer wait does at 10 s."""
    from vault_access_operator import vault_transport

    vault_transport.REQUEST_TIMEOUT = float(seconds)
    defaults = vault_transport.VaultHTTP.__init__.__defaults__
    if defaults and defaults[-1] is not None:  # a build that bound the timeout as a default argument
        vault_transport.VaultHTTP.__init__.__defaults__ = (*defaults[:-1], float(seconds))


def no_name_snapshot() -> None:
    from vault_access_operator.access.name_snapshot import NameSnapshots

    async def names(self: NameSnapshots, *args: Any) -> None:
        return None

    NameSnapshots._names = names  # type: ignore[method-assign, assignment]


WHAT_IFS: dict[str, Callable[[], None]] = {"no-env-proxy": no_env_proxy, "no-loggedin-event": no_loggedin_event,
                                           "asyncio-loop": asyncio_loop, "default-gc": default_gc,
                                           "no-name-snapshot": no_name_snapshot}


def apply(what_if: str) -> None:
    """Apply the what-ifs ``NAME``, ``resync=SECONDS``, ``gc-log=PATH`` or ``drift-slots=N`` (comma-separated) in
    this process."""
    for change in what_if.split(","):
        name, _, value = change.partition("=")
        if name == "resync":
            resync(value)
        elif name == "gc-log":
            gc_log(value)
        elif name == "pool-wait-log":
            pool_wait_log(value)
        elif name == "vault-timeout":
            vault_timeout(value)
        elif name == "drift-slots":
            from vault_access_operator.access import settings

            settings.DRIFT_SLOTS = int(value)
        else:
            WHAT_IFS[name]()


def main() -> None:
    apply(sys.argv[1])
    from vault_access_operator.cli import main as cli

    sys.argv = ["vault-access-operator", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
