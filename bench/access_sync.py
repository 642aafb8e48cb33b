"""bench.access's initial sync alone, with where its requests go: for profiling and A/B runs of one change.

    python -m bench.access_sync --objects 3000 [--runs 2] [--profile OUT.txt]

Each run (a fresh OpenBao and API emulator): the N objects of bench.access's workload exist, the operator
starts, then its connection; from the connection's Active to the last object Active, as bench.access's "sync"
phase (its figures, same keys). Added here:

- ``operator_ms_per_object`` / ``openbao_ms_per_object`` / ``emulator_ms_per_object``: CPU per object.
- ``operator_user_s`` / ``operator_system_s``: the operator's CPU from its start, user and system apart (little
  system time means the socket writes a wall-clock profile shows are time waiting for the cores, not CPU).
- ``vault_sequences``: for each Vault path the operator touched, its operations in order ("update read" is a
  write and its read-back), counted by path class: every read beyond the read-back shows as a longer sequence.
- ``active_after_s``: when the objects turned Active, from the connection's Active (median, p99, last), and the
  last five objects to.
- ``kube_requests``: every request the API emulator answered during the run, by method and resource (names and
  namespaces folded), watches apart.
- ``--profile``: py-spy (``py-spy record -f raw --nonblocking``, 100 Hz) on the operator for the run; py-spy
  samples threads that are runnable, so a process short of CPU shows its waits too.
- ``passes``: sync passes by kind and result (the operator's reconcile_duration histogram; without
  ``--cpu-profile``, which runs the operator with no /metrics): a role whose policy has not synced yet makes
  a pass that waits.
- ``--roles-first``: the operator's LIST of the VaultPolicies (kopf's, cluster-wide) is answered only once the
  connection shows Active and a second more, so the roles' first passes with the connection Active come before
  the watch shows any policy (they read their policies from the API server): a roles-first start, which
  otherwise depends on the order kopf's watches list the kinds in.
- ``--cpu-profile OUT.txt``: the operator run under bench/cputime.py (a sample per 2 ms of its CPU, start-up
  included), written when the last object is Active: OUT.txt (shares by function) and OUT.txt.folded (every
  whole stack, one per line, for splitting the CPU by phase).

The operator is the one of the Python running this (``/work/main/.venv/bin/python -m bench.access_sync`` runs
main's, a worktree's venv runs that worktree's): run both in turn for an A/B of one change on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vault_access_operator.testing.ports import free_port
from vault_access_operator_devkit import kube_emulator

from .access import sync
from .access_objects import Workload, grant_operator
from .access_watch import AccessWatcher, requests_after
from .stack import OperatorProcess, Stack

_TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def counting_kube_requests() -> Iterator[Counter[str]]:
    """Every request the emulator answers meanwhile, as "METHOD path" with names and namespaces folded."""
    counts: Counter[str] = Counter()
    original = kube_emulator.KubeEmulator._handle

    async def handle(self: kube_emulator.KubeEmulator, request: Any) -> Any:
        path = re.sub(r"/namespaces/[^/]+", "/namespaces/N", str(request.url.path))
        path = re.sub(r"/(vault[a-z]+|events|secrets|serviceaccounts)/[^/]+", r"/\1/X", path)
        watch = " (watch)" if request.url.query.get("watch") in ("true", "1") else ""
        counts[f"{getattr(request.method, 'value', request.method)} {path}{watch}"] += 1
        return await original(self, request)

    kube_emulator.KubeEmulator._handle = handle  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        kube_emulator.KubeEmulator._handle = original  # type: ignore[method-assign]


@contextlib.contextmanager
def policies_listed_after(watcher: AccessWatcher, pause: float = 1.0) -> Iterator[None]:
    """The operator's cluster-wide LIST of VaultPolicies answered only ``pause`` seconds after the connection
    showed Active (a roles-first start); the roles' own namespaced reads of policies are answered at once."""
    original = kube_emulator.KubeEmulator._handle

    async def handle(self: kube_emulator.KubeEmulator, request: Any) -> Any:
        path, query = str(request.url.path), request.url.query
        if path.endswith("/vaultpolicies") and "/namespaces/" not in path and query.get("watch") not in ("true", "1"):
            while True:  # connection_active is set by the watcher's thread: polled
                if (active := watcher.connection_active) is not None:
                    await asyncio.sleep(max(0.0, active + pause - time.monotonic()))
                    break
                await asyncio.sleep(0.05)
        return await original(self, request)

    kube_emulator.KubeEmulator._handle = handle  # type: ignore[method-assign]
    try:
        yield
    finally:
        kube_emulator.KubeEmulator._handle = original  # type: ignore[method-assign]


def vault_sequences(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Per Vault path, its operations in order; counted as "<policy|role> <ops>" (other paths left out)."""
    by_path: dict[str, list[str]] = {}
    for entry in entries:
        request = entry.get("request") or {}
        by_path.setdefault(str(request.get("path", "")), []).append(str(request.get("operation")))
    found: Counter[str] = Counter()
    for path, operations in by_path.items():
        kind = "policy" if path.startswith("sys/policies/acl/") else "role" if "/role/" in path else None
        if kind is not None:
            found[f"{kind} {' '.join(operations)}"] += 1
    return dict(found.most_common())


def _user_system(pid: int) -> tuple[float, float]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) / _TICKS, int(fields[12]) / _TICKS


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or "/work/main/.venv/bin/py-spy"
    if not Path(spy).exists():
        print("py-spy not found: no profile", file=sys.stderr)
        return None
    return subprocess.Popen([spy, "record", "-p", str(pid), "-r", "100", "-f", "raw", "-o", str(out),
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cpu_profiled(self: OperatorProcess, out: Path) -> OperatorProcess:
    """Start ``self`` as bench.login_profile's child: the operator under bench/cputime.py, whole stacks kept."""
    from .login_profile import ProfiledOperator

    out.unlink(missing_ok=True)
    self.out, self.code = out, None  # type: ignore[attr-defined]
    return ProfiledOperator.start(self)  # type: ignore[arg-type]


def passes(port: int) -> dict[str, int]:
    """Sync passes so far by "kind result", from the operator's /metrics on ``port`` (empty if not served)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return {}
    found: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("vault_access_operator_reconcile_duration_seconds_count{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            found[f"{labels.get('kind')} {labels.get('result')}"] = int(float(line.rsplit(" ", 1)[1]))
    return found


def one_run(count: int, timeout: float, profile: Path | None, quiet: float = 5.0,
            cpu_profile: Path | None = None, roles_first: bool = False) -> dict[str, Any]:
    workload = Workload(count)
    with Stack() as stack, counting_kube_requests() as kube_requests:
        client = stack.bao.client()
        grant_operator(client)
        workload.create(stack.kube)
        mark, before = stack.bao.audit.mark(), Counter(kube_requests)
        watcher = AccessWatcher(stack.kube).start()
        ordered = contextlib.ExitStack()
        if roles_first:
            ordered.enter_context(policies_listed_after(watcher))
        spies: list[subprocess.Popen[bytes]] = []
        original_start = OperatorProcess.start

        def start(self: OperatorProcess) -> OperatorProcess:
            if cpu_profile is None:
                self.metrics_port = free_port()
            started = original_start(self) if cpu_profile is None else _cpu_profiled(self, cpu_profile)
            if profile is not None and (spy := _spy(self.pid, profile)) is not None:
                spies.append(spy)
            return started

        OperatorProcess.start = start  # type: ignore[method-assign]
        operator: OperatorProcess | None = None
        try:
            operator, figures = sync(stack, watcher, count, timeout, quiet)
            user, system = _user_system(operator.pid)
            figures["passes"] = passes(operator.metrics_port) if operator.metrics_port else {}
            if cpu_profile is not None:
                from .login_profile import ProfiledOperator

                ProfiledOperator.write_profile(operator)  # type: ignore[arg-type]
        finally:
            OperatorProcess.start = original_start  # type: ignore[method-assign]
            ordered.close()
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
            if operator is not None:
                operator.stop()
            watcher.stop()
        figures.update({f"{name}_ms_per_object": round(1000 * figures[f"{name}_cpu_s"] / count, 2)
                        for name in ("operator", "openbao", "emulator")})
        active_since = watcher.connection_active or 0.0
        late = sorted(at - active_since for at in watcher.active.values())
        last = sorted(watcher.active, key=watcher.active.__getitem__)[-5:]
        figures["active_after_s"] = {"p50": round(late[len(late) // 2], 2),
                                     "p99": round(late[len(late) * 99 // 100], 2), "last": round(late[-1], 2),
                                     "last_5": last}
        figures.update(objects=count, operator_user_s=user, operator_system_s=system,
                       vault_sequences=vault_sequences(requests_after(stack.bao.audit, mark)),
                       kube_requests=dict((Counter(kube_requests) - before).most_common()))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=3000, help="even: half policies, half roles")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="py-spy raw output of the (last) run's operator")
    parser.add_argument("--cpu-profile", type=Path, help="bench/cputime.py's profile of the (last) run's operator")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--roles-first", action="store_true",
                        help="the operator's watch shows the VaultPolicies only after the connection is Active")
    args = parser.parse_args(argv)
    started = time.monotonic()
    for _ in range(args.runs):
        print(json.dumps(one_run(args.objects, args.timeout, args.profile, cpu_profile=args.cpu_profile,
                                            roles_first=args.roles_first)), flush=True)
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
